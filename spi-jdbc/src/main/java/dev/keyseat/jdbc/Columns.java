package dev.keyseat.jdbc;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.StoredKey;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Conversions between domain values and columns. Instants are exact decimal seconds
 * ({@code NUMERIC(30,9)}), so that they read back equal to the nanosecond.
 */
final class Columns {
  private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);

  private Columns() {}

  static BigDecimal decimal(Instant instant) {
    BigInteger nanos = BigInteger.valueOf(instant.getEpochSecond()).multiply(NANOS_PER_SECOND)
        .add(BigInteger.valueOf(instant.getNano()));
    return new BigDecimal(nanos, 9);
  }

  static Instant instant(BigDecimal decimal) {
    BigInteger[] secondsAndNanos = decimal.setScale(9, RoundingMode.UNNECESSARY).unscaledValue()
        .divideAndRemainder(NANOS_PER_SECOND);
    return Instant.ofEpochSecond(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValue());
  }

  static void setInstant(PreparedStatement ps, int index, @Nullable Instant instant) throws SQLException {
    if (instant == null) {
      ps.setNull(index, Types.NUMERIC);
    } else {
      ps.setBigDecimal(index, decimal(instant));
    }
  }

  static @Nullable Instant getInstant(ResultSet rs, int index) throws SQLException {
    BigDecimal d = rs.getBigDecimal(index);
    return d == null ? null : instant(d);
  }

  static Instant requireInstant(ResultSet rs, int index) throws SQLException {
    Instant i = getInstant(rs, index);
    if (i == null) {
      throw new SQLException("column " + index + " is null", "22004");
    }
    return i;
  }

  static void setBytes(PreparedStatement ps, int index, byte @Nullable [] bytes) throws SQLException {
    if (bytes == null) {
      ps.setNull(index, Types.VARBINARY);
    } else {
      ps.setBytes(index, bytes);
    }
  }

  /**
   * Binds text that every supported database stores unchanged.
   *
   * @throws IllegalArgumentException if the text has a NUL character (PostgreSQL refuses it) or an
   *     unpaired surrogate (UTF-8 cannot encode it; the driver would store '?')
   */
  static void setText(PreparedStatement ps, int index, @Nullable String s) throws SQLException {
    if (s == null) {
      ps.setNull(index, Types.VARCHAR);
      return;
    }
    ps.setString(index, storable(s, "text parameter " + index));
  }

  /**
   * @param what the text's place, for the message
   * @return {@code s}
   * @throws IllegalArgumentException if the text has a NUL character or an unpaired surrogate
   */
  static @Nullable String storable(@Nullable String s, String what) {
    if (s == null) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean paired = Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (ch == '\0' || (Character.isSurrogate(ch) && !paired)) {
        throw new IllegalArgumentException(what + " cannot be stored: it contains a NUL"
            + " character or an unpaired surrogate at index " + i);
      }
      if (paired) {
        i++;
      }
    }
    return s;
  }

  /** The hashes of a change event, concatenated: 32 bytes each. */
  static byte[] hashes(List<KeyHash> hashes) {
    byte[] all = new byte[hashes.size() * KeyHash.LENGTH];
    for (int i = 0; i < hashes.size(); i++) {
      System.arraycopy(hashes.get(i).toBytes(), 0, all, i * KeyHash.LENGTH, KeyHash.LENGTH);
    }
    return all;
  }

  static List<KeyHash> hashes(byte[] all) {
    List<KeyHash> hashes = new ArrayList<>(all.length / KeyHash.LENGTH);
    for (int from = 0; from + KeyHash.LENGTH <= all.length; from += KeyHash.LENGTH) {
      hashes.add(KeyHash.of(java.util.Arrays.copyOfRange(all, from, from + KeyHash.LENGTH)));
    }
    return hashes;
  }

  // rows

  /** Columns of {@link Sql#ACCOUNT_COLUMNS}. */
  static Account account(ResultSet rs) throws SQLException {
    return new Account(AccountId.of(rs.getString(1)), rs.getString(2), rs.getInt(3), requireInstant(rs, 4),
        getInstant(rs, 5));
  }

  /** Columns of {@link Sql#DEVICE_COLUMNS}. */
  static Device device(ResultSet rs) throws SQLException {
    return new Device(rs.getString(1), AccountId.of(rs.getString(2)), rs.getString(3), rs.getString(4),
        requireInstant(rs, 5));
  }

  /** Columns of {@link Sql#KEY_COLUMNS}. */
  static StoredKey key(ResultSet rs) throws SQLException {
    return key(rs, 0);
  }

  /** Columns of {@link Sql#KEY_COLUMNS} after the first {@code skip} columns. */
  static StoredKey key(ResultSet rs, int skip) throws SQLException {
    int o = skip;
    byte[] previous = rs.getBytes(o + 11);
    return new StoredKey(
        KeyId.of(rs.getString(o + 1)),
        AccountId.of(rs.getString(o + 2)),
        rs.getString(o + 3),
        KeyHash.of(rs.getBytes(o + 4)),
        rs.getString(o + 5),
        rs.getString(o + 6),
        requireInstant(rs, o + 7),
        getInstant(rs, o + 8),
        getInstant(rs, o + 9),
        rs.getBoolean(o + 10),
        previous == null ? null : KeyHash.of(previous),
        getInstant(rs, o + 12),
        rs.getBytes(o + 13),
        rs.getLong(o + 14));
  }

  /** Binds the first 14 parameters of {@link Sql#INSERT_KEY_CHECKED}: id, account, the values, then the ordinal. */
  static void bindNewKey(PreparedStatement ps, StoredKey k) throws SQLException {
    setText(ps, 1, k.id().value());
    setText(ps, 2, k.accountId().value());
    ps.setLong(bindKeyValues(ps, 3, k), k.ordinal());
  }

  /** Binds the 15 parameters of {@link Sql#UPDATE_KEY}: the values, account and serial, then account and id. */
  static void bindKeyUpdate(PreparedStatement ps, StoredKey k) throws SQLException {
    int next = bindKeyValues(ps, 1, k);
    setText(ps, next, k.accountId().value());
    setText(ps, next + 1, k.deviceSerial());
    setText(ps, next + 2, k.accountId().value());
    setText(ps, next + 3, k.id().value());
  }

  /**
   * Binds the 11 columns of {@link Sql#KEY_VALUE_COLUMNS} from parameter {@code first} on.
   *
   * @return the next parameter index
   */
  private static int bindKeyValues(PreparedStatement ps, int first, StoredKey k) throws SQLException {
    int i = first;
    setText(ps, i++, k.deviceSerial());
    ps.setBytes(i++, k.hash().toBytes());
    setText(ps, i++, k.hint());
    setText(ps, i++, k.label());
    setInstant(ps, i++, k.createdAt());
    setInstant(ps, i++, k.regeneratedAt());
    setInstant(ps, i++, k.expiresAt());
    ps.setBoolean(i++, k.suspended());
    setBytes(ps, i++, k.previousHash() == null ? null : k.previousHash().toBytes());
    setInstant(ps, i++, k.previousValidUntil());
    setBytes(ps, i++, k.sealedSecret());
    return i;
  }

  /** Columns of {@link Sql#LICENSE_COLUMNS}. */
  static dev.keyseat.License license(ResultSet rs) throws SQLException {
    return new dev.keyseat.License(dev.keyseat.LicenseId.of(rs.getString(1)), AccountId.of(rs.getString(2)),
        rs.getInt(3), requireInstant(rs, 4), getInstant(rs, 5), rs.getString(6), rs.getString(7),
        requireInstant(rs, 8), rs.getBoolean(9));
  }

  /** Columns of {@link Sql#AUDIT_PAGE}. */
  static AuditEntry audit(AccountId accountId, ResultSet rs) throws SQLException {
    String keyId = rs.getString(5);
    return new AuditEntry(rs.getLong(1), accountId, requireInstant(rs, 2), rs.getString(3),
        AuditEntry.Action.valueOf(rs.getString(4)), keyId == null ? null : KeyId.of(keyId), rs.getString(6),
        AuditEntry.Outcome.valueOf(rs.getString(7)), rs.getString(8));
  }

  /** Columns of {@link Sql#CHANGES_SINCE}. */
  static ChangeEvent change(ResultSet rs) throws SQLException {
    return new ChangeEvent(rs.getLong(1), ChangeEvent.Type.valueOf(rs.getString(2)), AccountId.of(rs.getString(3)),
        keyIdOrNull(rs.getString(4)), hashes(rs.getBytes(5)), requireInstant(rs, 6));
  }

  /** A license change has no key. */
  private static @Nullable KeyId keyIdOrNull(@Nullable String id) {
    return id == null ? null : KeyId.of(id);
  }
}
