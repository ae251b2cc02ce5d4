package dev.keyseat.jdbc;

import dev.keyseat.AccountId;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeyStore} in PostgreSQL or H2, over a {@link DataSource} that the host supplies and
 * pools. Many nodes may share one PostgreSQL database: each account transaction locks the
 * account's row ({@code SELECT … FOR UPDATE}) at READ COMMITTED, so writers of one account are
 * serialized on every node, and key changes are written to a change feed, in the same transaction,
 * that the validators of the other nodes poll.
 *
 * <pre>{@code
 * JdbcKeyStore store = JdbcKeyStore.builder(dataSource)   // e.g. a HikariDataSource
 *     .maxAttempts(3)
 *     .changeRetention(Duration.ofDays(7))
 *     .build();
 * Keyseat keyseat = Keyseat.builder(store).build();
 * }</pre>
 *
 * <p>The schema is {@code dev/keyseat/jdbc/schema-postgresql.sql} or {@code schema-h2.sql} in
 * this jar; apply it with your migration tool, or let {@link Builder#createSchemaIfMissing} do it.
 *
 * <p><b>Change feed.</b> A transaction that appended key changes takes the next sequence numbers
 * from the single row of {@code keyseat_change_seq} as its last statement and keeps that row locked
 * until it commits. Numbers are therefore gapless and in commit order: a poller that has read up
 * to {@code s} has seen every change numbered below {@code s}, and never misses one committed late
 * under a lower number. A gap (a first entry above {@code cursor + 1}) can only mean that
 * {@link #purgeChanges()} removed entries the poller never read, so it must drop its whole cache.
 * {@link #latestChangeSequence()} reads the counter, which purging does not lower. The price:
 * commits that carry key changes are serialized across accounts for one insert and the commit.
 *
 * <p><b>Audit and usage.</b> Audit entries are numbered per account under the account's row lock.
 * {@link #recordUsage} coalesces its batch per key and updates the key rows in key order, in one
 * JDBC batch and transaction; deltas for deleted keys update nothing.
 *
 * <p><b>Failures.</b> A transaction that the database rolled back because of a deadlock or a
 * serialization failure is run again, up to {@link Builder#maxAttempts} times with exponential
 * backoff; any other {@link SQLException}, or running out of attempts, surfaces as
 * {@link StoreUnavailableException}, whose message never contains data values. The store does not
 * retry a lost connection itself: the caller decides. Exceptions thrown by the work pass through
 * unchanged after rollback.
 *
 * <p>Thread-safe. Instances hold no connection between calls.
 */
public final class JdbcKeyStore implements KeyStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);
  private static final int USAGE_BATCH = 500;
  private static final int LISTING_FETCH = 1000;
  private static final Object SCHEMA_LOCK = new Object();

  private final DataSource dataSource;
  private final Dialect dialect;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration changeRetention;
  private final Clock clock;

  private JdbcKeyStore(Builder b, Dialect dialect) {
    this.dataSource = b.dataSource;
    this.dialect = dialect;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.changeRetention = b.changeRetention;
    this.clock = b.clock;
  }

  /**
   * Starts configuring a store.
   *
   * @param dataSource the host's pooled data source, pointing at a PostgreSQL or H2 database
   * @return a builder with the defaults: no schema creation, 3 attempts, backoff from 10 ms to
   *     200 ms, change feed retention of 7 days, the system clock
   * @throws NullPointerException if {@code dataSource} is null
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  // ------------------------------------------------------------------ account transactions

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(work, "work");
    return retrying("account transaction", () -> transaction(accountId, work, true));
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(work, "work");
    return retrying("account read", () -> transaction(accountId, work, false));
  }

  /** One attempt of an account transaction; SQL failures leave as {@link SqlFailure}. */
  private <T> T transaction(AccountId accountId, AccountWork<T> work, boolean writable) {
    Connection c = connect();
    boolean autoCommit = true;
    int restoreIsolation = -1;
    try {
      autoCommit = c.getAutoCommit();
      if (autoCommit) {
        c.setAutoCommit(false);
      }
      restoreIsolation = dialect.begin(c, !writable);
      JdbcTransaction tx = new JdbcTransaction(dialect, c, accountId, writable);
      T result;
      try {
        result = work.run(tx);
      } finally {
        tx.close();
      }
      SQLException swallowed = tx.failure();
      if (swallowed != null) {
        // The work caught a store failure and carried on: the transaction is lost all the same.
        throw new SqlFailure(swallowed);
      }
      if (writable) {
        tx.flush();
      }
      commit(c);
      return result;
    } catch (SQLException e) {
      rollback(c, e);
      throw new SqlFailure(e);
    } catch (Throwable e) {
      // Anything the work throws, a checked exception thrown sneakily included: restoring
      // auto-commit in release() would otherwise commit the work done so far.
      rollback(c, e);
      throw e;
    } finally {
      release(c, autoCommit, restoreIsolation);
    }
  }

  private static void commit(Connection c) {
    try {
      c.commit();
    } catch (SQLException e) {
      throw new SqlFailure(e, true);
    }
  }

  private static void rollback(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  private Connection connect() {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw new SqlFailure(e);
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

  // ------------------------------------------------------------------ retries

  @FunctionalInterface
  private interface Attempt<T> {
    T run();
  }

  /**
   * Runs {@code attempt} until it succeeds, fails with something other than a retriable SQL
   * failure, or the attempts are used up.
   */
  private <T> T retrying(String what, Attempt<T> attempt) {
    for (int n = 1; ; n++) {
      try {
        return attempt.run();
      } catch (SqlFailure f) {
        SQLException e = f.sqlException();
        if (n < maxAttempts && dialect.isRetriable(e)) {
          log.debug("{} rolled back by the database (SQLState {}), attempt {} of {}", what, e.getSQLState(), n,
              maxAttempts);
          backoff(n, what, e);
          continue;
        }
        throw unavailable(what, f, n);
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

  // ------------------------------------------------------------------ validation path and feed

  @FunctionalInterface
  private interface ConnectionWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in a transaction of its own, committed at the end. */
  private <T> T withConnection(ConnectionWork<T> work) {
    Connection c = connect();
    boolean autoCommit = true;
    try {
      autoCommit = c.getAutoCommit();
      if (autoCommit) {
        c.setAutoCommit(false);
      }
      T result = work.run(c);
      commit(c);
      return result;
    } catch (SQLException e) {
      rollback(c, e);
      throw new SqlFailure(e);
    } catch (RuntimeException | Error e) {
      rollback(c, e);
      throw e;
    } finally {
      release(c, autoCommit, -1);
    }
  }

  /**
   * Runs one read-only statement: in auto-commit mode, one round trip, if that is how the pool
   * hands out connections; otherwise in a transaction ended at once.
   */
  private <T> T readOnce(ConnectionWork<T> work) {
    Connection c = connect();
    try {
      T result = work.run(c);
      if (!c.getAutoCommit()) {
        c.commit();
      }
      return result;
    } catch (SQLException e) {
      try {
        if (!c.getAutoCommit()) {
          c.rollback();
        }
      } catch (SQLException | RuntimeException x) {
        e.addSuppressed(x);
      }
      throw new SqlFailure(e);
    } finally {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("could not close a connection: {}", e.toString());
      }
    }
  }

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    Objects.requireNonNull(hash, "hash");
    byte[] bytes = hash.toBytes();
    return retrying("key lookup", () -> readOnce(c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.KEY_BY_HASH)) {
        ps.setBytes(1, bytes);
        ps.setBytes(2, bytes);
        try (ResultSet rs = ps.executeQuery()) {
          // The current hash is unique and listed first.
          return rs.next() ? Optional.of(Columns.key(rs)) : Optional.<StoredKey>empty();
        }
      }
    }));
  }

  /**
   * Passes every key to {@code action}, for validators that preload their cache: one statement,
   * read in pages of {@value #LISTING_FETCH} rows (PostgreSQL: a cursor in a transaction, so a
   * million keys never sit in memory at once), one consistent snapshot, no lock. The statement
   * holds one pooled connection until the last key was passed. Not retried: a failure after
   * some keys were passed would pass them twice.
   *
   * @throws StoreUnavailableException if the database fails; what {@code action} throws passes
   *     through unchanged
   */
  @Override
  public void forEachKey(Consumer<? super StoredKey> action) {
    Objects.requireNonNull(action, "action");
    try {
      withConnection(c -> {
        long listed = 0;
        try (PreparedStatement ps = c.prepareStatement(Sql.ALL_KEYS)) {
          ps.setFetchSize(LISTING_FETCH);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              action.accept(Columns.key(rs));
              listed++;
            }
          }
        }
        return listed; // unused: the keys went to action (a result, because the work's result is non-null)
      });
    } catch (SqlFailure f) {
      // A read: a failed commit changes nothing, so no "outcome unknown" in the message.
      throw unavailable("key listing", new SqlFailure(f.sqlException()), 1);
    }
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive");
    }
    return retrying("change feed read", () -> readOnce(c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.CHANGES_SINCE)) {
        ps.setLong(1, Math.max(afterSequence, 0));
        ps.setInt(2, max);
        try (ResultSet rs = ps.executeQuery()) {
          List<ChangeEvent> events = new ArrayList<>();
          while (rs.next()) {
            events.add(Columns.change(rs));
          }
          return List.copyOf(events);
        }
      }
    }));
  }

  @Override
  public long latestChangeSequence() {
    return retrying("change feed read", () -> readOnce(JdbcKeyStore::latest));
  }

  private static long latest(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(Sql.LATEST_CHANGE); ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("keyseat_change_seq has no row 1: the schema is incomplete", "55000");
      }
      return rs.getLong(1);
    }
  }

  /**
   * Deletes change feed entries older than the {@linkplain Builder#changeRetention retention}.
   * Call it now and then (e.g. hourly, from one node or all: it is idempotent). Only the start of
   * the feed goes: an old entry numbered after a recent one (the nodes' clocks disagreed) stays
   * until that one is old too, so the remaining entries stay gapless. A node whose cursor points
   * before the oldest remaining entry sees a gap in the sequence and must drop its whole cache.
   * {@link #latestChangeSequence()} is not affected.
   *
   * @return the number of entries deleted
   * @throws StoreUnavailableException if the database fails
   */
  public int purgeChanges() {
    Instant cutoff = clock.instant().minus(changeRetention);
    return retrying("change feed purge", () -> withConnection(c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.PURGE_CHANGES)) {
        Columns.setInstant(ps, 1, cutoff);
        Columns.setInstant(ps, 2, cutoff);
        return ps.executeUpdate();
      }
    }));
  }

  // ------------------------------------------------------------------ usage

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    Objects.requireNonNull(batch, "batch");
    if (batch.isEmpty()) {
      return;
    }
    // Coalesce per key, then write in key order so that concurrent flushes lock rows in one order.
    Map<String, UsageDelta> merged = new LinkedHashMap<>();
    for (UsageDelta d : batch) {
      merged.merge(d.keyId().value(), d, (a, b) -> new UsageDelta(a.keyId(),
          a.lastUsedAt().isAfter(b.lastUsedAt()) ? a.lastUsedAt() : b.lastUsedAt(), Math.addExact(a.count(), b.count())));
    }
    List<UsageDelta> ordered = new ArrayList<>(merged.values());
    ordered.sort(Comparator.comparing(d -> d.keyId().value()));
    retrying("usage flush", () -> withConnection(c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.RECORD_USAGE)) {
        int pending = 0;
        for (UsageDelta d : ordered) {
          Columns.setInstant(ps, 1, d.lastUsedAt());
          Columns.setInstant(ps, 2, d.lastUsedAt());
          ps.setLong(3, d.count());
          ps.setString(4, d.keyId().value());
          ps.addBatch();
          if (++pending == USAGE_BATCH) {
            ps.executeBatch();
            pending = 0;
          }
        }
        if (pending > 0) {
          ps.executeBatch();
        }
      }
      return ordered.size(); // unused (a result, because the work's result is non-null)
    }));
  }

  @Override
  public String toString() {
    return "JdbcKeyStore[" + dialect + ", attempts=" + maxAttempts + "]";
  }

  // ------------------------------------------------------------------ builder

  /**
   * Configures a {@link JdbcKeyStore}. Every setter checks its argument at once; {@link #build()}
   * connects once to recognise the database and check (or create) the schema.
   */
  public static final class Builder {
    private final DataSource dataSource;
    private boolean createSchemaIfMissing;
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(10);
    private Duration maxBackoff = Duration.ofMillis(200);
    private Duration changeRetention = Duration.ofDays(7);
    private Clock clock = Clock.systemUTC();

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Whether {@link #build()} creates the tables when they are missing, from the shipped
     * {@code schema-*.sql}. Meant for the embedded H2 default and for tests; production
     * databases should get the schema from their migration tool. Default false.
     *
     * @param create true to create a missing schema
     * @return this builder
     */
    public Builder createSchemaIfMissing(boolean create) {
      this.createSchemaIfMissing = create;
      return this;
    }

    /**
     * How many times a transaction is run when the database rolls it back for a deadlock, a
     * serialization failure or a lock timeout. 1 disables retries. Default 3.
     *
     * @param attempts 1 to 100
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is out of range
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > 100) {
        throw new IllegalArgumentException("maxAttempts must be between 1 and 100, was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * The wait before a retry: {@code initial}, doubled after each attempt up to {@code max}, with
     * random jitter down to half of it. Default 10 ms to 200 ms.
     *
     * @param initial the first wait, zero or more
     * @param max the longest wait, at least {@code initial} and at most 10 seconds
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code initial} is negative or {@code max} is out of range
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      if (initial.isNegative()) {
        throw new IllegalArgumentException("initial backoff must not be negative, was " + initial);
      }
      if (max.compareTo(initial) < 0 || max.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("max backoff must be between the initial " + initial
            + " and 10 seconds, was " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * How long change feed entries are kept before {@link JdbcKeyStore#purgeChanges()} deletes
     * them. Must be much longer than any node's poll interval and outage. Default 7 days.
     *
     * @param retention at least one minute
     * @return this builder
     * @throws NullPointerException if {@code retention} is null
     * @throws IllegalArgumentException if {@code retention} is shorter than a minute
     */
    public Builder changeRetention(Duration retention) {
      Objects.requireNonNull(retention, "retention");
      if (retention.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("change retention must be at least 1 minute, was " + retention);
      }
      this.changeRetention = retention;
      return this;
    }

    /**
     * @param clock the time source for the change feed retention (default the system clock)
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Connects once: recognises the database from its metadata, and checks that the schema is
     * there, creating it if {@link #createSchemaIfMissing} is set.
     *
     * @return the store
     * @throws IllegalArgumentException if the database is neither PostgreSQL nor H2
     * @throws IllegalStateException if the schema is missing and may not be created
     * @throws StoreUnavailableException if the database cannot be reached
     */
    public JdbcKeyStore build() {
      Dialect dialect;
      try (Connection c = dataSource.getConnection()) {
        dialect = Dialect.forProduct(c.getMetaData().getDatabaseProductName());
        checkSchema(c, dialect);
      } catch (SQLException e) {
        throw new StoreUnavailableException("JDBC key store: cannot reach the database to start (SQLState "
            + e.getSQLState() + ", error " + e.getErrorCode() + ")", e);
      }
      return new JdbcKeyStore(this, dialect);
    }

    /**
     * Checks for the schema and creates it if allowed. Creation is serialized in this JVM: H2
     * commits each DDL statement, so a concurrent checker could see half a schema. PostgreSQL
     * creates it in one transaction, which concurrent nodes wait for.
     */
    private void checkSchema(Connection c, Dialect dialect) throws SQLException {
      synchronized (SCHEMA_LOCK) {
        if (!schemaPresent(c, dialect)) {
          if (!createSchemaIfMissing) {
            throw new IllegalStateException("the Keyseat tables are missing: apply dev/keyseat/jdbc/"
                + dialect.schemaResource + " (shipped in keyseat-spi-jdbc) or enable createSchemaIfMissing");
          }
          createSchema(c, dialect);
        }
      }
    }

    /** Probes the feed counter in a transaction of its own. */
    private static boolean schemaPresent(Connection c, Dialect dialect) throws SQLException {
      boolean autoCommit = c.getAutoCommit();
      try {
        c.setAutoCommit(false);
        latest(c);
        c.commit();
        return true;
      } catch (SQLException e) {
        c.rollback();
        if (dialect.isMissingTable(e)) {
          return false;
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }

    private static void createSchema(Connection c, Dialect dialect) throws SQLException {
      boolean autoCommit = c.getAutoCommit();
      try {
        c.setAutoCommit(false);
        Scripts.run(c, dialect.schemaResource);
        c.commit();
        log.info("created the Keyseat schema from {}", dialect.schemaResource);
      } catch (SQLException e) {
        c.rollback();
        // Another node may have created it at the same moment.
        if (!schemaPresent(c, dialect)) {
          throw e;
        }
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }

    @Override
    public String toString() {
      return "JdbcKeyStore.Builder[createSchemaIfMissing=" + createSchemaIfMissing + ", maxAttempts=" + maxAttempts
          + ", backoff=" + initialBackoff + ".." + maxBackoff + ", changeRetention=" + changeRetention + "]";
    }
  }

  /** @return the dialect, for tests in this package */
  Dialect dialect() {
    return dialect;
  }
}
