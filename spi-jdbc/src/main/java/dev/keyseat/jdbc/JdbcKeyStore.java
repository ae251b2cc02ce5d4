package dev.keyseat.jdbc;

import dev.keyseat.AccountId;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.jdbc.Connections.Mode;
import dev.keyseat.spi.AccountSummary;
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
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
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
 * <p>The schema is {@code dev/keyseat/jdbc/migration/{postgresql,h2}/V1__keyseat_schema.sql} in
 * this jar; apply it with your migration tool (Flyway: {@code spring.flyway.locations} or
 * {@code locations("classpath:dev/keyseat/jdbc/migration/postgresql")}), or let
 * {@link Builder#createSchemaIfMissing} do it.
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

  private final Connections connections;
  private final Duration changeRetention;
  private final Clock clock;

  private JdbcKeyStore(Builder b, Dialect dialect) {
    this.connections = new Connections(b.dataSource, dialect, b.maxAttempts, b.initialBackoff, b.maxBackoff);
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
    return connections.inTransaction(Mode.WRITE, "account transaction", c -> account(c, accountId, work, true));
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(work, "work");
    return connections.inTransaction(Mode.SNAPSHOT, "account read", c -> account(c, accountId, work, false));
  }

  /** The work of an account transaction on its prepared connection; the helper commits. */
  private <T> T account(Connection c, AccountId accountId, AccountWork<T> work, boolean writable)
      throws SQLException {
    JdbcTransaction tx = new JdbcTransaction(dialect(), c, accountId, writable);
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
    return result;
  }

  // ------------------------------------------------------------------ validation path and feed

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    Objects.requireNonNull(hash, "hash");
    byte[] bytes = hash.toBytes();
    return connections.inTransaction(Mode.STATEMENT, "key lookup", c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.KEY_BY_HASH)) {
        ps.setBytes(1, bytes);
        ps.setBytes(2, bytes);
        try (ResultSet rs = ps.executeQuery()) {
          // The current hash is unique and listed first.
          return rs.next() ? Optional.of(Columns.key(rs)) : Optional.<StoredKey>empty();
        }
      }
    });
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
    connections.inTransaction(Mode.STREAM, "key listing", c -> {
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
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive");
    }
    return connections.inTransaction(Mode.STATEMENT, "change feed read", c -> {
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
    });
  }

  @Override
  public long latestChangeSequence() {
    return connections.inTransaction(Mode.STATEMENT, "change feed read", JdbcKeyStore::latest);
  }

  private static long latest(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(Sql.LATEST_CHANGE); ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException(Sql.NO_FEED_COUNTER, "55000");
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
    return connections.inTransaction(Mode.BATCH, "change feed purge", c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.PURGE_CHANGES)) {
        Columns.setInstant(ps, 1, cutoff);
        Columns.setInstant(ps, 2, cutoff);
        return ps.executeUpdate();
      }
    });
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
    connections.inTransaction(Mode.BATCH, "usage flush", c -> {
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
    });
  }

  /**
   * One statement: each account row with the count of its keys, from the statement's snapshot, in
   * account id order ({@code "C"} collation on PostgreSQL, Java's order on H2); no lock.
   */
  @Override
  public List<AccountSummary> accounts(@Nullable AccountId after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    return connections.inTransaction(Mode.STATEMENT, "account listing", c -> {
      try (PreparedStatement ps = c.prepareStatement(after == null ? Sql.ACCOUNTS_FIRST : Sql.ACCOUNTS_AFTER)) {
        int i = 1;
        if (after != null) {
          Columns.setText(ps, i++, after.value());
        }
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          List<AccountSummary> page = new ArrayList<>();
          while (rs.next()) {
            page.add(new AccountSummary(Columns.account(rs), rs.getInt(6)));
          }
          return List.copyOf(page);
        }
      }
    });
  }

  @Override
  public String toString() {
    return "JdbcKeyStore[" + connections + "]";
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
      Dialect dialect = Connections.atStart(dataSource, c -> {
        Dialect d = Dialect.forProduct(c.getMetaData().getDatabaseProductName());
        checkSchema(c, d);
        return d;
      });
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

    /** Probes the feed counter in a transaction of its own (auto-commit is off at the start). */
    private static boolean schemaPresent(Connection c, Dialect dialect) throws SQLException {
      try {
        latest(c);
        c.commit();
        return true;
      } catch (SQLException e) {
        c.rollback();
        if (dialect.isMissingTable(e)) {
          return false;
        }
        throw e;
      }
    }

    /** Runs the shipped script in one transaction (auto-commit is off at the start). */
    private static void createSchema(Connection c, Dialect dialect) throws SQLException {
      try {
        Scripts.run(c, dialect.schemaResource);
        c.commit();
        log.info("created the Keyseat schema from {}", dialect.schemaResource);
      } catch (SQLException e) {
        c.rollback();
        // Another node may have created it at the same moment.
        if (!schemaPresent(c, dialect)) {
          throw e;
        }
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
    return connections.dialect();
  }
}
