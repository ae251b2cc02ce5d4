package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.AlreadyExistsException;
import dev.keyseat.ApiKey;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.LicensesInUseException;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NotFoundException;
import dev.keyseat.UserId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 20,000 random management operations from 8 threads on two nodes (separate pools) against 6
 * accounts with few licenses, so that quotas are contended. R1–R3 are checked on every result,
 * by a checker that queries the database every 25 ms throughout, and in SQL at the end.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresSoakTest {
  static final int OPERATIONS = 20_000;
  static final int THREADS = 8;
  static final int ACCOUNTS = 6;
  static final int DEVICES_PER_ACCOUNT = 24;

  /** One statement, one snapshot: accounts with more keys than licenses (R1). */
  static final String OVER_QUOTA = "SELECT a.account_id FROM keyseat_account a"
      + " LEFT JOIN keyseat_api_key k ON k.account_id = a.account_id"
      + " GROUP BY a.account_id, a.contracted_licenses HAVING COUNT(k.key_id) > a.contracted_licenses";
  /** Keys sharing a device, or bound to a device of another account (R2). */
  static final String DEVICE_VIOLATIONS = "SELECT k.key_id FROM keyseat_api_key k"
      + " LEFT JOIN keyseat_device d ON d.serial = k.device_serial"
      + " WHERE d.serial IS NULL OR d.account_id <> k.account_id"
      + " OR k.device_serial IN (SELECT device_serial FROM keyseat_api_key GROUP BY device_serial HAVING COUNT(*) > 1)";

  final TestDatabase db = TestDatabases.postgres();
  /** What the workers believe exists: kept roughly right so that most operations aim at something real. */
  final Map<AccountId, List<KeyId>> knownKeys = new ConcurrentHashMap<>();
  final Map<AccountId, List<String>> knownDevices = new ConcurrentHashMap<>();
  final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  final List<Throwable> violations = Collections.synchronizedList(new ArrayList<>());

  static AccountId account(int i) {
    return AccountId.of("soak-" + i);
  }

  @Test
  void quotaOneKeyPerDeviceAndConservationHoldThroughout() throws Exception {
    db.clear();
    long seed = System.nanoTime();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS + 1);
    try (TwoNodes nodes = new TwoNodes(db, THREADS / 2 + 1, Clock.systemUTC())) {
      for (int i = 0; i < ACCOUNTS; i++) {
        nodes.a.manager().createAccount(OPS, account(i), new NewAccount("Soak " + i, UserId.of("alice"), 8));
        knownKeys.put(account(i), Collections.synchronizedList(new ArrayList<>()));
        knownDevices.put(account(i), Collections.synchronizedList(new ArrayList<>()));
        for (int d = 0; d < DEVICES_PER_ACCOUNT / 2; d++) {
          nodes.node(d).manager().associateDevice(ALICE, account(i), new NewDevice(serial(i, d), "Device " + d));
          knownDevices.get(account(i)).add(serial(i, d));
        }
      }
      AtomicInteger remaining = new AtomicInteger(OPERATIONS);
      CountDownLatch done = new CountDownLatch(1);
      AtomicLong checks = new AtomicLong();
      Future<?> checker = executor.submit(() -> {
        while (!done.await(25, TimeUnit.MILLISECONDS)) {
          checkInSql();
          checks.incrementAndGet();
        }
        return null;
      });
      long t0 = System.nanoTime();
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        KeyManager keys = nodes.node(t).manager();
        Random random = new Random(seed + t);
        workers.add(executor.submit(() -> {
          while (remaining.getAndDecrement() > 0) {
            step(keys, random);
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(300, TimeUnit.SECONDS);
      }
      long elapsed = (System.nanoTime() - t0) / 1_000_000;
      done.countDown();
      checker.get(30, TimeUnit.SECONDS);

      assertThat(violations).as("violations with seed %d", seed).isEmpty();
      checkInSql();
      checkFinalState(nodes);
      long total = outcomes.values().stream().mapToLong(LongAdder::sum).sum();
      assertThat(total).isEqualTo(OPERATIONS);
      assertThat(outcomes.get("ok createKeys").sum()).as("keys were created").isPositive();
      assertThat(outcomes.get("LicenseLimitException").sum()).as("quota was contended").isPositive();
      assertThat(checks.get()).as("checks during the soak").isPositive();
      System.out.printf("soak on %s: %d operations from %d threads on 2 nodes in %d ms (%.0f ops/s), %d SQL checks"
          + " during it, seed %d; outcomes %s%n", db.name(), OPERATIONS, THREADS, elapsed,
          OPERATIONS * 1000.0 / elapsed, checks.get(), seed, new TreeMap<>(outcomes));
    } finally {
      executor.shutdownNow();
    }
  }

  static String serial(int account, int device) {
    return "S" + account + "-" + device;
  }

  void count(String outcome) {
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
  }

  void checkUsage(LicenseUsage u) {
    if (u.used() > u.total() || u.available() != u.total() - u.used() || u.available() < 0) {
      violations.add(new AssertionError("R1/R3 violated by " + u));
    }
  }

  KeyId randomKey(AccountId account, Random random) {
    List<KeyId> known = knownKeys.get(account);
    synchronized (known) {
      return known.isEmpty() ? KeyId.of("key_nonexistent") : known.get(random.nextInt(known.size()));
    }
  }

  /** A device believed associated (usually), or any serial of the account (rarely). */
  String randomDevice(int a, Random random) {
    List<String> known = knownDevices.get(account(a));
    synchronized (known) {
      return known.isEmpty() || random.nextInt(10) == 0 ? serial(a, random.nextInt(DEVICES_PER_ACCOUNT))
          : known.get(random.nextInt(known.size()));
    }
  }

  void step(KeyManager keys, Random random) {
    int a = random.nextInt(ACCOUNTS);
    AccountId account = account(a);
    int op = random.nextInt(100);
    String name = op < 30 ? "createKeys" : op < 45 ? "deleteKey" : op < 55 ? "regenerateKey" : op < 65 ? "editKey"
        : op < 73 ? "associateDevice" : op < 80 ? "dissociateDevice" : op < 84 ? "contractLicenses"
        : op < 90 ? "cancelLicenses" : op < 95 ? "licenseUsage" : "keys";
    try {
      switch (name) {
        case "createKeys" -> {
          int n = 1 + random.nextInt(3);
          List<String> serials = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            String s = randomDevice(a, random);
            if (!serials.contains(s)) {
              serials.add(s);
            }
          }
          keys.createKeys(ALICE, account, NewKeys.forDevices(serials))
              .forEach(k -> knownKeys.get(account).add(k.key().id()));
        }
        case "deleteKey" -> forgetAfter(knownKeys.get(account), randomKey(account, random),
            id -> keys.deleteKey(ALICE, account, id));
        case "regenerateKey" -> keys.regenerateKey(ALICE, account, randomKey(account, random),
            random.nextBoolean() ? Duration.ZERO : Duration.ofHours(1));
        case "editKey" -> {
          int kind = random.nextInt(3);
          KeyEdit edit = kind == 0 ? KeyEdit.label("label " + random.nextInt(1000))
              : kind == 1 ? (random.nextBoolean() ? KeyEdit.suspend() : KeyEdit.resume())
              : KeyEdit.rebindTo(randomDevice(a, random));
          keys.editKey(ALICE, account, randomKey(account, random), edit);
        }
        case "associateDevice" -> {
          String serial = serial(a, random.nextInt(DEVICES_PER_ACCOUNT));
          keys.associateDevice(ALICE, account, new NewDevice(serial, "Device"));
          knownDevices.get(account).add(serial);
        }
        case "dissociateDevice" -> forgetAfter(knownDevices.get(account), randomDevice(a, random),
            serial -> keys.dissociateDevice(ALICE, account, serial));
        case "contractLicenses" -> checkUsage(keys.contractLicenses(OPS, account, 1 + random.nextInt(2)));
        case "cancelLicenses" -> checkUsage(keys.cancelLicenses(OPS, account, 1 + random.nextInt(2)));
        case "licenseUsage" -> checkUsage(keys.licenseUsage(ALICE, account));
        case "keys" -> {
          List<ApiKey> table = keys.keys(ALICE, account);
          LicenseUsage usage = keys.licenseUsage(ALICE, account);
          checkUsage(usage);
          if (table.stream().map(ApiKey::deviceSerial).distinct().count() != table.size()) {
            violations.add(new AssertionError("R2 violated in the keys table of " + account));
          }
          List<KeyId> known = knownKeys.get(account);
          synchronized (known) {
            known.clear();
            table.forEach(k -> known.add(k.id()));
          }
        }
        default -> throw new AssertionError(name);
      }
      count("ok " + name);
    } catch (LicenseLimitException | DeviceAlreadyHasKeyException | NotFoundException | AlreadyExistsException
        | LicensesInUseException | InvalidRequestException e) {
      count(e.getClass().getSimpleName());
    } catch (RuntimeException e) {
      count("unexpected " + e.getClass().getSimpleName());
      violations.add(e);
    }
  }

  void checkInSql() throws SQLException {
    try (Connection c = db.connection(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery(OVER_QUOTA)) {
        while (rs.next()) {
          violations.add(new AssertionError("R1 violated: account " + rs.getString(1) + " has more keys than licenses"));
        }
      }
      try (ResultSet rs = st.executeQuery(DEVICE_VIOLATIONS)) {
        while (rs.next()) {
          violations.add(new AssertionError("R2 violated by key " + rs.getString(1)));
        }
      }
    }
  }

  void checkFinalState(TwoNodes nodes) throws SQLException {
    assertThat(violations).isEmpty();
    try (Connection c = db.connection(); Statement st = c.createStatement()) {
      for (int i = 0; i < ACCOUNTS; i++) {
        AccountId account = account(i);
        int keys;
        int licenses;
        try (PreparedStatement ps = c.prepareStatement("SELECT contracted_licenses,"
            + " (SELECT COUNT(*) FROM keyseat_api_key k WHERE k.account_id = a.account_id)"
            + " FROM keyseat_account a WHERE account_id = ?")) {
          ps.setString(1, account.value());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            licenses = rs.getInt(1);
            keys = rs.getInt(2);
          }
        }
        assertThat(keys).isLessThanOrEqualTo(licenses);
        // R3 from both nodes agrees with the rows
        for (var node : List.of(nodes.a, nodes.b)) {
          assertThat(node.manager().licenseUsage(ALICE, account)).isEqualTo(new LicenseUsage(keys, licenses - keys,
              licenses));
          assertThat(node.manager().keys(ALICE, account)).hasSize(keys);
        }
      }
      // each account's audit log is numbered 1..n without gaps
      try (ResultSet rs = st.executeQuery("SELECT account_id, COUNT(*), MIN(seq), MAX(seq) FROM keyseat_audit"
          + " GROUP BY account_id")) {
        while (rs.next()) {
          assertThat(rs.getLong(3)).isEqualTo(1);
          assertThat(rs.getLong(4)).as("audit of %s", rs.getString(1)).isEqualTo(rs.getLong(2));
        }
      }
      // the feed is numbered 1..n without gaps, and the counter agrees (on PostgreSQL a feed read
      // numbers what committed since the last one)
      long latest = nodes.storeB.latestChangeSequence();
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*), MIN(seq), MAX(seq),"
          + " (SELECT last_seq FROM keyseat_change_seq) FROM keyseat_change")) {
        rs.next();
        assertThat(rs.getLong(1)).isPositive();
        assertThat(rs.getLong(2)).isEqualTo(1);
        assertThat(rs.getLong(3)).isEqualTo(rs.getLong(1)).isEqualTo(rs.getLong(4)).isEqualTo(latest);
      }
      db.assertKeyCountsMatchKeys();
    }
  }

  /**
   * Runs {@code removal} on {@code item}, then forgets the item whether it succeeded or not: after
   * a refusal (another thread removed it first) it is gone too.
   */
  static <T> void forgetAfter(List<T> known, T item, Consumer<T> removal) {
    try {
      removal.accept(item);
    } finally {
      known.remove(item);
    }
  }
}
