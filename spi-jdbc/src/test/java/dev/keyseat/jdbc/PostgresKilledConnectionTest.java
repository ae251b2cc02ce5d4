package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.SecretVault;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A connection killed from another session ({@code pg_terminate_backend}) in the middle of a batch
 * creation of 50 keys: the batch leaves no trace, the caller gets {@link StoreUnavailableException},
 * and the same call succeeds when retried.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresKilledConnectionTest {
  static final AccountId ACME = AccountId.of("acme");
  static final String NODE = "victim-node";

  final TestDatabase db = TestDatabases.postgres();

  /** Terminates the backend of the node's open transaction and waits until it is gone. */
  boolean killTheOpenTransaction() {
    try (Connection admin = db.connection(); PreparedStatement ps = admin.prepareStatement(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            + " WHERE application_name = ? AND state = 'idle in transaction'")) {
      ps.setString(1, NODE);
      List<Boolean> killed = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          killed.add(rs.getBoolean(1));
        }
      }
      return killed.equals(List.of(true));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, ACME.value());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void aBatchWhoseConnectionIsKilledLeavesNoTraceAndSucceedsWhenRetried() throws SQLException {
    db.clear();
    AtomicInteger sealed = new AtomicInteger();
    AtomicReference<Boolean> killed = new AtomicReference<>();
    SecretVault aes = SecretVault.aesGcm(new SecretKeySpec(new byte[16], "AES"));
    // The vault seals each key's secret inside the transaction, before the batch of inserts: the
    // 25th seal kills the connection, and the batch then meets a dead connection.
    SecretVault killer = new SecretVault() {
      @Override
      public byte[] seal(KeyId keyId, String secret) {
        if (sealed.incrementAndGet() == 25 && killed.get() == null) {
          killed.set(killTheOpenTransaction());
        }
        return aes.seal(keyId, secret);
      }

      @Override
      public String open(KeyId keyId, byte[] sealedSecret) {
        return aes.open(keyId, sealedSecret);
      }
    };
    try (HikariDataSource pool = db.newPool(NODE, 4)) {
      JdbcKeyStore store = JdbcKeyStore.builder(pool).build();
      Keyseat keyseat = Keyseat.builder(store).secretVault(killer).build();
      KeyManager keys = keyseat.manager();
      keys.createAccount(OPS, ACME, new NewAccount("Acme", UserId.of("alice"), 100));
      List<String> serials = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        serials.add("AQ-" + i);
        keys.associateDevice(ALICE, ACME, new NewDevice("AQ-" + i, "Monitor " + i));
      }
      long audit = count("SELECT COUNT(*) FROM keyseat_audit WHERE account_id = ?");
      long feed = store.latestChangeSequence();

      assertThatThrownBy(() -> keys.createKeys(ALICE, ACME, NewKeys.forDevices(serials)))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("nothing was changed");
      assertThat(killed.get()).as("exactly the open transaction was terminated").isTrue();
      assertThat(sealed.get()).as("every secret is sealed before the one batch of inserts").isEqualTo(50);

      assertThat(count("SELECT COUNT(*) FROM keyseat_api_key WHERE account_id = ?")).isZero();
      assertThat(count("SELECT COUNT(*) FROM keyseat_audit WHERE account_id = ?")).isEqualTo(audit);
      assertThat(count("SELECT COUNT(*) FROM keyseat_change WHERE account_id = ?")).isZero();
      assertThat(store.latestChangeSequence()).isEqualTo(feed);
      assertThat(keys.licenseUsage(ALICE, ACME).used()).isZero();

      List<IssuedKey> issued = keys.createKeys(ALICE, ACME, NewKeys.forDevices(serials));
      assertThat(issued).hasSize(50);
      assertThat(count("SELECT COUNT(*) FROM keyseat_api_key WHERE account_id = ?")).isEqualTo(50);
      assertThat(store.latestChangeSequence()).isEqualTo(feed + 50);
      for (IssuedKey k : issued) {
        assertThat(keyseat.storeValidator().validate(k.secret().reveal(), k.key().deviceSerial()).status())
            .isEqualTo(Verdict.Status.VALID);
      }
    }
  }
}
