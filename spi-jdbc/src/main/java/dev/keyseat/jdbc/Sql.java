package dev.keyseat.jdbc;

/**
 * The SQL both dialects share. Every value is a {@code ?} parameter; identifiers are constants.
 * Table and column names are those of the V1 migrations ({@code migration/postgresql/V1__keyseat_schema.sql}, {@code migration/h2/…}).
 */
final class Sql {
  private Sql() {}

  // accounts

  static final String ACCOUNT_COLUMNS = "account_id, name, contracted_licenses, created_at, closed_at";
  static final String LOCK_ACCOUNT =
      "SELECT " + ACCOUNT_COLUMNS + " FROM keyseat_account WHERE account_id = ? FOR UPDATE";
  static final String READ_ACCOUNT = "SELECT " + ACCOUNT_COLUMNS + " FROM keyseat_account WHERE account_id = ?";
  static final String INSERT_ACCOUNT = "INSERT INTO keyseat_account (" + ACCOUNT_COLUMNS + ") VALUES (?, ?, ?, ?, ?)";
  static final String UPDATE_ACCOUNT =
      "UPDATE keyseat_account SET name = ?, contracted_licenses = ?, created_at = ?, closed_at = ? WHERE account_id = ?";
  /** The operator's account list: each account with its key count, from one statement's snapshot. */
  private static final String ACCOUNT_LISTING = "SELECT a.account_id, a.name, a.contracted_licenses, a.created_at,"
      + " a.closed_at, (SELECT COUNT(*) FROM keyseat_api_key k WHERE k.account_id = a.account_id)"
      + " FROM keyseat_account a";
  /** The first page of accounts; parameter: limit. */
  static final String ACCOUNTS_FIRST = ACCOUNT_LISTING + " ORDER BY a.account_id LIMIT ?";
  /** A page of accounts after a cursor; parameters: cursor, limit. */
  static final String ACCOUNTS_AFTER = ACCOUNT_LISTING + " WHERE a.account_id > ? ORDER BY a.account_id LIMIT ?";

  // members

  static final String MEMBERS = "SELECT user_id, role FROM keyseat_member WHERE account_id = ? ORDER BY user_id";
  static final String MEMBER = "SELECT user_id, role FROM keyseat_member WHERE account_id = ? AND user_id = ?";
  static final String DELETE_MEMBER = "DELETE FROM keyseat_member WHERE account_id = ? AND user_id = ?";

  // devices

  static final String DEVICE_COLUMNS = "serial, account_id, name, model, associated_at";
  static final String DEVICES =
      "SELECT " + DEVICE_COLUMNS + " FROM keyseat_device WHERE account_id = ? ORDER BY serial";
  static final String DEVICE = "SELECT " + DEVICE_COLUMNS + " FROM keyseat_device WHERE account_id = ? AND serial = ?";
  static final String INSERT_DEVICE = "INSERT INTO keyseat_device (" + DEVICE_COLUMNS + ") VALUES (?, ?, ?, ?, ?)";
  static final String UPDATE_DEVICE =
      "UPDATE keyseat_device SET name = ?, model = ?, associated_at = ? WHERE account_id = ? AND serial = ?";
  static final String DELETE_DEVICE = "DELETE FROM keyseat_device WHERE account_id = ? AND serial = ?";

  // keys

