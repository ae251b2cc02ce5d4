package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * R1 across nodes: 16 threads on two nodes with separate pools race to create keys, one device
 * at a time, for 100 devices of an account that has 50 licenses. Exactly 50 succeed and 50 get the
 * license-limit error, 20 times over. Run on each database by {@link DatabaseSuites}.
 */
abstract class TwoNodeRace {
  static final int LICENSES = 50;
  static final int DEVICES = 100;
  static final int THREADS = 16;
  static final int REPETITIONS = 20;

  abstract TestDatabase database();

  @Test
  void exactlyTheContractedNumberOfKeysIsCreatedAndTheRestHitTheLicenseLimit() throws Exception {
    TestDatabase db = database();
    db.clear();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS);
    List<Long> millis = new ArrayList<>();
    try (TwoNodes nodes = new TwoNodes(db, THREADS / 2, Clock.systemUTC())) {
      for (int rep = 0; rep < REPETITIONS; rep++) {
        AccountId account = AccountId.of("race-" + rep);
        nodes.a.manager().createAccount(OPS, account, new NewAccount("Race " + rep, UserId.of("alice"), LICENSES));
        Queue<String> serials = new ConcurrentLinkedQueue<>();
        List<String> all = new ArrayList<>();
        for (int d = 0; d < DEVICES; d++) {
          String serial = "R" + rep + "-" + d;
          all.add(serial);
          nodes.node(d).manager().associateDevice(ALICE, account, new NewDevice(serial, "Monitor " + d));
        }
        Collections.shuffle(all);
        serials.addAll(all);

        AtomicInteger created = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          var node = nodes.node(t);
          threads.add(executor.submit(() -> {
            start.await(10, TimeUnit.SECONDS);
            for (String serial = serials.poll(); serial != null; serial = serials.poll()) {
              try {
                node.manager().createKeys(ALICE, account, NewKeys.forDevices(serial));
                created.incrementAndGet();
              } catch (LicenseLimitException e) {
                assertThat(e.needed()).isEqualTo(1);
                assertThat(e.available()).isZero();
                refused.incrementAndGet();
              } catch (RuntimeException e) {
                unexpected.add(e);
              }
            }
            return null;
          }));
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Future<?> f : threads) {
          f.get(120, TimeUnit.SECONDS);
        }
        millis.add((System.nanoTime() - t0) / 1_000_000);

        assertThat(unexpected).as("repetition %d", rep).isEmpty();
        assertThat(created).as("keys created in repetition %d", rep).hasValue(LICENSES);
        assertThat(refused).as("license-limit refusals in repetition %d", rep).hasValue(DEVICES - LICENSES);
        assertThat(keysInDatabase(db, account)).isEqualTo(LICENSES);
        for (var node : List.of(nodes.a, nodes.b)) {
          assertThat(node.manager().licenseUsage(ALICE, account)).isEqualTo(new LicenseUsage(LICENSES, 0, LICENSES));
        }
      }
    } finally {
      executor.shutdownNow();
    }
    System.out.printf("race on %s: %d repetitions of %d threads x %d devices for %d licenses; ms per repetition %s%n",
        db.name(), REPETITIONS, THREADS, DEVICES, LICENSES, millis);
  }

  static int keysInDatabase(TestDatabase db, AccountId account) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM keyseat_api_key WHERE account_id = ?")) {
      ps.setString(1, account.value());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
