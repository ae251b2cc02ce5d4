package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.SecretVault;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whole management scenarios through {@link KeyManager} on a JDBC store: hostile text round-trips
 * intact, and no plaintext secret is left in any column of any table. Extended once per database
 * by {@link DatabaseSuites}.
 */
abstract class ScenarioTests {
  static final Actor BOB = Actor.user("bob");
  static final AccountId ACME = AccountId.of("acme");

  static final List<String> HOSTILE = List.of(
      "O'Brien's \"lab\"",
      "'; DROP TABLE keyseat_api_key; --",
      "Robert'); DELETE FROM keyseat_account;--",
      "x' OR '1'='1",
      "$$ dollar $$ quoted $tag$",
      "back\\slash \\' and 100%_like",
      "Café Zürich — 東京 空気 🌬️ 👩‍🔬",
      // bidi controls, zero-width characters and newlines are refused by KeyManager (its contract's BadInput)
      "e\u0301 combining, right-to-left \u05E2\u05D1\u05E8\u05D9\u05EA \u0627\u0644\u0639\u0631\u0628\u064A\u0629",
      "tab\tseparated\tcolumns\t",
      "/* not a comment */ -- nor this");

  JdbcKeyStore store;
  Keyseat keyseat;
  KeyManager keys;
  MutableClock clock;

  abstract TestDatabase database();

  @BeforeEach
  void fresh() {
    database().clear();
    store = database().storeBuilder().build();
    clock = new MutableClock();
    SecretVault vault = SecretVault.aesGcm(new SecretKeySpec(new byte[32], "AES"));
    keyseat = Keyseat.builder(store).clock(clock).secretVault(vault).build();
    keys = keyseat.manager();
  }

  @Test
  void hostileTextIsStoredAndReadBackIntact() throws SQLException {
    String accountName = HOSTILE.get(1) + " " + HOSTILE.get(6) + " " + HOSTILE.get(7);
    keys.createAccount(OPS, ACME, new NewAccount(accountName, UserId.of("alice"), 20));
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < HOSTILE.size(); i++) {
      String serial = "AQ-" + i;
      serials.add(serial);
      keys.associateDevice(ALICE, ACME, new NewDevice(serial, HOSTILE.get(i), HOSTILE.get(HOSTILE.size() - 1 - i)));
    }
    List<IssuedKey> issued = new ArrayList<>();
    for (int i = 0; i < HOSTILE.size(); i++) {
      issued.addAll(keys.createKeys(ALICE, ACME, NewKeys.forDevices(serials.get(i)).withLabel(HOSTILE.get(i))));
    }

