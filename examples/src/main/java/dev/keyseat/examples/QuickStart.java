package dev.keyseat.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccessDeniedException;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.JdbcKeyStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The "API Keys" page as a story, on an embedded H2 database: an account contracts 3 licenses,
 * associates 4 air monitors, creates keys for 2 of them, validates, regenerates, and frees a
 * license by deleting a key. Then a gateway-style validation run measures validations per second.
 */
public final class QuickStart {
  private QuickStart() {}

  /** Runs the story on a fresh embedded H2 database in a temporary directory, then a 2 s validation run. */
  public static void main(String[] args) {
    demo(Duration.ofSeconds(2), System.out);
  }

  /**
   * The whole demo: a fresh H2 database file in a temporary directory (deleted afterwards), the
   * story, then validating the story's keys for {@code validationRun}.
   */
  static void demo(Duration validationRun, PrintStream out) {
    Path dir;
    try {
      dir = Files.createTempDirectory("keyseat-quickstart");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:file:" + dir.resolve("keyseat").toAbsolutePath());
    config.setPoolName("quickstart");
    config.setMaximumPoolSize(4);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      Keyseat keyseat = Keyseat.builder(JdbcKeyStore.builder(pool).createSchemaIfMissing(true).build()).build();
      out.println("0. Embedded H2 database in " + dir + " (schema created from migration/h2/V1__keyseat_schema.sql).");
      try (CachedKeyValidator validator = keyseat.validator().build()) {
        List<IssuedKey> live = run(keyseat, validator, out);
        measure(validator, live, validationRun, out);
      }
      out.println("12. The validator counted usage without locks and flushed it in one batch when it closed:");
      printTable(keyseat.manager().keys(Actor.user("alice"), AccountId.of("acme")), out);
    } finally {
      deleteRecursively(dir);
    }
  }

  /**
   * Runs the story on any Keyseat and prints it to {@code out}.
   *
   * @return the keys alive at the end, with their secrets
   */
  public static List<IssuedKey> run(Keyseat keyseat, KeyValidator validator, PrintStream out) {
    KeyManager keys = keyseat.manager();

    Actor operator = Actor.operator("ops");
    Actor admin = Actor.user("alice");
    Actor manager = Actor.user("bob");
    AccountId acme = AccountId.of("acme");

    keys.createAccount(operator, acme, new NewAccount("Acme Air", UserId.of("alice"), 0));
    keys.contractLicenses(operator, acme, 3);
    keys.addMember(admin, acme, UserId.of("bob"), Role.MANAGER);
    out.println("1. Operator contracted 3 API licenses for Acme Air; alice is ADMIN, bob is MANAGER.");

    keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1002", "Meeting room", "Indoor Air Monitor"));
    keys.associateDevice(manager, acme, new NewDevice("AQ-1003", "Kitchen", "Indoor Air Monitor"));
    keys.associateDevice(manager, acme, new NewDevice("AQ-1004", "Warehouse", "Outdoor Air Monitor"));
    out.println("2. Associated 4 devices: AQ-1001 Lobby, AQ-1002 Meeting room, AQ-1003 Kitchen, AQ-1004 Warehouse.");

    List<IssuedKey> issued = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001", "AQ-1002"));
    out.println("3. Created keys for 2 selected devices (each secret is shown once):");
    for (IssuedKey k : issued) {
      out.printf("     %s  %-8s  %s%n", k.key().id(), k.key().deviceSerial(), k.secret().reveal());
    }

    out.println("4. The keys table:");
    printTable(keys.keys(admin, acme), out);
    out.println("5. License usage: " + keys.licenseUsage(admin, acme));

    try {
      keys.createKeys(manager, acme, NewKeys.forDevices("AQ-1003"));
    } catch (AccessDeniedException e) {
      out.println("6. Manager refused: " + e.getMessage());
    }

    String lobbyKey = issued.get(0).secret().reveal();
    out.println("7. Validate the lobby key for AQ-1001: " + validator.validate(lobbyKey, "AQ-1001").status()
        + "; for AQ-1002: " + validator.validate(lobbyKey, "AQ-1002").status()
        + "; a typo: " + validator.validate(typo(lobbyKey)).status());

    IssuedKey regenerated = keys.regenerateKey(admin, acme, issued.get(0).key().id());
    out.println("8. Regenerated " + regenerated.key().id() + ": old secret "
        + validator.validate(lobbyKey).status() + ", new secret "
        + validator.validate(regenerated.secret().reveal()).status());

    keys.deleteKey(admin, acme, issued.get(1).key().id());
    out.println("9. Deleted the meeting-room key: " + keys.licenseUsage(admin, acme) + "; its secret is now "
        + validator.validate(issued.get(1).secret().reveal()).status());
    List<IssuedKey> reused = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1003", "AQ-1004"));
    out.println("10. The freed license went to the kitchen and warehouse monitors: "
        + reused.stream().map(k -> k.key().deviceSerial()).toList() + "; " + keys.licenseUsage(admin, acme));
    printTable(keys.keys(admin, acme), out);

    List<IssuedKey> live = new ArrayList<>(reused);
    live.add(regenerated);
    return live;
  }

  /** Validates the live keys round-robin, each with its device, for {@code duration} on one thread. */
  static void measure(KeyValidator validator, List<IssuedKey> live, Duration duration, PrintStream out) {
    String[] secrets = live.stream().map(k -> k.secret().reveal()).toArray(String[]::new);
    String[] serials = live.stream().map(k -> k.key().deviceSerial()).toArray(String[]::new);
    out.printf("11. Validating the %d live keys as a gateway would, for %d ms on one thread:%n",
        secrets.length, duration.toMillis());
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long nextReport = start + duration.toNanos() / 4;
    long count = 0;
    long refused = 0;
    long now = start;
    while (now < end) {
      for (int i = 0; i < 1024; i++) {
        int k = (int) (count++ % secrets.length);
        if (!validator.validate(secrets[k], serials[k]).isValid()) {
          refused++;
        }
      }
      now = System.nanoTime();
      if (now >= nextReport && now < end) {
        out.printf(Locale.ROOT, "     ... %,d validations%n", count);
        nextReport += duration.toNanos() / 4;
      }
    }
    double seconds = (now - start) / 1e9;
    out.printf(Locale.ROOT, "     %,d validations in %.2f s: %,.0f validations per second, %d refused%n",
        count, seconds, count / seconds, refused);
  }

  /** The key with its last character changed, as a mistyped copy would be. */
  private static String typo(String key) {
    char last = key.charAt(key.length() - 1);
    return key.substring(0, key.length() - 1) + (last == 'x' ? 'y' : 'x');
  }

  private static void printTable(List<ApiKey> rows, PrintStream out) {
    out.printf("     %-14s %-9s %-22s %-9s %-12s %-22s %s%n", "DEVICE", "SERIAL", "CREATED", "STATUS", "HINT",
        "LAST USED", "USES");
    for (ApiKey k : rows) {
      out.printf(Locale.ROOT, "     %-14s %-9s %-22s %-9s %-12s %-22s %,d%n", k.deviceName(), k.deviceSerial(),
          k.createdAt().toString().substring(0, 19) + "Z", k.status(), k.hint(),
          k.lastUsedAt() == null ? "never" : k.lastUsedAt().toString().substring(0, 19) + "Z", k.useCount());
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
