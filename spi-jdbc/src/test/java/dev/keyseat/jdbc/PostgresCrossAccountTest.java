package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.ApiKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.UsageDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Writers of different accounts on PostgreSQL share no lock: a client that stalls inside its
 * transaction — even one cut off after writing its change feed row, just before COMMIT — delays
 * neither other accounts' key changes nor the numbering of their feed entries, and writers of its
 * own account wait no longer than the lock timeout. Usage flushes, suspensions and batch changes
 * running together never deadlock.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresCrossAccountTest {
  static final AccountId STALLED = AccountId.of("stalled");

  TestDatabase db;
  HikariDataSource pool;
  JdbcKeyStore store;
  KeyManager manager;
  ExecutorService executor;

  @BeforeEach
  void start() {
    db = TestDatabases.postgres();
    db.clear();
    pool = db.newPool("cross-account", 12);
    store = JdbcKeyStore.builder(pool).build();
    manager = Keyseat.builder(store).build().manager();
    executor = Executors.newCachedThreadPool();
  }

  @AfterEach
  void stop() {
    executor.shutdownNow();
    pool.close();
  }

  private AccountId account(String id, int licenses, int devices) {
    return Fixtures.accountWithDevices(manager, ALICE, id, licenses, devices);
  }

  /** Creates a key for each device of each account, one call per key, and gives each call's time. */
  private List<Long> createOneByOne(List<AccountId> accounts, int devices, int firstDevice) throws Exception {
    List<Future<List<Long>>> running = new ArrayList<>();
    for (AccountId account : accounts) {
      running.add(executor.submit(() -> {
        List<Long> nanos = new ArrayList<>();
        for (int d = firstDevice; d < firstDevice + devices; d++) {
          long t0 = System.nanoTime();
          manager.createKeys(ALICE, account, NewKeys.forDevices(account.value() + "-" + d));
          nanos.add(System.nanoTime() - t0);
        }
        return nanos;
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> f : running) {
      all.addAll(f.get(60, TimeUnit.SECONDS)); // a bounded wait: they complete while the lock is held
    }
    return all;
  }

  private static long p99(List<Long> nanos) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return sorted[Math.max(0, (int) Math.ceil(sorted.length * 0.99) - 1)];
  }

  @Test
  void aStalledTransactionOfOneAccountDelaysNeitherOtherAccountsNorTheirFeedEntries() throws Exception {
    account("stalled", 5, 0);
    List<AccountId> others = new ArrayList<>();
    int perAccount = 20;
    for (int a = 0; a < 4; a++) {
      others.add(account("other" + a, 2 * perAccount, 2 * perAccount));
    }
    long cursor = store.latestChangeSequence();
    List<Long> undisturbed = createOneByOne(others, perAccount, 0);
    cursor += others.size() * perAccount;
    assertThat(store.latestChangeSequence()).isEqualTo(cursor);

    try (Connection stalled = db.dataSource().getConnection()) {
      // A client of account "stalled" locked its row, wrote a feed entry, and went silent before COMMIT.
      stalled.setAutoCommit(false);
      try (Statement st = stalled.createStatement()) {
        st.execute("SELECT 1 FROM keyseat_account WHERE account_id = 'stalled' FOR UPDATE");
        st.execute("INSERT INTO keyseat_change (type, account_id, key_id, hashes, at)"
            + " VALUES ('DELETED', 'stalled', 'key_stalled1234', decode(repeat('ab', 32), 'hex'), 0)");
      }

      List<Long> disturbed = createOneByOne(others, perAccount, perAccount);

      // every other account's change is numbered and readable, gapless, while the stalled one is open
      List<ChangeEvent> events = store.changesSince(cursor, 1000);
      assertThat(events).hasSize(others.size() * perAccount);
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).sequence()).isEqualTo(cursor + 1 + i);
        assertThat(events.get(i).accountId()).isNotEqualTo(STALLED);
      }
      cursor += events.size();
      // a writer of the stalled account waits no longer than the lock timeout, then gives up
      JdbcKeyStore impatient = db.storeBuilder().lockTimeout(Duration.ofMillis(200)).maxAttempts(1).build();
      assertThatThrownBy(() -> impatient.inAccount(STALLED, tx -> tx.keyCount()))
          .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("55P03");
      System.out.printf("[cross-account] %d other accounts, key creation p99 undisturbed %.1f ms,"
              + " with another account's transaction stalled %.1f ms (ratio %.2f)%n", others.size(),
          p99(undisturbed) / 1e6, p99(disturbed) / 1e6, (double) p99(disturbed) / p99(undisturbed));

      stalled.commit();
    }
    // the stalled entry, once committed, is numbered after everything a poller has already read
    List<ChangeEvent> late = store.changesSince(cursor, 10);
    assertThat(late).extracting(ChangeEvent::sequence).containsExactly(cursor + 1);
    assertThat(late.get(0).accountId()).isEqualTo(STALLED);
  }

  private long deadlocks() throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_stat_clear_snapshot()");
      try (ResultSet rs = st.executeQuery(
          "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void usageFlushesSuspensionsAndBatchChangesTogetherNeverDeadlock() throws Exception {
    int accounts = 3;
    int stable = 30;
    int churn = 10;
    int rounds = 25;
    List<AccountId> ids = new ArrayList<>();
    List<String> stableKeys = new ArrayList<>();
    for (int a = 0; a < accounts; a++) {
      AccountId id = account("mixed" + a, stable + churn, stable + churn);
      ids.add(id);
      List<String> serials = new ArrayList<>();
      for (int d = 0; d < stable; d++) {
        serials.add(id.value() + "-" + d);
      }
      manager.createKeys(ALICE, id, NewKeys.forDevices(serials))
          .forEach(k -> stableKeys.add(k.key().id().value()));
    }
    pool.close(); // the statistics of every backend so far are flushed when it exits
    long before = deadlocks();
    pool = db.newPool("cross-account", 12);
    // one attempt: a deadlock would surface as an exception instead of being retried away
    store = JdbcKeyStore.builder(pool).lockTimeout(Duration.ofSeconds(30)).maxAttempts(1).build();
    manager = Keyseat.builder(store).build().manager();

    AtomicLong flushed = new AtomicLong();
    List<Future<?>> running = new ArrayList<>();
    for (int f = 0; f < 2; f++) {
      running.add(executor.submit(() -> {
        for (int r = 0; r < rounds * 2; r++) {
          List<UsageDelta> batch = new ArrayList<>();
          for (String key : stableKeys) {
            batch.add(new UsageDelta(dev.keyseat.KeyId.of(key), Instant.now(), 1));
          }
          store.recordUsage(batch);
          flushed.addAndGet(batch.size());
        }
        return null;
      }));
    }
    for (AccountId id : ids) {
      running.add(executor.submit(() -> { // suspensions: the newest keys first, then resumed
        for (int r = 0; r < rounds; r++) {
          manager.cancelLicenses(OPS, id, churn + 5, OverLimitStrategy.SUSPEND_NEWEST);
          manager.contractLicenses(OPS, id, churn + 5);
          for (ApiKey k : manager.keys(ALICE, id)) {
            if (k.status() == dev.keyseat.KeyStatus.SUSPENDED) {
              try {
                manager.editKey(ALICE, id, k.id(), KeyEdit.resume());
              } catch (dev.keyseat.NotFoundException deletedMeanwhile) {
                // a churn key, deleted by the batch thread since the listing
              }
            }
          }
        }
        return null;
      }));
      running.add(executor.submit(() -> { // batch changes: create and delete ten keys at a time
        List<String> serials = new ArrayList<>();
        for (int d = stable; d < stable + churn; d++) {
          serials.add(id.value() + "-" + d);
        }
        for (int r = 0; r < rounds; r++) {
          try {
            manager.createKeys(ALICE, id, NewKeys.forDevices(serials));
          } catch (dev.keyseat.LicenseLimitException busy) {
            continue; // licenses cancelled by the suspension thread just now
          }
          for (String serial : serials) {
            manager.deleteKey(ALICE, id, manager.keyOfDevice(ALICE, id, serial).id());
          }
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get(300, TimeUnit.SECONDS);
    }
    pool.close(); // each backend reports its statistics as it exits
    assertThat(deadlocks() - before).as("deadlocks detected by PostgreSQL").isZero();
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT SUM(use_count) FROM keyseat_api_key WHERE key_id IN (" + String.join(",",
            stableKeys.stream().map(k -> "'" + k + "'").toList()) + ")"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      assertThat(rs.getLong(1)).as("every flushed use counted once").isEqualTo(flushed.get());
    }
    db.assertKeyCountsMatchKeys();
  }
}
