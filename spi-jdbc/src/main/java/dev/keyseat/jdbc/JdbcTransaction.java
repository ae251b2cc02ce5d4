package dev.keyseat.jdbc;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.LicenseId;
import dev.keyseat.LicensePolicy;
import dev.keyseat.Member;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.DeviceWithKey;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyRow;
import dev.keyseat.spi.KeyRowPage;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.SeatLedger;
import dev.keyseat.spi.StoredKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One account transaction on one connection. The account row is locked by the work's first call
 * (or read without a lock for a snapshot), with its key count, before anything else is read or
 * written; on PostgreSQL in the round trip that starts the transaction, and with the member's row
 * when that first call asks for a member (the role check), read by a statement of its own. Audit entries, change events
 * and the net change of the key count are kept in memory and written by {@link #flush()} just
 * before commit: audit entries numbered after the account's last one; change events either
 * unnumbered, for feed readers to number once committed (PostgreSQL), or numbered after the feed's
 * last one under the counter lock, held only between that point and the commit (H2); the key count
 * on the account row, which this transaction holds locked.
 *
 * <p>A failed statement poisons the transaction: every later call fails the same way, and the
 * store rolls back.
 */
final class JdbcTransaction implements AccountTransaction {
  /**
   * What every transaction of a store shares.
   *
   * @param dialect the database's
   * @param numberAtCommit true to number change events under the counter lock as the last step,
   *     false to leave them to the feed readers
   * @param clock the time written as {@code numbered_at} when numbering at commit
   */
  record Settings(Dialect dialect, boolean numberAtCommit, Clock clock) {}

  private final Settings store;
  private final Connection c;
  private final AccountId accountId;
  private final boolean writable;
  /** What {@link #start} sends before the account row's statement. */
  private final String begin;
  /** Whether the account row was read. */
  private boolean started;
  /** The member read with the account row, answered once by {@link #member(UserId)}. */
  private @Nullable UserId prefetchedUser;
  private @Nullable Member prefetchedMember;
  private @Nullable Account account;
  /** The account's key count as read with its row. */
  private int storedKeyCount;
  /** Keys inserted minus keys deleted by this transaction. */
  private int keyDelta;
  /** {@link #lastKeyOrdinal()} once read, or null. */
  private @Nullable Long lastOrdinal;
  /**
   * The account's license grants as read with the account row (PostgreSQL, a writer), until this
   * transaction writes a grant; else null.
   */
  private @Nullable List<License> prefetchedLicenses;
  /** The account's policy row as read with the account row (as {@link #prefetchedLicenses}), or null. */
  private @Nullable Optional<PolicyRow> prefetchedPolicy;
  private boolean open = true;
  private @Nullable SQLException failure;
  private final List<AuditEntry> pendingAudit = new ArrayList<>();
  private final List<ChangeEvent> pendingChanges = new ArrayList<>();

  @FunctionalInterface
  private interface SqlCall<T> {
    T call() throws SQLException;
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /**
   * Prepares the transaction; the account row is locked (or, for a snapshot, read) by the first
   * call, before anything else is read or written.
   *
   * @param begin statements that start the transaction, sent with the first statement (PostgreSQL:
   *     its isolation and settings, each followed by {@code "; "}), or empty
   * @param writable false for a read-only snapshot whose writes throw
   */
  JdbcTransaction(Settings store, Connection c, AccountId accountId, String begin, boolean writable) {
    this.store = store;
    this.c = c;
    this.accountId = accountId;
    this.begin = begin;
    this.writable = writable;
  }

  /**
   * What a writer reads with the account row where the database takes several statements in one
   * round trip: the account's license grants (every write checks them for ends that are due, R9),
   * its license policy (key creation checks the seat reuse limit) and its last key ordinal (key
   * creation numbers on from it). Each a statement of its own after the lock, parameter: the account.
   */
  private static final String PREFETCH = "; " + Sql.LICENSES + "; " + Sql.LICENSE_POLICY + "; " + Sql.LAST_KEY_ORDINAL;

  /**
   * The first statement: the account row, locked for a writer, with its key count; where the
   * database takes several statements in one round trip (PostgreSQL), after the transaction's start
   * and followed by the member {@code user}'s row and, for a writer, by {@link #PREFETCH}, each read
   * by a statement of its own (at READ COMMITTED it sees every commit before the lock was granted).
   */
  private void start(@Nullable UserId user) {
    started = true;
    String lock = writable ? Sql.LOCK_ACCOUNT : Sql.READ_ACCOUNT;
    if (!facts().multiStatements()) {
      queryOne(lock, byAccount(), this::accountRow);
      return;
    }
    String sql = begin + lock + (user == null ? "" : "; " + Sql.MEMBER) + (writable ? PREFETCH : "");
    sql(() -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        Columns.setText(ps, i++, accountId.value());
        if (user != null) {
          Columns.setText(ps, i++, accountId.value());
          Columns.setText(ps, i++, user.value());
        }
        if (writable) {
          for (int n = 0; n < 3; n++) {
            Columns.setText(ps, i++, accountId.value());
          }
        }
        try (ResultSet rs = firstResultSet(ps)) {
          if (rs.next()) {
            accountRow(rs);
          }
        }
        if (user != null) {
          prefetchedUser = user;
          prefetchedMember = null;
          try (ResultSet rs = nextResultSet(ps)) {
            if (rs.next()) {
              prefetchedMember = member(rs);
            }
          }
        }
        if (writable) {
          List<License> licenses = new ArrayList<>();
          try (ResultSet rs = nextResultSet(ps)) {
            while (rs.next()) {
              licenses.add(license(rs));
            }
          }
          prefetchedLicenses = licenses;
          try (ResultSet rs = nextResultSet(ps)) {
            prefetchedPolicy = rs.next() ? Optional.of(policyRow(rs)) : Optional.empty();
          }
          try (ResultSet rs = nextResultSet(ps)) {
            rs.next();
            lastOrdinal = rs.getLong(1);
          }
        }
        return Boolean.TRUE;
      }
    });
  }

  private Account accountRow(ResultSet rs) throws SQLException {
    Account row = Columns.account(rs);
    account = row;
    storedKeyCount = rs.getInt(6);
    return row;
  }

  /** The first result set of a statement that starts with statements answering none. */
  private static ResultSet firstResultSet(PreparedStatement ps) throws SQLException {
    if (ps.execute()) {
      return Objects.requireNonNull(ps.getResultSet());
    }
    return nextResultSet(ps);
  }

  /** The next result set of a multi-statement, skipping update counts. */
  private static ResultSet nextResultSet(PreparedStatement ps) throws SQLException {
    while (!ps.getMoreResults()) {
      if (ps.getUpdateCount() == -1) {
        throw new SQLException("a statement returned no rows", "02000");
      }
    }
    return Objects.requireNonNull(ps.getResultSet());
  }

  /** Ends the work: later calls throw {@link IllegalStateException}. */
  void close() {
    open = false;
  }

  /** @return the first statement failure, if any */
  @Nullable SQLException failure() {
    return failure;
  }

  /** Writes the pending audit entries and change events; the caller commits next. */
  void flush() throws SQLException {
    if (facts().multiStatements() && !store.numberAtCommit()) {
      flushAtOnce();
      return;
    }
    if (!pendingAudit.isEmpty()) {
      long seq;
      try (PreparedStatement ps = c.prepareStatement(Sql.LAST_AUDIT_SEQ)) {
        Columns.setText(ps, 1, accountId.value());
        try (var rs = ps.executeQuery()) {
          rs.next();
          seq = rs.getLong(1);
        }
      }
      try (PreparedStatement ps = c.prepareStatement(Sql.APPEND_AUDIT)) {
        for (AuditEntry e : pendingAudit) {
          Columns.setText(ps, 1, accountId.value());
          ps.setLong(2, ++seq);
          Columns.setInstant(ps, 3, e.at());
          Columns.setText(ps, 4, e.actor());
          Columns.setText(ps, 5, e.action().name());
          Columns.setText(ps, 6, e.keyId() == null ? null : e.keyId().value());
          Columns.setText(ps, 7, e.deviceSerial());
          Columns.setText(ps, 8, e.outcome().name());
          Columns.setText(ps, 9, e.detail());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (keyDelta != 0) {
      try (PreparedStatement ps = c.prepareStatement(Sql.ADD_KEY_COUNT)) {
        ps.setInt(1, keyDelta);
        Columns.setText(ps, 2, accountId.value());
        ps.executeUpdate();
      }
    }
    if (pendingChanges.isEmpty()) {
      return;
    }
    if (!store.numberAtCommit()) {
      // No shared row: the rows get their numbers from the first feed reader after commit.
      try (PreparedStatement ps = c.prepareStatement(Sql.APPEND_CHANGE)) {
        for (ChangeEvent e : pendingChanges) {
          bindChange(ps, 1, e);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      notifyListeners();
      return;
    }
    int n = pendingChanges.size();
    // The counter lock: from here to commit, other writers of the feed wait. So numbers are taken
    // in commit order and a poller that has seen number s has seen every number below s.
    try (PreparedStatement ps = c.prepareStatement(Sql.RESERVE_CHANGES)) {
      ps.setLong(1, n);
      if (ps.executeUpdate() != 1) {
        throw new SQLException(Sql.NO_FEED_COUNTER, "55000");
      }
    }
    Instant now = store.clock().instant();
    try (PreparedStatement ps = c.prepareStatement(Sql.APPEND_NUMBERED_CHANGE)) {
      for (int i = 0; i < n; i++) {
        ps.setLong(1, n - 1L - i);
        bindChange(ps, 2, pendingChanges.get(i));
        Columns.setInstant(ps, 7, now);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * PostgreSQL: every pending write in one round trip, each kind in one statement of arrays: the
   * audit entries numbered after the account's last one, the key count, the change events (to be
   * numbered after commit) and the notification for push invalidation.
   */
  private void flushAtOnce() throws SQLException {
    List<String> statements = new ArrayList<>();
    if (!pendingAudit.isEmpty()) {
      statements.add(Sql.APPEND_AUDIT_SET);
    }
    if (keyDelta != 0) {
      statements.add(Sql.ADD_KEY_COUNT);
    }
    if (!pendingChanges.isEmpty()) {
      statements.add(Sql.APPEND_CHANGES_SET);
      statements.add(Objects.requireNonNull(facts().notifyChanges(), "PostgreSQL notifies"));
    }
    if (statements.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(String.join("; ", statements))) {
      int i = 1;
      if (!pendingAudit.isEmpty()) {
        Columns.setText(ps, i++, accountId.value());
        Columns.setText(ps, i++, accountId.value());
        ps.setArray(i++, instants(pendingAudit, AuditEntry::at));
        ps.setArray(i++, texts(pendingAudit, AuditEntry::actor));
        ps.setArray(i++, texts(pendingAudit, e -> e.action().name()));
        ps.setArray(i++, texts(pendingAudit, e -> e.keyId() == null ? null : e.keyId().value()));
        ps.setArray(i++, texts(pendingAudit, AuditEntry::deviceSerial));
        ps.setArray(i++, texts(pendingAudit, e -> e.outcome().name()));
        ps.setArray(i++, texts(pendingAudit, AuditEntry::detail));
      }
      if (keyDelta != 0) {
        ps.setInt(i++, keyDelta);
        Columns.setText(ps, i++, accountId.value());
      }
      if (!pendingChanges.isEmpty()) {
        ps.setArray(i++, texts(pendingChanges, e -> e.type().name()));
        ps.setArray(i++, texts(pendingChanges, e -> e.accountId().value()));
        ps.setArray(i++, texts(pendingChanges, e -> e.keyId() == null ? null : e.keyId().value()));
        ps.setArray(i++, bytes(pendingChanges, e -> Columns.hashes(e.hashes())));
        ps.setArray(i, instants(pendingChanges, ChangeEvent::at));
      }
      ps.execute();
    }
  }

  @FunctionalInterface
  private interface Field<E, V> {
    @Nullable V of(E row);
  }

  /** A text array of one field of each row (PostgreSQL), each checked as {@link Columns#setText} does. */
  private <E> java.sql.Array texts(List<E> rows, Field<E, String> field) throws SQLException {
    Object[] values = new Object[rows.size()];
    for (int i = 0; i < values.length; i++) {
      String v = field.of(rows.get(i));
      values[i] = v == null ? null : Columns.storable(v, "text value " + (i + 1));
    }
    return c.createArrayOf("text", values);
  }

  private <E> java.sql.Array instants(List<E> rows, Field<E, Instant> field) throws SQLException {
    Object[] values = new Object[rows.size()];
    for (int i = 0; i < values.length; i++) {
      Instant at = field.of(rows.get(i));
      values[i] = at == null ? null : Columns.decimal(at);
    }
    return c.createArrayOf("numeric", values);
  }

  private <E> java.sql.Array bytes(List<E> rows, Field<E, byte[]> field) throws SQLException {
    byte[][] values = new byte[rows.size()][];
    for (int i = 0; i < values.length; i++) {
      values[i] = field.of(rows.get(i));
    }
    return c.createArrayOf("bytea", values);
  }

  private <E> java.sql.Array values(String type, List<E> rows, Field<E, Object> field) throws SQLException {
    Object[] values = new Object[rows.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = field.of(rows.get(i));
    }
    return c.createArrayOf(type, values);
  }

  /**
   * Push invalidation: listening validators of every node read the feed when this commits (the
   * notification carries nothing; the rows may be numbered only by that read).
   */
  private void notifyListeners() throws SQLException {
    String notify = facts().notifyChanges();
    if (notify != null) {
      try (PreparedStatement ps = c.prepareStatement(notify)) {
        ps.execute();
      }
    }
  }

  /** Binds type, account, key id, hashes and time from parameter {@code first} on. */
  private static void bindChange(PreparedStatement ps, int first, ChangeEvent e) throws SQLException {
    Columns.setText(ps, first, e.type().name());
    Columns.setText(ps, first + 1, e.accountId().value());
    Columns.setText(ps, first + 2, e.keyId() == null ? null : e.keyId().value());
    ps.setBytes(first + 3, Columns.hashes(e.hashes()));
    Columns.setInstant(ps, first + 4, e.at());
  }

  // ------------------------------------------------------------------ plumbing

  private void reading() {
    if (!open) {
      throw new IllegalStateException("transaction is over");
    }
    if (!started) {
      start(null);
    }
  }

  private void writing() {
    reading();
    if (!writable) {
      throw new UnsupportedOperationException("read-only transaction");
    }
  }

  private Dialect.Facts facts() {
    return store.dialect().facts;
  }

  /** A write of a row of {@code owner}: in a writable transaction, its own account's. */
  private void writingOf(AccountId owner) {
    writing();
    requireOwn(owner);
  }

  /** {@link #writingOf}, of an existing account. */
  private void writingOwn(AccountId owner) {
    writingOf(owner);
    requireAccount();
  }

  /**
   * {@link #writingOwn} for each row of a batch.
   *
   * @return whether the batch has rows
   */
  private <T> boolean writingOwn(List<T> rows, java.util.function.Function<T, AccountId> owner) {
    writing();
    requireAccount();
    for (T row : rows) {
      requireOwn(owner.apply(row));
    }
    return !rows.isEmpty();
  }

  private void requireOwn(AccountId id) {
    if (!accountId.equals(id)) {
      throw new IllegalArgumentException(id + " is not this transaction's account " + accountId);
    }
  }

  private void requireAccount() {
    if (account == null) {
      throw new IllegalStateException("account " + accountId + " does not exist");
    }
  }

  /** Binds this transaction's account as parameter 1. */
  private Binder byAccount() {
    return ps -> Columns.setText(ps, 1, accountId.value());
  }

  /** Binds this transaction's account as parameter 1 and {@code value} as parameter 2. */
  private Binder byAccountAnd(String value) {
    return ps -> {
      Columns.setText(ps, 1, accountId.value());
      Columns.setText(ps, 2, value);
    };
  }

  private <T> T sql(SqlCall<T> call) {
    if (failure != null) {
      throw new SqlFailure(failure);
    }
    try {
      return call.call();
    } catch (SQLException e) {
      failure = e;
      throw new SqlFailure(e);
    }
  }

  private <T> List<T> query(String sql, Binder binder, RowMapper<T> mapper) {
    return sql(() -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        binder.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          List<T> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(mapper.map(rs));
          }
          return rows;
        }
      }
    });
  }

  /** {@link #query} of a statement that may start with statements answering no rows (PostgreSQL). */
  private <T> List<T> queryFirstResult(String sql, Binder binder, RowMapper<T> mapper) {
    return sql(() -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        binder.bind(ps);
        try (ResultSet rs = firstResultSet(ps)) {
          List<T> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(mapper.map(rs));
          }
          return rows;
        }
      }
    });
  }

  /** A read of this account's rows: parameter 1 is the account. */
  private <T> List<T> ofAccount(String sql, RowMapper<T> mapper) {
    reading();
    return query(sql, byAccount(), mapper);
  }

  /** A read of one row of this account by a second value: parameters account and {@code value}. */
  private <T> Optional<T> oneOfAccount(String sql, String value, RowMapper<T> mapper) {
    reading();
    return queryOne(sql, byAccountAnd(value), mapper);
  }

  private <T> Optional<T> queryOne(String sql, Binder binder, RowMapper<T> mapper) {
    List<T> rows = query(sql, binder, mapper);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private int update(String sql, Binder binder) {
    return sql(() -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        binder.bind(ps);
        return ps.executeUpdate();
      }
    });
  }

  /**
   * Runs an insert that PostgreSQL skips on a unique conflict ({@code ON CONFLICT DO NOTHING}) and
   * H2 fails with 23505 for that statement only.
   *
   * @return whether a row was inserted
   */
  private boolean insertUnlessTaken(String sql, Binder binder) {
    return unlessTaken(sql, binder, false) == 1;
  }

  /**
   * Runs a write that may meet a unique constraint. H2 fails only the statement; in PostgreSQL the
   * violation would abort the whole transaction, so with {@code underSavepoint} the statement runs
   * under a savepoint that the violation rolls back to.
   *
   * @return the number of rows written, or -1 if a unique value was taken
   */
  private int unlessTaken(String sql, Binder binder, boolean underSavepoint) {
    return sql(() -> {
      Savepoint savepoint = underSavepoint && !facts().statementLevelRollback() ? c.setSavepoint() : null;
      int rows;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        binder.bind(ps);
        rows = ps.executeUpdate();
      } catch (SQLException e) {
        if (Dialect.isUniqueViolation(e) && (savepoint != null || facts().statementLevelRollback())) {
          if (savepoint != null) {
            c.rollback(savepoint);
          }
          return -1;
        }
        throw e;
      }
      if (savepoint != null) {
        c.releaseSavepoint(savepoint);
      }
      return rows;
    });
  }

  // ------------------------------------------------------------------ accounts

  @Override
  public Optional<Account> account() {
    reading();
    return Optional.ofNullable(account);
  }

  @Override
  public boolean insertAccount(Account a) {
    writingOf(a.id());
    if (account != null) {
      return false;
    }
    // A concurrent creator holds the new row until it commits; then this insert does nothing.
    boolean inserted = insertUnlessTaken(store.dialect().insertAccount, ps -> {
      Columns.setText(ps, 1, a.id().value());
      Columns.setText(ps, 2, a.name());
      ps.setInt(3, a.contractedLicenses());
      Columns.setInstant(ps, 4, a.createdAt());
      Columns.setInstant(ps, 5, a.closedAt());
    });
    if (inserted) {
      account = a;
      storedKeyCount = 0;
    }
    return inserted;
  }

  @Override
  public void updateAccount(Account a) {
    writingOwn(a.id());
    update(Sql.UPDATE_ACCOUNT, ps -> {
      Columns.setText(ps, 1, a.name());
      ps.setInt(2, a.contractedLicenses());
      Columns.setInstant(ps, 3, a.createdAt());
      Columns.setInstant(ps, 4, a.closedAt());
      Columns.setText(ps, 5, a.id().value());
    });
    account = a;
  }

  // ------------------------------------------------------------------ members

  private Member member(ResultSet rs) throws SQLException {
    return new Member(accountId, UserId.of(rs.getString(1)), Role.valueOf(rs.getString(2)));
  }

  @Override
  public List<Member> members() {
    return ofAccount(Sql.MEMBERS, this::member);
  }

  @Override
  public Optional<Member> member(UserId userId) {
    Objects.requireNonNull(userId, "userId");
    if (open && !started) {
      start(userId);
    }
    reading();
    if (userId.equals(prefetchedUser)) {
      prefetchedUser = null; // answered once: a later write of the member makes it stale
      return Optional.ofNullable(prefetchedMember);
    }
    return queryOne(Sql.MEMBER, byAccountAnd(userId.value()), this::member);
  }

  @Override
  public void putMember(Member member) {
    writingOwn(member.accountId());
    update(facts().upsertMember(), ps -> {
      Columns.setText(ps, 1, accountId.value());
      Columns.setText(ps, 2, member.userId().value());
      Columns.setText(ps, 3, member.role().name());
    });
  }

  @Override
  public void removeMember(UserId userId) {
    writing();
    Objects.requireNonNull(userId, "userId");
    update(Sql.DELETE_MEMBER, byAccountAnd(userId.value()));
  }

  // ------------------------------------------------------------------ devices

  @Override
  public List<Device> devices() {
    return ofAccount(Sql.DEVICES, Columns::device);
  }

  @Override
  public Optional<Device> device(String serial) {
    return oneOfAccount(Sql.DEVICE, Objects.requireNonNull(serial, "serial"), Columns::device);
  }

  @Override
  public boolean insertDevice(Device device) {
    writingOwn(device.accountId());
    return insertUnlessTaken(store.dialect().insertDevice, ps -> {
      Columns.setText(ps, 1, device.serial());
      Columns.setText(ps, 2, accountId.value());
      Columns.setText(ps, 3, device.name());
      Columns.setText(ps, 4, device.model());
      Columns.setInstant(ps, 5, device.associatedAt());
    });
  }

  /** One JDBC batch; a serial taken inserts nothing (PostgreSQL) or fails its row alone (H2). */
  @Override
  public List<Integer> insertDevices(List<Device> devices) {
    if (!writingOwn(devices, Device::accountId)) {
      return List.of();
    }
    int[] counts = batch(store.dialect().insertDevice, devices.size(), (ps, i) -> {
      Device device = devices.get(i);
      Columns.setText(ps, 1, device.serial());
      Columns.setText(ps, 2, accountId.value());
      Columns.setText(ps, 3, device.name());
      Columns.setText(ps, 4, device.model());
      Columns.setInstant(ps, 5, device.associatedAt());
    });
    List<Integer> refused = new ArrayList<>();
    for (int i = 0; i < devices.size(); i++) {
      if (!inserted(counts, i)) {
        refused.add(i);
      }
    }
    return refused;
  }

  @FunctionalInterface
  private interface RowBinder {
    void bind(PreparedStatement ps, int row) throws SQLException;
  }

  /**
   * Runs one JDBC batch of {@code rows} executions of a conditional insert.
   *
   * @return the update counts; a row that met a unique constraint counts 0 (PostgreSQL's {@code ON
   *     CONFLICT DO NOTHING}) or {@link java.sql.Statement#EXECUTE_FAILED} (H2, which fails that
   *     row alone and runs the others)
   */
  private int[] batch(String sql, int rows, RowBinder binder) {
    return sql(() -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < rows; i++) {
          binder.bind(ps, i);
          ps.addBatch();
        }
        try {
          return ps.executeBatch();
        } catch (java.sql.BatchUpdateException e) {
          if (!facts().statementLevelRollback() || !Dialect.isUniqueViolation(e)
              && (e.getNextException() == null || !Dialect.isUniqueViolation(e.getNextException()))) {
            throw e;
          }
          return e.getUpdateCounts();
        } catch (AssertionError e) {
          // the PostgreSQL driver asserts instead of throwing when the connection dies in a batch
          throw new SQLException("the connection failed during a batch", "08006", e);
        }
      }
    });
  }

  private static boolean inserted(int[] counts, int i) {
    return i < counts.length && (counts[i] == 1 || counts[i] == java.sql.Statement.SUCCESS_NO_INFO);
  }

  @Override
  public void updateDevice(Device device) {
    writingOf(device.accountId());
    int n = update(Sql.UPDATE_DEVICE, ps -> {
      Columns.setText(ps, 1, device.name());
      Columns.setText(ps, 2, device.model());
      Columns.setInstant(ps, 3, device.associatedAt());
      Columns.setText(ps, 4, accountId.value());
      Columns.setText(ps, 5, device.serial());
    });
    if (n == 0) {
      throw new IllegalStateException("device " + device.serial() + " is not in account " + accountId);
    }
    update(Sql.RENAME_KEY_DEVICE, ps -> { // the keys table sorts by the name on the key's row (V3)
      Columns.setText(ps, 1, device.name());
      Columns.setText(ps, 2, accountId.value());
      Columns.setText(ps, 3, device.serial());
    });
  }

  @Override
  public void deleteDevice(String serial) {
    writing();
    Objects.requireNonNull(serial, "serial");
    if (keyForDevice(serial).isPresent()) {
      throw new IllegalStateException("device " + serial + " still has a key");
    }
    update(Sql.DELETE_DEVICE, byAccountAnd(serial));
  }

  // ------------------------------------------------------------------ keys

  @Override
  public List<StoredKey> keys() {
    return ofAccount(Sql.KEYS, Columns::key);
  }

  /** The count kept on the account row (no count of the keys): R1's check costs nothing more. */
  @Override
  public int keyCount() {
    reading();
    return account == null ? 0 : storedKeyCount + keyDelta;
  }

  /**
   * Read once per transaction (the account row is locked, so only this transaction changes it)
   * and kept up to date by this transaction's inserts; a delete forgets it.
   */
  @Override
  public long lastKeyOrdinal() {
    reading();
    if (lastOrdinal == null) {
      lastOrdinal = query(Sql.LAST_KEY_ORDINAL, byAccount(), rs -> rs.getLong(1)).get(0);
    }
    return lastOrdinal;
  }

  /** One query for the whole batch's devices and their keys. */
  @Override
  public Map<String, DeviceWithKey> devicesWithKeys(Collection<String> serials) {
    reading();
    Objects.requireNonNull(serials, "serials");
    Map<String, DeviceWithKey> found = new LinkedHashMap<>();
    if (serials.isEmpty()) {
      return found;
    }
    String[] array = serials.toArray(String[]::new);
    for (DeviceWithKey d : query(Sql.DEVICES_WITH_KEYS, ps -> {
      ps.setObject(1, array);
      Columns.setText(ps, 2, accountId.value());
    }, rs -> new DeviceWithKey(Columns.device(rs), rs.getString(6) == null ? null : Columns.key(rs, 5)))) {
      found.put(d.device().serial(), d);
    }
    return found;
  }

  @Override
  public boolean insertKey(StoredKey key) {
    return insertKeys(List.of(key)).isEmpty();
  }

  /**
   * One JDBC batch of conditional inserts ({@link Sql#INSERT_KEY_CHECKED}): each row checks its
   * own device and the cross-column hashes and sees the rows before it; a unique conflict inserts
   * nothing (PostgreSQL's {@code ON CONFLICT DO NOTHING}, or H2 failing that row alone).
   */
  @Override
  public List<Integer> insertKeys(List<StoredKey> keys) {
    if (!writingOwn(keys, StoredKey::accountId)) {
      return List.of();
    }
    if (facts().multiStatements() && keys.stream().allMatch(k -> k.previousHash() == null)) {
      return insertKeysAtOnce(keys);
    }
    int[] counts = batch(store.dialect().insertKeyChecked, keys.size(), (ps, i) -> {
      StoredKey key = keys.get(i);
      Columns.bindNewKey(ps, key);
      KeyHash other = key.previousHash() == null ? key.hash() : key.previousHash();
      Columns.setText(ps, 15, accountId.value());
      Columns.setText(ps, 16, key.deviceSerial());
      ps.setBytes(17, key.hash().toBytes());
      ps.setBytes(18, other.toBytes());
      ps.setBytes(19, other.toBytes());
    });
    return counted(keys, i -> inserted(counts, i));
  }

  /**
   * Counts the keys inserted into the key count and the last ordinal.
   *
   * @return the indexes of the keys refused
   */
  private List<Integer> counted(List<StoredKey> keys, java.util.function.IntPredicate inserted) {
    List<Integer> refused = new ArrayList<>();
    long highest = 0;
    for (int i = 0; i < keys.size(); i++) {
      if (inserted.test(i)) {
        keyDelta++;
        highest = Math.max(highest, keys.get(i).ordinal());
      } else {
        refused.add(i);
      }
    }
    if (lastOrdinal != null) {
      lastOrdinal = Math.max(lastOrdinal, highest);
    }
    return refused;
  }

  /**
   * PostgreSQL: the whole batch in one statement ({@link Sql#INSERT_KEYS_SET}), for keys without a
   * previous hash (fresh ones; so no row's checks need to see the rows before it).
   */
  private List<Integer> insertKeysAtOnce(List<StoredKey> keys) {
    java.util.Set<String> inserted = new java.util.HashSet<>(query(Sql.INSERT_KEYS_SET, ps -> {
      ps.setArray(1, texts(keys, k -> k.id().value()));
      ps.setArray(2, texts(keys, StoredKey::deviceSerial));
      ps.setArray(3, bytes(keys, k -> k.hash().toBytes()));
      ps.setArray(4, texts(keys, StoredKey::hint));
      ps.setArray(5, texts(keys, StoredKey::label));
      ps.setArray(6, instants(keys, StoredKey::createdAt));
      ps.setArray(7, instants(keys, StoredKey::regeneratedAt));
      ps.setArray(8, instants(keys, StoredKey::expiresAt));
      ps.setArray(9, values("bool", keys, StoredKey::suspended));
      ps.setArray(10, bytes(keys, StoredKey::sealedSecret));
      ps.setArray(11, values("int8", keys, StoredKey::ordinal));
      Columns.setText(ps, 12, accountId.value());
    }, rs -> rs.getString(1)));
    // a key id is inserted once at most (the primary key), by the first of its rows (ORDER BY u.n)
    return counted(keys, i -> inserted.remove(keys.get(i).id().value()));
  }

  @Override
  public Optional<StoredKey> key(KeyId id) {
    return oneOfAccount(Sql.KEY, Objects.requireNonNull(id, "id").value(), Columns::key);
  }

  @Override
  public Optional<StoredKey> keyForDevice(String serial) {
    return oneOfAccount(Sql.KEY_FOR_DEVICE, Objects.requireNonNull(serial, "serial"), Columns::key);
  }

  /** The three counts of {@link Sql#KEY_WRITE_CHECK}: device in account, other key on device, hash taken. */
  private long[] writeCheck(StoredKey key) {
    KeyHash other = key.previousHash() == null ? key.hash() : key.previousHash();
    return query(Sql.KEY_WRITE_CHECK, ps -> {
      Columns.setText(ps, 1, accountId.value());
      Columns.setText(ps, 2, key.deviceSerial());
      Columns.setText(ps, 3, key.deviceSerial());
      Columns.setText(ps, 4, key.id().value());
      Columns.setText(ps, 5, key.id().value());
      ps.setBytes(6, key.hash().toBytes());
      ps.setBytes(7, other.toBytes());
      Columns.setText(ps, 8, key.id().value());
      ps.setBytes(9, key.hash().toBytes());
      ps.setBytes(10, other.toBytes());
    }, rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).get(0);
  }

  @Override
  public boolean updateKey(StoredKey key) {
    writingOf(key.accountId());
    StoredKey old = key(key.id())
        .orElseThrow(() -> new IllegalStateException("key " + key.id() + " is not in account " + accountId));
    long[] check = writeCheck(key);
    if (check[0] == 0 || check[1] > 0 || check[2] > 0) {
      return false;
    }
    // A new hash could meet a concurrent writer of another account in the unique index.
    boolean newHash = !old.hashes().containsAll(key.hashes());
    return unlessTaken(Sql.UPDATE_KEY, ps -> Columns.bindKeyUpdate(ps, key), newHash) >= 0;
  }

  @Override
  public void deleteKey(KeyId id) {
    writing();
    Objects.requireNonNull(id, "id");
    int deleted = update(Sql.DELETE_KEY, byAccountAnd(id.value()));
    keyDelta -= deleted;
    if (deleted > 0) {
      lastOrdinal = null; // the highest may have gone
    }
  }

  @Override
  public KeyUsage usage(KeyId id) {
    reading();
    Objects.requireNonNull(id, "id");
    return queryOne(Sql.KEY_USAGE, byAccountAnd(id.value()), rs -> {
      long count = rs.getLong(2);
      java.time.Instant last = Columns.getInstant(rs, 1);
      return last == null && count == 0 ? KeyUsage.NONE : new KeyUsage(last, count);
    }).orElse(KeyUsage.NONE);
  }

  /**
   * One query for the page (keyset: the sort column and key id compared with the cursor's, one row
   * more than the limit, usage from the key's row, the device name looked up per row), and one count when a
   * search or filter applies; without them the total is the key count on the account row.
   */
  @Override
  public KeyRowPage keyPage(KeyPageRequest request) {
    reading();
    Objects.requireNonNull(request, "request");
    if (account == null) {
      return new KeyRowPage(List.of(), false, 0);
    }
    KeyPageSql.Statement page = KeyPageSql.page(store.dialect(), accountId.value(), request);
    // in the index's order whatever the statistics say (Dialect#inIndexOrder), where an index serves the sort
    String sql = KeyPageSql.indexed(request.sort()) ? store.dialect().inIndexOrder(page.sql()) : page.sql();
    List<KeyRow> rows = queryFirstResult(sql, page::bind, rs -> {
      int n = KeyPageSql.DEVICE_NAME_COLUMN;
      long count = rs.getLong(n + 2);
      Instant last = Columns.getInstant(rs, n + 1);
      return new KeyRow(Columns.key(rs), rs.getString(n),
          last == null && count == 0 ? KeyUsage.NONE : new KeyUsage(last, count));
    });
    boolean more = rows.size() > request.limit();
    if (more) {
      rows = rows.subList(0, request.limit());
    }
    KeyPageSql.Statement count = KeyPageSql.count(accountId.value(), request);
    long total = count == null ? keyCount()
        : query(count.sql(), count::bind, rs -> rs.getLong(1)).get(0);
    return new KeyRowPage(rows, more, Math.max(total, rows.size()));
  }

  // ------------------------------------------------------------------ licenses

  private License license(ResultSet rs) throws SQLException {
    return Columns.license(rs);
  }

  @Override
  public List<License> licenses() {
    reading();
    List<License> rows = prefetchedLicenses != null ? prefetchedLicenses : query(Sql.LICENSES, byAccount(), this::license);
    return rows.stream().sorted(License.ORDER).toList();
  }

  @Override
  public boolean insertLicense(License l) {
    writingOwn(l.accountId());
    prefetchedLicenses = null;
    return unlessTaken(Sql.INSERT_LICENSE, ps -> {
      Columns.setText(ps, 1, l.id().value());
      Columns.setText(ps, 2, accountId.value());
      ps.setInt(3, l.quantity());
      Columns.setInstant(ps, 4, l.start());
      Columns.setInstant(ps, 5, l.end());
      Columns.setText(ps, 6, l.reference());
      Columns.setText(ps, 7, l.createdBy());
      Columns.setInstant(ps, 8, l.createdAt());
      ps.setBoolean(9, l.endApplied());
    }, true) == 1;
  }

  @Override
  public void updateLicense(License l) {
    writingOf(l.accountId());
    prefetchedLicenses = null;
    int rows = update(Sql.UPDATE_LICENSE, ps -> {
      Columns.setInstant(ps, 1, l.end());
      ps.setBoolean(2, l.endApplied());
      Columns.setText(ps, 3, accountId.value());
      Columns.setText(ps, 4, l.id().value());
    });
    if (rows != 1) {
      throw new IllegalStateException("license grant " + l.id() + " does not exist in account " + accountId);
    }
  }

  /** The account's row of keyseat_license_policy: its policy and the ledger's freed seats. */
  private record PolicyRow(LicensePolicy policy, int freedSeats) {}

  private Optional<PolicyRow> policyRow() {
    if (prefetchedPolicy != null) {
      return prefetchedPolicy;
    }
    return queryOne(Sql.LICENSE_POLICY, byAccount(), JdbcTransaction::policyRow);
  }

  /** Maps a row of {@link Sql#LICENSE_POLICY}. */
  private static PolicyRow policyRow(ResultSet rs) throws SQLException {
    java.math.BigDecimal period = rs.getBigDecimal(3);
    Duration d = period == null ? null : Duration.between(Instant.EPOCH, Columns.instant(period));
    return new PolicyRow(new LicensePolicy(OverLimitStrategy.valueOf(rs.getString(1)), rs.getInt(2), d), rs.getInt(4));
  }

  @Override
  public LicensePolicy licensePolicy() {
    reading();
    return policyRow().map(PolicyRow::policy).orElse(LicensePolicy.DEFAULT);
  }

  @Override
  public void putLicensePolicy(LicensePolicy policy) {
    writing();
    requireAccount();
    Objects.requireNonNull(policy, "policy");
    prefetchedPolicy = null;
    Binder values = ps -> {
      Columns.setText(ps, 1, policy.onExpiry().name());
      ps.setInt(2, policy.maxReassignments());
      Columns.setInstant(ps, 3, policy.reassignmentPeriod() == null ? null
          : Instant.EPOCH.plus(policy.reassignmentPeriod()));
    };
    // the account row lock serializes the writers of this row: update, or insert if there is none
    if (update(Sql.UPDATE_LICENSE_POLICY, ps -> {
      values.bind(ps);
      Columns.setText(ps, 4, accountId.value());
    }) == 0) {
      update(Sql.INSERT_LICENSE_POLICY, ps -> {
        values.bind(ps);
        ps.setInt(4, 0);
        Columns.setText(ps, 5, accountId.value());
      });
    }
  }

  @Override
  public SeatLedger seatLedger() {
    reading();
    Optional<PolicyRow> row = policyRow();
    if (row.isEmpty()) {
      return SeatLedger.EMPTY;
    }
    List<Instant> at = query(Sql.SEAT_REASSIGNMENTS, byAccount(), rs -> Columns.requireInstant(rs, 1));
    return new SeatLedger(row.get().freedSeats(), at);
  }

  @Override
  public void putSeatLedger(SeatLedger ledger) {
    writing();
    requireAccount();
    Objects.requireNonNull(ledger, "ledger");
    if (policyRow().isEmpty()) {
      putLicensePolicy(LicensePolicy.DEFAULT);
    }
    prefetchedPolicy = null; // the freed seats change
    update(Sql.UPDATE_FREED_SEATS, ps -> {
      ps.setInt(1, ledger.freedSeats());
      Columns.setText(ps, 2, accountId.value());
    });
    update(Sql.DELETE_SEAT_REASSIGNMENTS, byAccount());
    if (!ledger.reassignments().isEmpty()) {
      sql(() -> {
        try (PreparedStatement ps = c.prepareStatement(Sql.INSERT_SEAT_REASSIGNMENT)) {
          int n = 0;
          for (Instant at : ledger.reassignments()) {
            Columns.setText(ps, 1, accountId.value());
            ps.setInt(2, ++n);
            Columns.setInstant(ps, 3, at);
            ps.addBatch();
          }
          return ps.executeBatch();
        }
      });
    }
  }

  // ------------------------------------------------------------------ audit and change feed

  @Override
  public void appendAudit(AuditEntry entry) {
    writingOwn(entry.accountId());
    pendingAudit.add(entry);
  }

  @Override
  public List<AuditEntry> audit(long beforeSequence, int limit) {
    reading();
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    if (limit == 0 || beforeSequence <= 1) {
      return List.of();
    }
    return query(Sql.AUDIT_PAGE, ps -> {
      Columns.setText(ps, 1, accountId.value());
      ps.setLong(2, beforeSequence);
      ps.setInt(3, limit);
    }, rs -> Columns.audit(accountId, rs));
  }

  @Override
  public void appendChange(ChangeEvent event) {
    writingOf(event.accountId());
    pendingChanges.add(event);
  }

  @Override
  public String toString() {
    return "JdbcTransaction[account=" + accountId + (writable ? "" : ", read-only") + (open ? "" : ", over") + "]";
  }
}
