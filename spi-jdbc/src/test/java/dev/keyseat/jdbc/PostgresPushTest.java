package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.PostgresRevocationTest.ACME;
import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.PostgresRevocationTest.keysForDevices;
import static dev.keyseat.jdbc.PostgresRevocationTest.secret;
import static dev.keyseat.jdbc.PostgresRevocationTest.untilRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Verdict.Status;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Push invalidation across nodes on PostgreSQL: node A's commits {@code NOTIFY}, node B's
 * validator listens on a connection of its own pool and reads the feed at once. B's poller runs
 * on a {@link ManualScheduler} that the test never advances in the first test, so only a
 * notification can make B refuse a revoked key (the "poll interval" is infinite); the second test
 * kills the listening connection ({@code pg_terminate_backend}) and shows that polling still
 * refuses every revocation at B's next poll, and that the listener comes back by itself.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresPushTest {
  static final int REVOCATIONS = 200;
  static final Duration POLL = Duration.ofSeconds(10);
  /** Far below the poll interval; what a run on a loaded build machine still meets. */
  static final Duration PUSH_BOUND = Duration.ofSeconds(1);
  static final String LISTENER_POOL = "node-b-listen";
  /** How often B is asked while a revocation is on its way: every 20 µs (push is fast). */
  private static final long POLL_NANOS = 20_000;

  /** Two nodes, B with a separate pool for its listening connection. */
  private static final class Cluster implements AutoCloseable {
    final MutableClock clock = new MutableClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final HikariDataSource poolA;
    final HikariDataSource poolB;
    final HikariDataSource listenB;
    final FaultyDataSource listenBFaulty;
    final Keyseat a;
    final Keyseat b;

    Cluster(TestDatabase db) {
      poolA = db.newPool("node-a", 4);
      poolB = db.newPool("node-b", 4);
      listenB = db.newPool(LISTENER_POOL, 1);
      listenBFaulty = new FaultyDataSource(listenB);
      a = Keyseat.builder(JdbcKeyStore.builder(poolA).build()).clock(clock).build();
      b = Keyseat.builder(JdbcKeyStore.builder(poolB).notificationDataSource(listenBFaulty).build())
          .clock(clock).build();
    }

    CachedKeyValidator validatorB() {
      return b.validator().scheduler(scheduler).feedPollInterval(POLL).maxStaleness(Duration.ofMinutes(5)).build();
    }

    @Override
    public void close() {
      poolA.close();
      poolB.close();
      listenB.close();
    }
  }

  @Test
  void everyRevocationOnNodeAIsRefusedByNodeBThroughPushLongBeforeAnyPoll() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    try (Cluster cluster = new Cluster(db)) {
      KeyManager a = cluster.a.manager();
      List<IssuedKey> keys = keysForDevices(a, REVOCATIONS);
      IssuedKey rotated = a.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-ROT")).get(0);
      try (CachedKeyValidator b = cluster.validatorB()) {
        awaitListening(db);
        List<Duration> delays = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < REVOCATIONS; i++) {
          switch (i % 3) {
            case 0 -> {
              IssuedKey k = keys.get(next++);
              assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
              a.deleteKey(ALICE, ACME, k.key().id());
              delays.add(untilRefused(b, secret(k), Status.UNKNOWN, System.nanoTime(), POLL_NANOS));
            }
            case 1 -> {
              String old = secret(rotated);
              assertThat(b.validate(old).status()).isEqualTo(Status.VALID);
              rotated = a.regenerateKey(ALICE, ACME, rotated.key().id());
              delays.add(untilRefused(b, old, Status.REVOKED, System.nanoTime(), POLL_NANOS));
            }
            default -> {
              IssuedKey k = keys.get(next++);
              assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
              a.editKey(ALICE, ACME, k.key().id(), KeyEdit.suspend());
              delays.add(untilRefused(b, secret(k), Status.SUSPENDED, System.nanoTime(), POLL_NANOS));
            }
          }
        }
        assertThat(cluster.scheduler.activeTasks()).as("B's poller is scheduled, never run").contains("feed-poller");
        System.out.printf("push invalidation across nodes (PostgreSQL LISTEN/NOTIFY, B never polled): %d"
                + " revocations (delete, regenerate, suspend) from the return of node A's call to node B's refusal:"
                + " p50 %.1f ms, p99 %.1f ms, max %.1f ms; load average %s on %d cores%n",
            delays.size(), percentile(delays, 50), percentile(delays, 99), percentile(delays, 100),
            loadAverage(), Runtime.getRuntime().availableProcessors());
        assertThat(delays).hasSize(REVOCATIONS).allMatch(d -> d.compareTo(PUSH_BOUND) <= 0);
      }
    }
  }

  @Test
  void withTheListeningConnectionKilledEveryRevocationIsRefusedAtTheNextPollAndPushComesBack() throws Exception {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    try (Cluster cluster = new Cluster(db)) {
      KeyManager a = cluster.a.manager();
      List<IssuedKey> keys = keysForDevices(a, 20);
      try (CachedKeyValidator b = cluster.validatorB()) {
        awaitListening(db);
        // the listener cannot come back while its data source is down: only polling is left
        cluster.listenBFaulty.down(true);
        assertThat(terminateListener(db)).as("listening connections terminated").isEqualTo(1);
        for (int i = 0; i < 10; i++) {
          IssuedKey k = keys.get(i);
          assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
          a.deleteKey(ALICE, ACME, k.key().id());
          cluster.scheduler.advance(POLL.minusMillis(1));
          assertThat(b.validate(secret(k)).status()).as("no push, no poll yet").isEqualTo(Status.VALID);
          cluster.scheduler.advance(Duration.ofMillis(1));
          assertThat(b.validate(secret(k)).status()).as("refused at B's next poll").isEqualTo(Status.UNKNOWN);
        }

        cluster.listenBFaulty.down(false);
        awaitListening(db);
        for (int i = 10; i < 20; i++) {
          IssuedKey k = keys.get(i);
          assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
          a.deleteKey(ALICE, ACME, k.key().id());
          Duration d = untilRefused(b, secret(k), Status.UNKNOWN, System.nanoTime(), POLL_NANOS);
          assertThat(d).as("pushed again, without a poll").isLessThanOrEqualTo(PUSH_BOUND);
        }
      }
    }
  }

  /** Waits (at most 15 s: the listener's backoff is at most 5 s) until B's listener has a connection. */
  private static void awaitListening(TestDatabase db) {
    await("node B's listener runs LISTEN", () -> listeners(db) == 1);
  }

  private static int listeners(TestDatabase db) {
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
            + LISTENER_POOL + "' AND query LIKE 'LISTEN%'")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Finds the listener's backend first, then terminates it by pid (never this connection's). */
  private static int terminateListener(TestDatabase db) throws SQLException {
    List<Integer> pids = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = '"
          + LISTENER_POOL + "' AND query LIKE 'LISTEN%'")) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
      for (int pid : pids) {
        try (ResultSet rs = s.executeQuery("SELECT pg_terminate_backend(" + pid + ")")) {
          rs.next();
        }
      }
    }
    return pids.size();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** @return the 1-minute load average, or "unknown" off Linux */
  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** @return the nearest-rank percentile in milliseconds (100: the maximum) */
  static double percentile(List<Duration> delays, int p) {
    long[] sorted = delays.stream().mapToLong(Duration::toNanos).sorted().toArray();
    int rank = Math.max(1, (int) Math.ceil(p / 100.0 * sorted.length));
    return sorted[rank - 1] / 1e6;
  }
}
