package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ACME;
import static dev.keyseat.jdbc.Fixtures.GLOBEX;
import static dev.keyseat.jdbc.Fixtures.account;
import static dev.keyseat.jdbc.Fixtures.device;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.spi.AccountTransaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Failures and retries on both databases, and a real deadlock on PostgreSQL. */
class JdbcFailureTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends FailureTests {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends FailureTests {
    @Override
    TestDatabase database() {
      return TestDatabases.h2();
    }
  }

  @Nested
  @DisplayName("a real deadlock on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class RealDeadlock {
    final ExecutorService executor = Executors.newCachedThreadPool();
    final TestDatabase db = TestDatabases.postgres();
    final AtomicInteger runs = new AtomicInteger();

    @AfterEach
    void stop() {
      executor.shutdownNow();
    }

    /**
     * This store's transaction holds acme's row lock and waits for a device serial that another
     * session inserted; that session then asks for acme's row lock. PostgreSQL breaks the cycle
     * after deadlock_timeout (1 s) by failing this store's transaction, since the other session
     * waits 10 s before checking; the other session then gives way.
     */
    boolean deadlockThenInsert(JdbcKeyStore store) throws Exception {
      db.clear();
      store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 1)));
      store.inAccount(GLOBEX, tx -> tx.insertAccount(account(GLOBEX, 1)));
      try (HikariDataSource pool = db.newPool("deadlock-other", 1); Connection other = pool.getConnection()) {
        other.setAutoCommit(false);
        try (Statement st = other.createStatement()) {
          st.execute("SET deadlock_timeout = '10s'");
          st.execute("INSERT INTO keyseat_device (serial, account_id, name, model, associated_at)"
              + " VALUES ('AQ-1', 'globex', 'held', '', 0)");
        }
        CompletableFuture<Void> rowLocked = new CompletableFuture<>();
        Future<Boolean> mine = executor.submit(() -> store.inAccount(ACME, tx -> {
          runs.incrementAndGet();
          tx.account(); // the first call locks the account row
          rowLocked.complete(null);
          return tx.insertDevice(device(ACME, "AQ-1"));
        }));
        rowLocked.get(30, TimeUnit.SECONDS);
        Future<Boolean> theirs = executor.submit(() -> {
          try (PreparedStatement ps = other.prepareStatement(
              "SELECT account_id FROM keyseat_account WHERE account_id = 'acme' FOR UPDATE");
              ResultSet rs = ps.executeQuery()) {
            boolean locked = rs.next();
            other.rollback();
            return locked;
          }
        });
        try {
          return mine.get(60, TimeUnit.SECONDS);
        } finally {
          assertThat(theirs.get(60, TimeUnit.SECONDS)).as("the other session got the lock").isTrue();
        }
      }
    }

    @Test
    void theDeadlockVictimIsRunAgainAndSucceeds() throws Exception {
      JdbcKeyStore store = db.storeBuilder().maxAttempts(3).build();
      assertThat(deadlockThenInsert(store)).isTrue();
      // Run again at least once; on a loaded machine the other session may ask for the row lock
      // only after this one's first deadlock check, so the cycle can cost a second round.
      assertThat(runs.get()).as("attempts of the deadlock victim").isBetween(2, 3);
      assertThat(store.readAccount(ACME, AccountTransaction::devices)).hasSize(1);
    }

    @Test
    void withoutRetriesTheDeadlockSurfacesAsUnavailable() {
      JdbcKeyStore store = db.storeBuilder().maxAttempts(1).build();
      assertThatThrownBy(() -> deadlockThenInsert(store))
          .hasRootCauseInstanceOf(org.postgresql.util.PSQLException.class)
          .rootCause().hasMessageContaining("deadlock detected");
      assertThat(runs).hasValue(1);
      assertThat(store.readAccount(ACME, AccountTransaction::devices)).isEmpty();
    }
  }

  @Test
  void retriableFailuresAreClassifiedPerDatabase() {
    Dialect pg = new Dialect.Postgres();
    Dialect h2 = new Dialect.H2();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "40001"))).isTrue();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "40P01"))).isTrue();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "55P03"))).isTrue();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "23505"))).isFalse();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "08006"))).isFalse();
    assertThat(pg.isRetriable(new java.sql.SQLException("x", "57P01"))).isFalse();
    assertThat(h2.isRetriable(new java.sql.SQLException("x", "HYT00", 50200))).isTrue();
    assertThat(h2.isRetriable(new java.sql.SQLException("x", "90131", 90131))).isTrue();
    assertThat(h2.isRetriable(new java.sql.SQLException("x", "40001", 40001))).isTrue();
    assertThat(h2.isRetriable(new java.sql.SQLException("x", "23505", 23505))).isFalse();
    java.sql.BatchUpdateException batch = new java.sql.BatchUpdateException("batch", "XX000", new int[0]);
    batch.setNextException(new java.sql.SQLException("x", "40P01"));
    assertThat(pg.isRetriable(batch)).as("a deadlock reported inside a batch").isTrue();
  }
}