    Optional<Account> account = store.readAccount(ACME, AccountTransaction::account);
    assertThat(account).map(Account::name).contains(accountName);
    List<Device> devices = keys.devices(ALICE, ACME);
    assertThat(devices).hasSize(HOSTILE.size());
    for (int i = 0; i < HOSTILE.size(); i++) {
      String serial = serials.get(i);
      Device d = devices.stream().filter(x -> x.serial().equals(serial)).findFirst().orElseThrow();
      assertThat(d.name()).isEqualTo(HOSTILE.get(i));
      assertThat(d.model()).isEqualTo(HOSTILE.get(HOSTILE.size() - 1 - i));
    }
    List<ApiKey> table = keys.keys(ALICE, ACME);
    assertThat(table).hasSize(HOSTILE.size());
    for (ApiKey row : table) {
      int i = Integer.parseInt(row.deviceSerial().substring(3));
      assertThat(row.label()).isEqualTo(HOSTILE.get(i));
      assertThat(row.deviceName()).isEqualTo(HOSTILE.get(i));
    }
    // the audit log quotes the names verbatim
    List<String> details = keys.auditLog(ALICE, ACME, Long.MAX_VALUE, 100).stream().map(AuditEntry::detail).toList();
    for (String h : HOSTILE) {
      assertThat(details).contains("associated \"" + h + "\"");
    }
    // and nothing was executed: every table is still there, with every row
    try (Connection c = database().connection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM keyseat_api_key")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(HOSTILE.size());
    }
    for (IssuedKey k : issued) {
      assertThat(keyseat.storeValidator().validate(k.secret().reveal()).status()).isEqualTo(Verdict.Status.VALID);
    }
  }

  @Test
  void textThatNoStoreCanKeepIsRefusedAsAnInvalidRequestAndAudited() {
    keys.createAccount(OPS, ACME, new NewAccount("Acme", UserId.of("alice"), 2));
    assertThatThrownBy(() -> keys.associateDevice(ALICE, ACME, new NewDevice("AQ-1", "nul\u0000name")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("command.name");
    keys.associateDevice(ALICE, ACME, new NewDevice("AQ-1", "Lobby"));
    assertThatThrownBy(() -> keys.renameDevice(ALICE, ACME, "AQ-1", "half \uD83D"))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("unpaired surrogates");
    IssuedKey key = keys.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-1")).get(0);
    assertThatThrownBy(() -> keys.editKey(ALICE, ACME, key.key().id(), KeyEdit.label("x\u0000")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("edit.label");
    assertThatThrownBy(() -> keys.createAccount(OPS, AccountId.of("other"), new NewAccount("\u0000", UserId.of("a"), 1)))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(keys.devices(ALICE, ACME)).extracting(Device::name).containsExactly("Lobby");
    assertThat(keys.auditLog(ALICE, ACME, Long.MAX_VALUE, 100))
        .filteredOn(e -> e.outcome() == AuditEntry.Outcome.REFUSED).hasSize(3);
  }

  /** Every plaintext secret a scenario issued, to be looked for everywhere afterwards. */
  List<String> fullScenario() {
    List<String> secrets = new ArrayList<>();
    KeyValidator validator = keyseat.storeValidator();
    keys.createAccount(OPS, ACME, new NewAccount("Acme Air", UserId.of("alice"), 4));
    keys.addMember(ALICE, ACME, UserId.of("bob"), Role.MANAGER);
    for (int i = 1; i <= 6; i++) {
      keys.associateDevice(i % 2 == 0 ? BOB : ALICE, ACME, new NewDevice("AQ-" + i, "Monitor " + i, "Indoor"));
    }
    List<IssuedKey> issued = keys.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
    issued.forEach(k -> secrets.add(k.secret().reveal()));
    for (IssuedKey k : issued) {
      assertThat(validator.validate(k.secret().reveal(), k.key().deviceSerial()).status())
          .isEqualTo(Verdict.Status.VALID);
    }
    assertThatThrownBy(() -> keys.createKeys(BOB, ACME, NewKeys.forDevices("AQ-4")))
        .isInstanceOf(AccessDeniedException.class);
    clock.advance(Duration.ofMinutes(5));
    // planned rotation with overlap, and an immediate one
    IssuedKey rotated = keys.regenerateKey(ALICE, ACME, issued.get(0).key().id(), Duration.ofHours(1));
    secrets.add(rotated.secret().reveal());
    assertThat(validator.validate(issued.get(0).secret().reveal()).status()).isEqualTo(Verdict.Status.VALID);
    IssuedKey replaced = keys.regenerateKey(ALICE, ACME, issued.get(1).key().id());
    secrets.add(replaced.secret().reveal());
    assertThat(validator.validate(issued.get(1).secret().reveal()).status()).isEqualTo(Verdict.Status.REVOKED);
    assertThat(keys.revealSecret(ALICE, ACME, replaced.key().id()).reveal()).isEqualTo(replaced.secret().reveal());
    keys.editKey(ALICE, ACME, issued.get(2).key().id(), KeyEdit.label("rooftop").withExpiresAt(
        clock.instant().plus(Duration.ofDays(30))));
    keys.editKey(ALICE, ACME, issued.get(2).key().id(), KeyEdit.rebindTo("AQ-5"));
    keys.editKey(ALICE, ACME, issued.get(2).key().id(), KeyEdit.suspend());
    assertThat(validator.validate(issued.get(2).secret().reveal()).status()).isEqualTo(Verdict.Status.SUSPENDED);
    List<IssuedKey> more = keys.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-4"));
    more.forEach(k -> secrets.add(k.secret().reveal()));
    keys.deleteKey(ALICE, ACME, more.get(0).key().id());
    assertThat(validator.validate(more.get(0).secret().reveal()).status()).isEqualTo(Verdict.Status.UNKNOWN);
    keys.dissociateDevice(ALICE, ACME, "AQ-2");
    assertThat(keys.licenseUsage(ALICE, ACME).used()).isEqualTo(2);
    assertThat(keys.auditLog(ALICE, ACME, Long.MAX_VALUE, 1000)).hasSizeGreaterThan(15);
    assertThat(store.latestChangeSequence()).isGreaterThanOrEqualTo(9);
    return secrets;
  }

  /** Cells of every column of every Keyseat table that contain one of the needles. */
  List<String> scan(List<String> needles) throws SQLException {
    List<String> found = new ArrayList<>();
    int cells = 0;
    try (Connection c = database().connection()) {
      DatabaseMetaData md = c.getMetaData();
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          if (rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT).startsWith("keyseat_")) {
            tables.add(rs.getString("TABLE_NAME"));
          }
        }
      }
      assertThat(tables).as("every table of the V1 and V2 migrations").hasSize(12);
      for (String table : tables) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              cells++;
              Object value = rs.getObject(i);
              String text = value instanceof byte[] bytes
                  ? new String(bytes, StandardCharsets.ISO_8859_1) + " " + HexFormat.of().formatHex(bytes) + " "
                      + Base64.getEncoder().encodeToString(bytes)
                  : String.valueOf(value);
              for (String needle : needles) {
                if (text.contains(needle)) {
                  found.add(table + "." + rs.getMetaData().getColumnName(i));
                }
              }
            }
          }
        }
      }
    }
    assertThat(cells).as("cells scanned").isGreaterThan(200);
    return found;
  }

  @Test
  void afterAFullScenarioNoColumnOfAnyTableHoldsAnIssuedSecret() throws SQLException {
    List<String> secrets = fullScenario();
    assertThat(secrets).hasSize(6).doesNotHaveDuplicates();
    List<String> needles = new ArrayList<>();
    for (String s : secrets) {
      needles.add(s);
      needles.add(s.substring(s.indexOf('_') + 1)); // the body without the prefix
      needles.add(HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8)));
      needles.add(Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
    }
    assertThat(scan(needles)).isEmpty();

    // the scan does find a secret where one is. KeyManager refuses a pasted key in a name (R13),
    // so the secret is planted through the store, which enforces no rule.
    assertThatThrownBy(() -> keys.renameDevice(ALICE, ACME, "AQ-6", "key " + secrets.get(0)))
        .isInstanceOf(InvalidRequestException.class);
    store.inAccount(ACME, tx -> {
      tx.updateDevice(tx.device("AQ-6").orElseThrow().withName("key " + secrets.get(0)));
      return null;
    });
    assertThat(scan(List.of(secrets.get(0)))).contains(tableName("keyseat_device") + "." + columnName("name"));
  }

  String tableName(String lower) {
    return database().name().equals("H2") ? lower.toUpperCase(Locale.ROOT) : lower;
  }

  String columnName(String lower) {
    return tableName(lower);
  }
}
