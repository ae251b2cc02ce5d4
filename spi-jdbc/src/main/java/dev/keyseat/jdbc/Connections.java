package dev.keyseat.jdbc;

import dev.keyseat.StoreUnavailableException;
import dev.keyseat.jdbc.Dialect.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the store opens connections; every read and write runs through
 * {@link #inTransaction}. It takes a pooled connection, prepares it for the {@link Mode}, runs the
 * work, commits (rolls back if anything at all was thrown), runs the work again if the database
 * rolled it back for a deadlock or a serialization failure (with jittered exponential backoff),
 * turns the remaining {@link SQLException}s into {@link StoreUnavailableException}s that give the
 * SQLState and error code but never a data value, restores what it changed on the connection and
 * hands it back to the pool.
 */
final class Connections {
  /** The store's own log name: users configure the store's logging under JdbcKeyStore. */
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);

  /**
   * What a call needs from its connection: the isolation, whether it runs a transaction of its
   * own, whether it is retried, whether a connection failing during commit leaves the outcome
   * unknown, and whether it sets the lock timeout and the idle-in-transaction timeout.
   */
  record Mode(Level level, boolean ownTransaction, boolean retried, boolean commitOutcomeUnknown,
      boolean lockTimeout, boolean idleTimeout) {
    /**
     * An account transaction: auto-commit off, READ COMMITTED (what makes the account row lock
     * protect the reads after it), the lock timeout, retried; a connection failing during commit
     * leaves the outcome unknown.
     */
    static final Mode WRITE = new Mode(Level.READ_COMMITTED, true, true, true, true, false);
    /** A read-only REPEATABLE READ snapshot of an account, retried. */
    static final Mode SNAPSHOT = new Mode(Level.SNAPSHOT, true, true, true, false, false);
    /**
     * One statement in the pool's own mode: a single round trip where the pool hands out
     * auto-commit connections, else a transaction committed at once; retried.
     */
    static final Mode STATEMENT = new Mode(Level.POOLED, false, true, false, false, false);
    /**
     * A short transaction of its own at the pool's isolation with the lock timeout (usage flush,
     * feed purge), retried.
     */
    static final Mode BATCH = new Mode(Level.POOLED, true, true, true, true, false);
    /**
     * Numbering the change feed (PostgreSQL): READ COMMITTED, so that the statement after the
     * counter lock sees every commit before it; the lock timeout; and the idle-in-transaction
     * timeout, so that a reader cut off while it holds the counter row loses its session after
     * that long instead of keeping every node's feed waiting. Retried; a failed commit numbered
     * nothing, which the next reader does.
     */
    static final Mode FEED = new Mode(Level.READ_COMMITTED, true, true, false, true, true);
    /**
     * A transaction of its own, so that the driver reads a large result through a cursor in
     * pages ({@code forEachKey}). Not retried: what was passed on would be passed again. A read,
     * so a failed commit changes nothing.
     */
    static final Mode STREAM = new Mode(Level.POOLED, true, false, false, false, false);
    /**
     * The builder's start: recognise the database and check the schema on one connection, in
     * transactions the work ends itself. Not retried; failures report that the database could not
     * be reached.
     */
    static final Mode START = new Mode(Level.POOLED, true, false, false, false, false);
  }

  /** Work on a prepared connection; the helper ends the transaction. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Work on a connection whose transaction starts with the work's first statement: {@code begin}
   * holds what starts it (isolation, timeouts), to be sent first in that statement, or is empty.
   */
  @FunctionalInterface
  interface DeferredWork<T> {
    T run(Connection c, String begin) throws SQLException;
  }

  /** Work on a prepared connection that answers nothing; the helper ends the transaction. */
  @FunctionalInterface
  interface SqlStatements {
    void run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final Dialect dialect;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final long lockTimeoutMillis;

  Connections(DataSource dataSource, Dialect dialect, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
      Duration lockTimeout) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.lockTimeoutMillis = Math.max(1, lockTimeout.toMillis());
  }

  Dialect dialect() {
    return dialect;
  }

  /** @return e.g. {@code PostgreSQL, attempts=3, lockTimeout=5000ms} */
  @Override
  public String toString() {
    return dialect + ", attempts=" + maxAttempts + ", lockTimeout=" + lockTimeoutMillis + "ms";
  }

  /**
   * Runs {@code work} on a connection prepared for {@code mode}, until it succeeds, fails with
   * something other than a retriable SQL failure, or the attempts are used up.
   *
   * @param what what the call does, for messages: "account transaction", "key lookup", …
   * @return what the work returned
   * @throws StoreUnavailableException if the database failed; what the work throws otherwise
   *     passes through unchanged, after rollback
   */
  <T> T inTransaction(Mode mode, String what, SqlWork<T> work) {
    return inDeferredTransaction(mode, what, (c, begin) -> work.run(c), false);
  }

  /**
   * {@link #inTransaction}, where the dialect can, with the transaction's start left to the work's
   * first statement (one round trip fewer).
   */
  <T> T inDeferredTransaction(Mode mode, String what, DeferredWork<T> work) {
    return inDeferredTransaction(mode, what, work, true);
  }

  private <T> T inDeferredTransaction(Mode mode, String what, DeferredWork<T> work, boolean defer) {
    int attempts = mode.retried() ? maxAttempts : 1;
    for (int n = 1; ; n++) {
      try {
        return attempt(dataSource, dialect, mode, lockTimeoutMillis, defer, work);
      } catch (SqlFailure f) {
        SQLException e = f.sqlException();
        if (n < attempts && dialect.isRetriable(e)) {
          log.debug("{} rolled back by the database (SQLState {}), attempt {} of {}", what, e.getSQLState(), n,
              maxAttempts);
          backoff(n, what, e);
          continue;
        }
        throw unavailable(what, f, n);
      }
    }
  }

  /**
   * {@link #inTransaction} for work that answers nothing.
   *
   * @param what what the call does, for messages
   * @throws StoreUnavailableException if the database failed
   */
  void execute(Mode mode, String what, SqlStatements work) {
    inTransaction(mode, what, c -> {
      work.run(c);
      return Boolean.TRUE;
    });
  }

  /**
   * The builder's one connection ({@link Mode#START}): {@code work} recognises the database and
   * checks the schema, before there is a store.
   *
   * @throws StoreUnavailableException if the database cannot be reached or fails
   */
  static <T> T atStart(DataSource dataSource, SqlWork<T> work) {
    try {
      return attempt(dataSource, null, Mode.START, 0, false, (c, begin) -> work.run(c));
    } catch (SqlFailure f) {
      SQLException e = f.sqlException();
      throw new StoreUnavailableException("JDBC key store: cannot reach the database to start (SQLState "
          + e.getSQLState() + ", error " + e.getErrorCode() + ")", e);
    }
  }

  /** One attempt; SQL failures leave as {@link SqlFailure}. */
  private static <T> T attempt(DataSource dataSource, @Nullable Dialect dialect, Mode mode, long lockTimeoutMillis,
      boolean defer, DeferredWork<T> work) {
    Connection c = connect(dataSource);
    boolean restoreAutoCommit = false;
    int restoreIsolation = -1;
    try {
      if (mode.ownTransaction() && c.getAutoCommit()) {
        restoreAutoCommit = true;
        c.setAutoCommit(false);
      }
      String begin = "";
      if (mode.level() != Level.POOLED || mode.lockTimeout()) {
        Dialect d = Objects.requireNonNull(dialect, "dialect");
        long lock = mode.lockTimeout() ? lockTimeoutMillis : 0;
        long idle = mode.idleTimeout() ? lockTimeoutMillis : 0;
        String deferred = defer ? d.beginStatements(mode.level(), lock, idle) : null;
        if (deferred != null) {
          begin = deferred;
        } else {
          restoreIsolation = d.begin(c, mode.level(), lock, idle);
        }
      }
      T result = work.run(c, begin);
      commit(c, mode);
      return result;
    } catch (SQLException e) {
      rollback(c, mode, e);
      throw new SqlFailure(e);
    } catch (Throwable e) {
      // Anything the work throws, a checked exception thrown sneakily included: restoring
      // auto-commit in release() would otherwise commit the work done so far.
      rollback(c, mode, e);
      throw e;
    } finally {
      release(c, restoreAutoCommit, restoreIsolation);
    }
  }

  private static Connection connect(DataSource dataSource) {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw new SqlFailure(e);
    }
  }

  private static void commit(Connection c, Mode mode) throws SQLException {
    if (!mode.ownTransaction() && c.getAutoCommit()) {
      return;
    }
    try {
      c.commit();
    } catch (SQLException e) {
      if (mode.commitOutcomeUnknown()) {
        throw new SqlFailure(e, true);
      }
      throw e;
    }
  }

  private static void rollback(Connection c, Mode mode, Throwable cause) {
    try {
      if (mode.ownTransaction() || !c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** Restores what the store changed on the connection and hands it back to the pool. */
  private static void release(Connection c, boolean autoCommit, int isolation) {
    try {
      if (isolation >= 0) {
        c.setTransactionIsolation(isolation);
      }
      if (autoCommit) {
        c.setAutoCommit(true);
      }
    } catch (SQLException | RuntimeException e) {
      log.debug("could not restore a connection's settings: {}", e.toString());
    } finally {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("could not close a connection: {}", e.toString());
      }
    }
  }

  private void backoff(int attempt, String what, SQLException cause) {
    long max = maxBackoff.toNanos();
    long delay = Math.min(max, initialBackoff.toNanos() << Math.min(attempt - 1, 20));
    long jittered = delay <= 1 ? delay : delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    if (jittered <= 0) {
      return;
    }
    try {
      Thread.sleep(jittered / 1_000_000, (int) (jittered % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(
          "JDBC key store: " + what + " interrupted while waiting to retry; nothing was changed", cause);
    }
  }

  private StoreUnavailableException unavailable(String what, SqlFailure f, int attempts) {
    SQLException e = f.sqlException();
    StringBuilder m = new StringBuilder("JDBC key store (").append(dialect).append("): ").append(what)
        .append(" failed (SQLState ").append(e.getSQLState()).append(", error ").append(e.getErrorCode()).append(')');
    if (attempts > 1) {
      m.append(" after ").append(attempts).append(" attempts");
    }
    m.append(f.duringCommit() && !dialect.isRetriable(e)
        ? "; the connection failed while committing, so whether it took effect is unknown: check before retrying"
        : "; nothing was changed, retry later");
    return new StoreUnavailableException(m.toString(), e);
  }
}
