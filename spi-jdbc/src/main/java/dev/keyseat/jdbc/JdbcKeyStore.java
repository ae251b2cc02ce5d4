package dev.keyseat.jdbc;

import dev.keyseat.AccountId;
import dev.keyseat.DailyUsage;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.jdbc.Connections.Mode;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SettingRanges;
import dev.keyseat.spi.SharedRateLimiter;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
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
 * <p><b>Change feed.</b> On PostgreSQL a transaction inserts its feed rows without a number and
 * touches no row shared by all accounts, so writers of different accounts never wait for each
 * other. Every feed read ({@link #changesSince}, {@link #latestChangeSequence()}) on any node first
 * numbers the committed rows still without one, in a short transaction of its own serialized by
 * the single row of {@code keyseat_change_seq}, which only numbering locks; a probe of a partial
 * index makes it free when nothing waits. Its numbering statement runs after that lock is
 * granted, so at READ COMMITTED it sees every row committed before, and a row committed later gets
 * a number above every number any poller has read. Numbers are therefore gapless, a poller that
 * has read up to {@code s} has seen every change numbered below {@code s}, and never misses one
 * committed later; a transaction left open anywhere delays no one's numbering but its own. On H2
 * (one node) a transaction takes its numbers from that row as its last statement and keeps it
 * locked until it commits. A gap (a first entry above {@code cursor + 1}) can only mean that
 * {@link #purgeChanges()} removed entries the poller never read, so it must drop its whole cache.
 * {@link #latestChangeSequence()} reads the counter, which purging does not lower.
 *
 * <p><b>Round trips (PostgreSQL).</b> The transaction's start (isolation, lock timeout) goes with
 * its first statement, the account row lock, and the role check's member read with it (a writer
 * also reads the account's license grants, policy and last key ordinal there); a batch of keys is
 * one {@code INSERT … SELECT … FROM UNNEST} of arrays; the audit entries, the key count, the feed
 * rows and the notification go in one round trip before commit. A key creation costs 5 round trips
 * whatever the batch's size, a page of the keys table 3.
 *
 * <p><b>Locks.</b> Each account transaction starts by locking its account row; other rows it
 * writes belong to that account (keys, devices, audit) or are inserted (feed rows), so only
 * writers of the same account, or of the same device serial or key hash, ever wait for each
 * other, and for at most {@link Builder#lockTimeout}. The license check reads the key count kept
 * on the account row ({@code key_count}, changed in the same transaction), never a count of keys.
 * Usage flushes lock key rows in key order without waiting ({@code SKIP LOCKED}) and wait only
 * for a row held elsewhere while holding no other, so they cannot deadlock with account
 * transactions.
 *
 * <p><b>Push invalidation (PostgreSQL).</b> A transaction that appended key changes also runs
 * {@code NOTIFY keyseat_change} (no payload), delivered at its commit to every validator that
 * {@linkplain #subscribeToChanges listens}; each then reads the feed at once. Polling stays the
 * guarantee for a lost notification or listening connection.
 *
 * <p><b>Audit and usage.</b> Audit entries are numbered per account under the account's row lock.
 * {@link #recordUsage} coalesces its batch per key and updates the key rows in key order, 100 keys
 * per transaction, a key held by an account transaction just then in a transaction of its own
 * once that one ends; deltas for deleted keys update nothing.
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
  private static final int LISTING_FETCH = 1000;
  private static final Object SCHEMA_LOCK = new Object();

  private final Connections connections;
  private final DataSource dataSource;
  private final DataSource notificationDataSource;
  private final Duration changeRetention;
  /**
   * What every account transaction shares: the dialect, whether writers number their feed rows under
   * the counter lock (H2) or readers do (PostgreSQL), and the clock.
   */
  private final JdbcTransaction.Settings transactions;

  private JdbcKeyStore(Builder b, Dialect dialect) {
    this.connections = new Connections(b.dataSource, dialect, b.maxAttempts, b.initialBackoff, b.maxBackoff,
        b.lockTimeout);
    this.dataSource = b.dataSource;
    this.notificationDataSource = b.notificationDataSource != null ? b.notificationDataSource : b.dataSource;
    this.changeRetention = b.changeRetention;
    this.transactions = new JdbcTransaction.Settings(dialect,
        b.numberFeedAtCommit || !dialect.facts.numbersFeedAfterCommit(), b.clock);
  }

  /**
   * Starts configuring a store.
   *
   * @param dataSource the host's pooled data source, pointing at a PostgreSQL or H2 database
   * @return a builder with the defaults: no schema creation, 3 attempts, backoff from 10 ms to
   *     200 ms, a lock timeout of 5 s, change feed retention of 7 days, the system clock
   * @throws NullPointerException if {@code dataSource} is null
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  // ------------------------------------------------------------------ account transactions

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    return account(Mode.WRITE, "account transaction", accountId, work);
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    return account(Mode.SNAPSHOT, "account read", accountId, work);
  }

  /** An account transaction ({@link Mode#WRITE}) or snapshot, its start sent with its first statement. */
  private <T> T account(Mode mode, String what, AccountId accountId, AccountWork<T> work) {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(work, "work");
    return connections.inDeferredTransaction(mode, what,
        (c, begin) -> account(c, begin, accountId, work, mode == Mode.WRITE));
  }

  /**
   * The work of an account transaction on its connection, whose first statement also sends
   * {@code begin}; the helper commits.
   */
  private <T> T account(Connection c, String begin, AccountId accountId, AccountWork<T> work, boolean writable)
      throws SQLException {
    JdbcTransaction tx = new JdbcTransaction(transactions, c, accountId, begin, writable);
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
    connections.execute(Mode.STREAM, "key listing", c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.ALL_KEYS)) {
        ps.setFetchSize(LISTING_FETCH);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            action.accept(Columns.key(rs));
          }
        }
      }
    });
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive");
    }
    numberCommittedChanges();
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
    if (transactions.numberAtCommit()) {
      return connections.inTransaction(Mode.STATEMENT, "change feed read", JdbcKeyStore::latest);
    }
    long[] state = feedState();
    return state[1] == 0 ? state[0] : number();
  }

  /**
   * Before a feed read (PostgreSQL): numbers the changes committed so far, if any await their
   * number. Cheap when none does: one probe of a partial index.
   */
  private void numberCommittedChanges() {
    if (!transactions.numberAtCommit() && feedState()[1] != 0) {
      number();
    }
  }

  /** @return the counter and 1 if changes await their number, else 0 */
  private long[] feedState() {
    return connections.inTransaction(Mode.STATEMENT, "change feed read", c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.FEED_STATE); ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(Sql.NO_FEED_COUNTER, "55000");
        }
        return new long[] {rs.getLong(1), rs.getInt(2)};
      }
    });
  }

  /**
   * Numbers every committed unnumbered change, under the counter row's lock, which only this step
   * takes: one feed reader at a time, on any node, in a short transaction that writers never wait
   * for. The numbering statement runs after the lock is granted, so at READ COMMITTED it sees every
   * change committed before, the previous numbering included: numbers stay gapless, and a change
   * committed later gets a number above every number a poller could have read.
   *
   * @return the counter after numbering
   */
  private long number() {
    Instant now = transactions.clock().instant();
    return connections.inTransaction(Mode.FEED, "change feed numbering", c -> {
      long last;
      try (PreparedStatement ps = c.prepareStatement(Sql.LOCK_COUNTER); ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(Sql.NO_FEED_COUNTER, "55000");
        }
        last = rs.getLong(1);
      }
      int numbered;
      try (PreparedStatement ps = c.prepareStatement(Sql.NUMBER_CHANGES)) {
        ps.setLong(1, last);
        Columns.setInstant(ps, 2, now);
        numbered = ps.executeUpdate();
      }
      if (numbered > 0) {
        try (PreparedStatement ps = c.prepareStatement(Sql.SET_COUNTER)) {
          ps.setLong(1, last + numbered);
          ps.executeUpdate();
        }
      }
      return last + numbered;
    });
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
   * {@inheritDoc} On PostgreSQL also {@link Capability#NOTIFIES_ON_COMMIT}: see {@link
   * #subscribeToChanges}.
   */
  @Override
  public Set<Capability> capabilities() {
    Set<Capability> declared = EnumSet.noneOf(Capability.class);
    declared.addAll(KeyStore.super.capabilities());
    if (dialect().facts.notifyChanges() != null) {
      declared.add(Capability.NOTIFIES_ON_COMMIT);
    }
    return Set.copyOf(declared);
  }

  /**
   * On PostgreSQL, listens for the notification that every transaction appending feed entries
   * sends at commit ({@code NOTIFY keyseat_change}, no payload): one daemon thread holding one
   * connection of the {@linkplain Builder#notificationDataSource notification data source} for as
   * long as the subscription is open. {@code onChange} is called for each batch of notifications
   * and each time the connection (re)starts listening; a lost connection is replaced with backoff
   * from 50 ms to 5 s. H2 offers no notifications.
   *
   * @throws UnsupportedOperationException on H2
   */
  @Override
  public ChangeSubscription subscribeToChanges(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    if (dialect().facts.notifyChanges() == null) {
      throw new UnsupportedOperationException("the JDBC key store on " + dialect() + " offers no change"
          + " notifications; validators poll the feed");
    }
    return new ChangeListener(notificationDataSource, onChange).start();
  }

  /**
   * On PostgreSQL, a rate limit shared by every node, in the table {@code keyseat_rate_limit}
   * through Bucket4j's PostgreSQL backend ({@code SELECT … FOR UPDATE} of the key's row, one short
   * transaction per request on the store's data source): exact, never over-admitting. Needs
   * {@code com.bucket4j:bucket4j_jdk17-postgresql} on the class path. Every node must configure the
   * same limit. H2 holds no shared rate limits (one node: use the {@code LOCAL} mode).
   *
   * @throws UnsupportedOperationException on H2, or without Bucket4j's PostgreSQL module
   */
  @Override
  public SharedRateLimiter sharedRateLimiter(long requests, Duration period) {
    if (requests < 1) {
      throw new IllegalArgumentException("requests must be positive, was " + requests);
    }
    Objects.requireNonNull(period, "period");
    if (!(dialect() instanceof Dialect.Postgres)) {
      throw new UnsupportedOperationException("the JDBC key store on " + dialect() + " holds no shared rate"
          + " limits; use RateLimitMode.LOCAL, or PostgreSQL");
    }
    try {
      return new PostgresRateLimiter(dataSource, requests, period);
    } catch (LinkageError e) {
      throw new UnsupportedOperationException("shared rate limits on PostgreSQL need Bucket4j's PostgreSQL"
          + " module: add the dependency com.bucket4j:bucket4j_jdk17-postgresql", e);
    }
  }

  /**
   * Deletes change feed entries numbered longer ago than the {@linkplain Builder#changeRetention
   * retention}. An entry's age counts from when it got its number, which is after its transaction
   * committed (PostgreSQL: by the first feed reader after the commit; H2: at the commit), never from
   * when the call that wrote it started: however long a transaction ran, its entries are kept for
   * the whole retention after they became readable, and entries not yet numbered are never
   * deleted. Call it now and then (e.g. hourly, from one node or all: it is idempotent). Only the
   * start of the feed goes: an old entry numbered after a recent one (the nodes' clocks disagreed)
   * stays until that one is old too, so the remaining entries stay gapless. A node whose cursor
   * points before the oldest remaining entry sees a gap in the sequence and must drop its whole
   * cache. {@link #latestChangeSequence()} is not affected.
   *
   * @return the number of entries deleted
   * @throws StoreUnavailableException if the database fails
   */
  public int purgeChanges() {
    return purgeChanges(transactions.clock().instant().minus(changeRetention));
  }

  /**
   * Deletes change feed entries older than {@code cutoff}, from the start of the feed only, as
   * {@link #purgeChanges()} does for the retention's cutoff.
   *
   * @param cutoff entries whose time is before it may go
   * @return the number of entries deleted
   * @throws StoreUnavailableException if the database fails
   */
  @Override
  public int purgeChanges(Instant cutoff) {
    Objects.requireNonNull(cutoff, "cutoff");
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
    // Coalesce per key, then write in key order: concurrent flushes lock rows in one order.
    Map<String, UsageDelta> merged = new LinkedHashMap<>();
    for (UsageDelta d : batch) {
      merged.merge(d.keyId().value(), d, (a, b) -> new UsageDelta(a.keyId(),
          a.lastUsedAt().isAfter(b.lastUsedAt()) ? a.lastUsedAt() : b.lastUsedAt(), Math.addExact(a.count(), b.count())));
    }
    List<UsageDelta> ordered = new ArrayList<>(merged.values());
    ordered.sort(Comparator.comparing(d -> d.keyId().value()));
    Map<String, Map<LocalDate, Long>> daily = dailyCounts(batch);
    for (int from = 0; from < ordered.size(); from += Sql.IN_LIST) {
      List<UsageDelta> chunk = ordered.subList(from, Math.min(ordered.size(), from + Sql.IN_LIST));
      List<UsageDelta> skipped = connections.inTransaction(Mode.BATCH, "usage flush", c -> {
        List<UsageDelta> held = flushFree(c, chunk);
        recordDailyUsage(c, chunk.stream().filter(d -> !held.contains(d)).toList(), daily);
        return held;
      });
      for (UsageDelta d : skipped) {
        // Held by an account transaction just now (or deleted): wait for it holding no other row.
        connections.execute(Mode.BATCH, "usage flush", c -> {
          try (PreparedStatement ps = c.prepareStatement(Sql.RECORD_USAGE)) {
            bindUsage(ps, d);
            ps.executeUpdate();
          }
          recordDailyUsage(c, List.of(d), daily);
        });
      }
    }
  }

  // ------------------------------------------------------------------ daily usage (migration V2)

  /** @return the batch's counts per key id and UTC day of each delta's last use */
  private static Map<String, Map<LocalDate, Long>> dailyCounts(Collection<UsageDelta> batch) {
    Map<String, Map<LocalDate, Long>> daily = new java.util.HashMap<>();
    for (UsageDelta d : batch) {
      daily.computeIfAbsent(d.keyId().value(), k -> new java.util.TreeMap<>())
          .merge(LocalDate.ofInstant(d.lastUsedAt(), ZoneOffset.UTC), d.count(), Math::addExact);
    }
    return daily;
  }

  /**
   * Adds the days of keys whose row this transaction has just updated (and so holds locked): a key
   * deleted meanwhile has no row, and the statement then inserts nothing.
   */
  private void recordDailyUsage(Connection c, List<UsageDelta> written, Map<String, Map<LocalDate, Long>> daily)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(dialect().recordDailyUsage())) {
      int pending = 0;
      for (UsageDelta d : written) {
        for (Map.Entry<LocalDate, Long> day : daily.getOrDefault(d.keyId().value(), Map.of()).entrySet()) {
          ps.setObject(1, day.getKey());
          ps.setLong(2, day.getValue());
          ps.setString(3, d.keyId().value());
          ps.addBatch();
          pending++;
        }
      }
      if (pending > 0) {
        ps.executeBatch();
      }
    }
  }

  /** One indexed range read, without the writers' lock. */
  @Override
  public List<DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, LocalDate from, LocalDate to) {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (to.isBefore(from)) {
      throw new IllegalArgumentException("to " + to + " is before from " + from);
    }
    return connections.inTransaction(Mode.STATEMENT, "daily usage", c -> {
      try (PreparedStatement ps = c.prepareStatement(keyId == null ? Sql.ACCOUNT_DAILY_USAGE : Sql.KEY_DAILY_USAGE)) {
        int i = 1;
        ps.setString(i++, accountId.value());
        if (keyId != null) {
          ps.setString(i++, keyId.value());
        }
        ps.setObject(i++, from);
        ps.setObject(i, to);
        List<DailyUsage> days = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            days.add(new DailyUsage(rs.getObject(1, LocalDate.class), rs.getLong(2)));
          }
        }
        return List.copyOf(days);
      }
    });
  }

  /**
   * Locks the chunk's keys that no transaction holds, in key order and without waiting, and
   * updates them: a flush never waits for a row while it holds another, so it cannot deadlock with
   * an account transaction, whatever order that one locks its keys in.
   *
   * @return the deltas of the keys it could not lock (held elsewhere, or deleted)
   */
  private static List<UsageDelta> flushFree(Connection c, List<UsageDelta> chunk) throws SQLException {
    java.util.Set<String> locked = new java.util.HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(Sql.LOCK_FREE_KEYS)) {
      for (int i = 0; i < Sql.IN_LIST; i++) {
        ps.setString(i + 1, chunk.get(Math.min(i, chunk.size() - 1)).keyId().value());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          locked.add(rs.getString(1));
        }
      }
    }
    List<UsageDelta> skipped = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(Sql.RECORD_USAGE)) {
      int pending = 0;
      for (UsageDelta d : chunk) {
        if (!locked.contains(d.keyId().value())) {
          skipped.add(d);
          continue;
        }
        bindUsage(ps, d);
        ps.addBatch();
        pending++;
      }
      if (pending > 0) {
        ps.executeBatch();
      }
    }
    return skipped;
  }

  private static void bindUsage(PreparedStatement ps, UsageDelta d) throws SQLException {
    Columns.setInstant(ps, 1, d.lastUsedAt());
    Columns.setInstant(ps, 2, d.lastUsedAt());
    ps.setLong(3, d.count());
    ps.setString(4, d.keyId().value());
  }

  /**
   * One statement: each account row with the count of its keys kept on it, in account id order ({@code "C"} collation on PostgreSQL, Java's order on H2); no lock.
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

  /** One query for the grants of every account of a page of the operator's list. */
  @Override
  public Map<AccountId, List<License>> licensesOf(Collection<AccountId> accounts) {
    if (accounts.isEmpty()) {
      return Map.of();
    }
    String[] ids = accounts.stream().map(AccountId::value).toArray(String[]::new);
    return connections.inTransaction(Mode.STATEMENT, "license listing", c -> {
      try (PreparedStatement ps = c.prepareStatement(Sql.LICENSES_OF)) {
        ps.setObject(1, ids);
        try (ResultSet rs = ps.executeQuery()) {
          Map<AccountId, List<License>> grants = new HashMap<>();
          while (rs.next()) {
            License l = Columns.license(rs);
            grants.computeIfAbsent(l.accountId(), k -> new ArrayList<>()).add(l);
          }
          grants.replaceAll((k, v) -> v.stream().sorted(License.ORDER).toList());
          return grants;
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
    private @Nullable DataSource notificationDataSource;
    private boolean createSchemaIfMissing;
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(10);
    private Duration maxBackoff = Duration.ofMillis(200);
    private Duration changeRetention = Duration.ofDays(7);
    private Duration lockTimeout = Duration.ofSeconds(5);
    private Clock clock = Clock.systemUTC();
    private boolean numberFeedAtCommit;

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
     * Where validators take their listening connection for push notifications (PostgreSQL
     * only): each open validator holds one connection of it for its whole life, so a pool with a
     * short maximum lifetime or few connections is better kept apart. It must point at the same
     * database. Default: the store's data source.
     *
     * @param notifications a data source of the same database, pooled or not
     * @return this builder
     * @throws NullPointerException if {@code notifications} is null
     */
    public Builder notificationDataSource(DataSource notifications) {
      this.notificationDataSource = Objects.requireNonNull(notifications, "notifications");
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
      this.maxAttempts = SettingRanges.requireBetween("maxAttempts", attempts, 1, 100);
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
      this.maxBackoff = SettingRanges.requireBetween("max backoff", max,
          SettingRanges.requireAtLeast("initial backoff", initial, Duration.ZERO), Duration.ofSeconds(10));
      this.initialBackoff = initial;
      return this;
    }

    /**
     * How long a statement of the store's transactions waits for a row lock before the
     * transaction fails: account transactions waiting for another writer of the same account
     * (a client that stalls in its transaction, for example), usage flushes and feed numbering.
     * A timed-out transaction is rolled back and retried like a deadlock, up to {@link
     * #maxAttempts}, then fails with {@link StoreUnavailableException}. PostgreSQL: {@code SET
     * LOCAL lock_timeout}, for the store's transaction only; the numbering transaction also gets
     * it as {@code idle_in_transaction_session_timeout}, so that a node cut off while numbering
     * loses its session instead of holding the feed. H2: the session's {@code LOCK_TIMEOUT}.
     * Writers of different accounts never wait for each other's locks. Default 5 seconds.
     *
     * @param timeout from 1 millisecond to 10 minutes
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is out of range
     */
    public Builder lockTimeout(Duration timeout) {
      this.lockTimeout = SettingRanges.requireBetween("lock timeout", timeout, Duration.ofMillis(1),
          Duration.ofMinutes(10));
      return this;
    }

    /**
     * For measurements in this package only: numbers the feed under the counter lock at commit on
     * PostgreSQL too (the store's scheme before 0.1.0, which serializes commits across accounts).
     */
    Builder numberFeedAtCommit(boolean atCommit) {
      this.numberFeedAtCommit = atCommit;
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
      this.changeRetention = SettingRanges.requireAtLeast("change retention", retention, Duration.ofMinutes(1));
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
        checkUpgrades(c, dialect);
      }
    }

    /**
     * The migrations after V1 on a database that has V1, each applied where the store may create its
     * schema (also on one created by an earlier version), else required, as V1 is.
     */
    private void checkUpgrades(Connection c, Dialect dialect) throws SQLException {
      for (Dialect.Migration m : dialect.upgrades) {
        if (tablePresent(c, dialect, m.probe())) {
          continue;
        }
        if (!createSchemaIfMissing) {
          throw new IllegalStateException("the Keyseat schema lacks " + m.adds() + ": apply dev/keyseat/jdbc/"
              + m.resource() + " (shipped in keyseat-spi-jdbc) or enable createSchemaIfMissing");
        }
        try {
          Scripts.run(c, m.resource());
          c.commit();
          log.info("added {} from {}", m.adds(), m.resource());
        } catch (SQLException e) {
          c.rollback();
          if (!tablePresent(c, dialect, m.probe())) { // another node may have applied it meanwhile
            throw e;
          }
        }
      }
    }

    /** Probes a table or column in a transaction of its own (auto-commit is off at the start). */
    private static boolean tablePresent(Connection c, Dialect dialect, String probe) throws SQLException {
      try (Statement st = c.createStatement()) {
        st.executeQuery(probe).close();
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

    /** Probes V1's feed counter in a transaction of its own (auto-commit is off at the start). */
    private static boolean schemaPresent(Connection c, Dialect dialect) throws SQLException {
      return tablePresent(c, dialect, Sql.LATEST_CHANGE);
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
          + ", backoff=" + initialBackoff + ".." + maxBackoff + ", lockTimeout=" + lockTimeout + ", changeRetention="
          + changeRetention + "]";
    }
  }

  /** @return the dialect, for tests in this package */
  Dialect dialect() {
    return connections.dialect();
  }
}