  /** A key's columns after its id and account, in the order of {@link Columns#bindKeyUpdate}. */
  static final String KEY_VALUE_COLUMNS = "device_serial, hash, hint, label, created_at, regenerated_at,"
      + " expires_at, suspended, previous_hash, previous_valid_until, sealed_secret";
  /** Id, account, values, and the ordinal, which a key keeps for life (never updated). */
  static final String KEY_COLUMNS = "key_id, account_id, " + KEY_VALUE_COLUMNS + ", ordinal";
  static final String KEYS =
      "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE account_id = ? ORDER BY created_at, ordinal, key_id";
  static final String KEY_COUNT = "SELECT COUNT(*) FROM keyseat_api_key WHERE account_id = ?";
  static final String LAST_KEY_ORDINAL = "SELECT COALESCE(MAX(ordinal), 0) FROM keyseat_api_key WHERE account_id = ?";
  static final String KEY = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE account_id = ? AND key_id = ?";
  static final String KEY_FOR_DEVICE =
      "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE account_id = ? AND device_serial = ?";
  static final String INSERT_KEY =
      "INSERT INTO keyseat_api_key (" + KEY_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String UPDATE_KEY = "UPDATE keyseat_api_key SET " + KEY_VALUE_COLUMNS.replace(",", " = ?,")
      + " = ? WHERE account_id = ? AND key_id = ?";
  static final String DELETE_KEY = "DELETE FROM keyseat_api_key WHERE account_id = ? AND key_id = ?";
  /**
   * Before writing a key: is its device in the account (1 or 0), does another key hold the device
   * (count), and does another key hold one of its hashes as current or previous hash (count)?
   * Parameters: account, serial; serial, key id; key id, hash, previous-or-hash; the same three again.
   */
  static final String KEY_WRITE_CHECK = "SELECT"
      + " (SELECT COUNT(*) FROM keyseat_device WHERE account_id = ? AND serial = ?),"
      + " (SELECT COUNT(*) FROM keyseat_api_key WHERE device_serial = ? AND key_id <> ?),"
      // two probes, one per unique index: an OR across the two columns made H2 scan the table
      + " (SELECT COUNT(*) FROM keyseat_api_key WHERE key_id <> ? AND hash IN (?, ?))"
      + " + (SELECT COUNT(*) FROM keyseat_api_key WHERE key_id <> ? AND previous_hash IN (?, ?))";
  static final String KEY_USAGE =
      "SELECT last_used_at, use_count FROM keyseat_api_key WHERE account_id = ? AND key_id = ?";
  /** The validation path: two unique-index probes. */
  static final String KEY_BY_HASH = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE hash = ?"
      + " UNION ALL SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE previous_hash = ?";
  /** Every key, in no particular order, for validators that preload their cache. */
  static final String ALL_KEYS = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key";
  /** Greatest last-used time, summed count; parameters: at, at, count, key id. */
  static final String RECORD_USAGE = "UPDATE keyseat_api_key SET"
      + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END,"
      + " use_count = use_count + ? WHERE key_id = ?";

  // audit

  /**
   * The account's last audit sequence, read once per transaction: the account row is locked, so the
   * transaction numbers its entries on from it. (Numbering each row with {@code MAX(seq) + 1} in its
   * own INSERT made H2 scan the account's whole log per entry: quadratic in large imports.)
   */
  static final String LAST_AUDIT_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM keyseat_audit WHERE account_id = ?";
  /** Appends an entry. Parameters: account, seq, at, actor, action, key id, serial, outcome, detail. */
  static final String APPEND_AUDIT = "INSERT INTO keyseat_audit"
      + " (account_id, seq, at, actor, action, key_id, device_serial, outcome, detail)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String AUDIT_PAGE = "SELECT seq, at, actor, action, key_id, device_serial, outcome, detail"
      + " FROM keyseat_audit WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?";

  // change feed

  /** Takes the feed lock until commit and reserves numbers; parameter: how many. */
  static final String RESERVE_CHANGES = "UPDATE keyseat_change_seq SET last_seq = last_seq + ? WHERE id = 1";
  /**
   * Appends one reserved change; parameters: how far below the last reserved number, type,
   * account, key id, hashes, at.
   */
  static final String APPEND_CHANGE = "INSERT INTO keyseat_change (seq, type, account_id, key_id, hashes, at)"
      + " SELECT last_seq - ?, ?, ?, ?, ?, ? FROM keyseat_change_seq WHERE id = 1";
  static final String CHANGES_SINCE = "SELECT seq, type, account_id, key_id, hashes, at FROM keyseat_change"
      + " WHERE seq > ? ORDER BY seq LIMIT ?";
  static final String LATEST_CHANGE = "SELECT last_seq FROM keyseat_change_seq WHERE id = 1";
  /** The message when {@link #LATEST_CHANGE} or {@link #RESERVE_CHANGES} finds no row (SQLState 55000). */
  static final String NO_FEED_COUNTER = "keyseat_change_seq has no row 1: the schema is incomplete";
  /**
   * Deletes the changes older than a cutoff that precede every newer one, so that only the start
   * of the feed goes and the rest stays gapless even where the nodes' clocks disagree; parameters:
   * cutoff twice.
   */
  static final String PURGE_CHANGES = "DELETE FROM keyseat_change WHERE at < ? AND seq <"
      + " COALESCE((SELECT MIN(seq) FROM keyseat_change WHERE at >= ?), 9223372036854775807)";
}
