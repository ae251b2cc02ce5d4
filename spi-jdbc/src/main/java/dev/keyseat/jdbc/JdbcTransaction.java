package dev.keyseat.jdbc;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.Member;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One account transaction on one connection. The account row is locked when the transaction
 * starts (or read without a lock for a snapshot). Audit entries and change events are kept in
 * memory and written by {@link #flush()} just before commit: audit entries numbered after the
 * account's last one, change events after the feed's last one, under the feed lock that is held
 * only between that point and the commit.
 *
 * <p>A failed statement poisons the transaction: every later call fails the same way, and the
 * store rolls back.
 */
final class JdbcTransaction implements AccountTransaction {
  private final Dialect dialect;
  private final Connection c;
  private final AccountId accountId;
  private final boolean writable;
  private @Nullable Account account;
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
   * Locks (or, for a snapshot, reads) the account row.
   *
   * @param writable false for a read-only snapshot whose writes throw
   */
  JdbcTransaction(Dialect dialect, Connection c, AccountId accountId, boolean writable) {
    this.dialect = dialect;
    this.c = c;
    this.accountId = accountId;
    this.writable = writable;
    this.account = queryOne(writable ? Sql.LOCK_ACCOUNT : Sql.READ_ACCOUNT, byAccount(), Columns::account).orElse(null);
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
    if (!pendingChanges.isEmpty()) {
      int n = pendingChanges.size();
      // The feed lock: from here to commit, other writers of the feed wait. So numbers are taken
      // in commit order and a poller that has seen number s has seen every number below s.
      try (PreparedStatement ps = c.prepareStatement(Sql.RESERVE_CHANGES)) {
        ps.setLong(1, n);
        if (ps.executeUpdate() != 1) {
          throw new SQLException(Sql.NO_FEED_COUNTER, "55000");
        }
      }
      try (PreparedStatement ps = c.prepareStatement(Sql.APPEND_CHANGE)) {
        for (int i = 0; i < n; i++) {
          ChangeEvent e = pendingChanges.get(i);
          ps.setLong(1, n - 1L - i);
          Columns.setText(ps, 2, e.type().name());
          Columns.setText(ps, 3, e.accountId().value());
          Columns.setText(ps, 4, e.keyId().value());
          ps.setBytes(5, Columns.hashes(e.hashes()));
          Columns.setInstant(ps, 6, e.at());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  // ------------------------------------------------------------------ plumbing

  private void reading() {
    if (!open) {
      throw new IllegalStateException("transaction is over");
    }
  }

  private void writing() {
    reading();
    if (!writable) {
      throw new UnsupportedOperationException("read-only transaction");
    }
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
      Savepoint savepoint = underSavepoint && !dialect.statementLevelRollback ? c.setSavepoint() : null;
      int rows;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        binder.bind(ps);
        rows = ps.executeUpdate();
      } catch (SQLException e) {
        if (Dialect.isUniqueViolation(e) && (savepoint != null || dialect.statementLevelRollback)) {
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
    writing();
    requireOwn(a.id());
    if (account != null) {
      return false;
    }
    // A concurrent creator holds the new row until it commits; then this insert does nothing.
    boolean inserted = insertUnlessTaken(dialect.insertAccount, ps -> {
      Columns.setText(ps, 1, a.id().value());
      Columns.setText(ps, 2, a.name());
      ps.setInt(3, a.contractedLicenses());
      Columns.setInstant(ps, 4, a.createdAt());
      Columns.setInstant(ps, 5, a.closedAt());
    });
    if (inserted) {
      account = a;
    }
    return inserted;
  }

  @Override
  public void updateAccount(Account a) {
    writing();
    requireOwn(a.id());
    requireAccount();
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
    reading();
    return query(Sql.MEMBERS, byAccount(), this::member);
  }

  @Override
  public Optional<Member> member(UserId userId) {
    reading();
    Objects.requireNonNull(userId, "userId");
    return queryOne(Sql.MEMBER, byAccountAnd(userId.value()), this::member);
  }

  @Override
  public void putMember(Member member) {
    writing();
    requireAccount();
    requireOwn(member.accountId());
    update(dialect.upsertMember, ps -> {
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
    reading();
    return query(Sql.DEVICES, byAccount(), Columns::device);
  }

  @Override
  public Optional<Device> device(String serial) {
    reading();
    Objects.requireNonNull(serial, "serial");
    return queryOne(Sql.DEVICE, byAccountAnd(serial), Columns::device);
  }

  @Override
  public boolean insertDevice(Device device) {
    writing();
    requireAccount();
    requireOwn(device.accountId());
    return insertUnlessTaken(dialect.insertDevice, ps -> {
      Columns.setText(ps, 1, device.serial());
      Columns.setText(ps, 2, accountId.value());
      Columns.setText(ps, 3, device.name());
      Columns.setText(ps, 4, device.model());
      Columns.setInstant(ps, 5, device.associatedAt());
    });
  }

  @Override
  public void updateDevice(Device device) {
    writing();
    requireOwn(device.accountId());
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
    reading();
    return query(Sql.KEYS, byAccount(), Columns::key);
  }

  @Override
  public int keyCount() {
    reading();
    return query(Sql.KEY_COUNT, byAccount(), rs -> rs.getInt(1)).get(0);
  }

  @Override
  public long lastKeyOrdinal() {
    reading();
    return query(Sql.LAST_KEY_ORDINAL, byAccount(), rs -> rs.getLong(1)).get(0);
  }

  @Override
  public Optional<StoredKey> key(KeyId id) {
    reading();
    Objects.requireNonNull(id, "id");
    return queryOne(Sql.KEY, byAccountAnd(id.value()), Columns::key);
  }

  @Override
  public Optional<StoredKey> keyForDevice(String serial) {
    reading();
    Objects.requireNonNull(serial, "serial");
    return queryOne(Sql.KEY_FOR_DEVICE, byAccountAnd(serial), Columns::key);
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
  public boolean insertKey(StoredKey key) {
    writing();
    requireAccount();
    requireOwn(key.accountId());
    long[] check = writeCheck(key);
    if (check[0] == 0 || check[1] > 0 || check[2] > 0) {
      return false;
    }
    // The device is this account's and locked with it; a concurrent writer of another account can
    // only collide on the id or a hash, which the unique constraints turn into "not inserted".
    return insertUnlessTaken(dialect.insertKey, ps -> Columns.bindNewKey(ps, key));
  }

  @Override
  public boolean updateKey(StoredKey key) {
    writing();
    requireOwn(key.accountId());
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
    update(Sql.DELETE_KEY, byAccountAnd(id.value()));
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

  // ------------------------------------------------------------------ audit and change feed

  @Override
  public void appendAudit(AuditEntry entry) {
    writing();
    requireAccount();
    requireOwn(entry.accountId());
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
    writing();
    requireOwn(event.accountId());
    pendingChanges.add(event);
  }

  @Override
  public String toString() {
    return "JdbcTransaction[account=" + accountId + (writable ? "" : ", read-only") + (open ? "" : ", over") + "]";
  }
}
