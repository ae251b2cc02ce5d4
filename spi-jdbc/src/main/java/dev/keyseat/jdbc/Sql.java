package dev.keyseat.jdbc;

/**
 * The SQL both dialects share. Every value is a {@code ?} parameter; identifiers are constants.
 * Table and column names are those of the V1 migrations ({@code migration/postgresql/V1__keyseat_schema.sql}, {@code migration/h2/…}).
 */
final class Sql {
  private Sql() {}

  /** The number of parameters of {@link #LOCK_FREE_KEYS}. */
  static final int IN_LIST = 100;

  // accounts

  static final String ACCOUNT_COLUMNS = "account_id, name, contracted_licenses, created_at, closed_at";
  /** An account row with its key count as column 6, locked for the transaction. */
  static final String LOCK_ACCOUNT =
      "SELECT " + ACCOUNT_COLUMNS + ", key_count FROM keyseat_account WHERE account_id = ? FOR UPDATE";
  /** An account row with its key count as column 6. */
  static final String READ_ACCOUNT =
      "SELECT " + ACCOUNT_COLUMNS + ", key_count FROM keyseat_account WHERE account_id = ?";
  /**
   * Adds the transaction's net key inserts and deletes to the locked account row's count (R1 reads
   * it); parameters: delta, account.
   */
  static final String ADD_KEY_COUNT = "UPDATE keyseat_account SET key_count = key_count + ? WHERE account_id = ?";
  static final String INSERT_ACCOUNT = "INSERT INTO keyseat_account (" + ACCOUNT_COLUMNS + ") VALUES (?, ?, ?, ?, ?)";
  static final String UPDATE_ACCOUNT =
      "UPDATE keyseat_account SET name = ?, contracted_licenses = ?, created_at = ?, closed_at = ? WHERE account_id = ?";
  /** The operator's account list: each account with its kept key count. */
  private static final String ACCOUNT_LISTING = "SELECT a.account_id, a.name, a.contracted_licenses, a.created_at,"
      + " a.closed_at, a.key_count FROM keyseat_account a";
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
  static final String LAST_KEY_ORDINAL = "SELECT COALESCE(MAX(ordinal), 0) FROM keyseat_api_key WHERE account_id = ?";
  static final String KEY = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE account_id = ? AND key_id = ?";
  static final String KEY_FOR_DEVICE =
      "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE account_id = ? AND device_serial = ?";
  /** What the keys table's folding does to a text expression ({@code KeyPageRequest.fold}: A-Z lower-cased). */
  static String fold(String expr) {
    return "TRANSLATE(" + expr + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
  }

  /** The key row's copy of its device's folded name (V3), which the keys table sorts by. */
  static final String FOLDED_NAME_OF_DEVICE = "(SELECT " + fold("d.name") + " FROM keyseat_device d"
      + " WHERE d.account_id = ? AND d.serial = ?)";
  /**
   * The values, then the folded name of the (possibly new) device; parameters: the 11 values,
   * account, serial, account, key id.
   */
  static final String UPDATE_KEY = "UPDATE keyseat_api_key SET " + KEY_VALUE_COLUMNS.replace(",", " = ?,")
      + " = ?, device_name_folded = " + FOLDED_NAME_OF_DEVICE + " WHERE account_id = ? AND key_id = ?";
  /** A renamed device's key follows; parameters: the new name, account, serial. */
  static final String RENAME_KEY_DEVICE = "UPDATE keyseat_api_key SET device_name_folded = " + fold("?")
      + " WHERE account_id = ? AND device_serial = ?";
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
  /**
   * The account's devices among an array of serials, each with its key (null columns if none): one
   * query for a whole batch, driven by the array so that it probes the primary key and the
   * device_serial index per serial whatever the statistics; parameters: serials array, account.
   * Columns: the device's 5, then the key's 14.
   */
  static final String DEVICES_WITH_KEYS = "SELECT d.serial, d.account_id, d.name, d.model, d.associated_at, "
      + KEY_COLUMNS.replaceAll("(\\w+)", "k.$1")
      + " FROM UNNEST(CAST(? AS VARCHAR(64) ARRAY)) AS u(s) JOIN keyseat_device d ON d.serial = u.s"
      + " LEFT JOIN keyseat_api_key k ON k.device_serial = d.serial WHERE d.account_id = ?";
  /**
   * Inserts a key, with its device's folded name, if its device is this account's and no other key
   * holds one of its hashes as a previous hash (or its previous hash as a current one); the unique
   * constraints cover the id, the device's one key and each hash column. Parameters: the 14 key
   * columns, then account, serial, hash, previous-or-hash, previous-or-hash. Dialects append the
   * conflict clause.
   */
  static final String INSERT_KEY_CHECKED = "INSERT INTO keyseat_api_key (" + KEY_COLUMNS + ", device_name_folded)"
      + " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + fold("d.name") + " FROM keyseat_device d"
      + " WHERE d.account_id = ? AND d.serial = ?"
      + " AND NOT EXISTS (SELECT 1 FROM keyseat_api_key WHERE previous_hash IN (?, ?))"
      + " AND NOT EXISTS (SELECT 1 FROM keyseat_api_key WHERE hash = ?)";
  /**
   * PostgreSQL: one INSERT of a whole batch of keys without previous hashes (one plan per batch),
   * with the checks of {@link #INSERT_KEY_CHECKED} for each row: its device is this account's (the
   * join, which also gives its folded name) and no key holds its hash as a previous hash; the
   * unique constraints skip a taken id, device or hash. Parameters: arrays of key id, serial, hash,
   * hint, label, created, regenerated, expires, suspended, sealed secret, ordinal; then the
   * account. Returns the ids inserted.
   */
  static final String INSERT_KEYS_SET = "INSERT INTO keyseat_api_key (" + KEY_COLUMNS + ", device_name_folded)"
      + " SELECT u.key_id, d.account_id, u.serial, u.hash, u.hint, u.label, u.created_at, u.regenerated_at,"
      + " u.expires_at, u.suspended, NULL, NULL, u.sealed_secret, u.ordinal, " + fold("d.name")
      + " FROM UNNEST(CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS BYTEA[]), CAST(? AS TEXT[]),"
      + " CAST(? AS TEXT[]), CAST(? AS NUMERIC[]), CAST(? AS NUMERIC[]), CAST(? AS NUMERIC[]), CAST(? AS BOOLEAN[]),"
      + " CAST(? AS BYTEA[]), CAST(? AS BIGINT[])) WITH ORDINALITY AS u(key_id, serial, hash, hint, label,"
      + " created_at, regenerated_at, expires_at, suspended, sealed_secret, ordinal, n)"
      + " JOIN keyseat_device d ON d.serial = u.serial AND d.account_id = ?"
      + " WHERE NOT EXISTS (SELECT 1 FROM keyseat_api_key x WHERE x.previous_hash = u.hash)"
      + " ORDER BY u.n ON CONFLICT DO NOTHING RETURNING key_id";
  static final String KEY_USAGE =
      "SELECT last_used_at, use_count FROM keyseat_api_key WHERE account_id = ? AND key_id = ?";
  /** The validation path: two unique-index probes. */
  static final String KEY_BY_HASH = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE hash = ?"
      + " UNION ALL SELECT " + KEY_COLUMNS + " FROM keyseat_api_key WHERE previous_hash = ?";
  /** Every key, in no particular order, for validators that preload their cache. */
  static final String ALL_KEYS = "SELECT " + KEY_COLUMNS + " FROM keyseat_api_key";
  /**
   * Locks those of up to {@link #IN_LIST} keys that no other transaction holds, in key order,
   * without waiting; parameters: key ids (unused places repeat the last).
   */
  static final String LOCK_FREE_KEYS = "SELECT key_id FROM keyseat_api_key WHERE key_id IN ("
      + "?, ".repeat(Sql.IN_LIST - 1) + "?) ORDER BY key_id FOR UPDATE SKIP LOCKED";
  /** A key's days with usage in a range, oldest first; parameters: account, key id, from, to (V2). */
  static final String KEY_DAILY_USAGE = "SELECT usage_day, use_count FROM keyseat_key_usage_daily"
      + " WHERE account_id = ? AND key_id = ? AND usage_day BETWEEN ? AND ? ORDER BY usage_day";
  /** An account's days with usage in a range, summed over its keys, oldest first; parameters: account, from, to (V2). */
  static final String ACCOUNT_DAILY_USAGE = "SELECT usage_day, SUM(use_count) FROM keyseat_key_usage_daily"
      + " WHERE account_id = ? AND usage_day BETWEEN ? AND ? GROUP BY usage_day ORDER BY usage_day";
  /** Greatest last-used time, summed count; parameters: at, at, count, key id. */
  static final String RECORD_USAGE = "UPDATE keyseat_api_key SET"
      + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END,"
      + " use_count = use_count + ? WHERE key_id = ?";

  // licenses

  static final String LICENSE_COLUMNS =
      "license_id, account_id, quantity, starts_at, ends_at, reference, created_by, created_at, end_applied";
  static final String LICENSES = "SELECT " + LICENSE_COLUMNS + " FROM keyseat_license WHERE account_id = ?"
      + " ORDER BY starts_at, license_id";
  /** The grants of several accounts; parameter: an array of account ids. */
  static final String LICENSES_OF = "SELECT " + LICENSE_COLUMNS + " FROM keyseat_license"
      + " WHERE account_id IN (SELECT * FROM UNNEST(CAST(? AS VARCHAR(64) ARRAY)))";
  static final String INSERT_LICENSE =
      "INSERT INTO keyseat_license (" + LICENSE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  /** The only parts of a grant that change; parameters: end, end applied, account, license id. */
  static final String UPDATE_LICENSE =
      "UPDATE keyseat_license SET ends_at = ?, end_applied = ? WHERE account_id = ? AND license_id = ?";
  static final String LICENSE_POLICY = "SELECT on_expiry, max_reassignments, reassignment_period, freed_seats"
      + " FROM keyseat_license_policy WHERE account_id = ?";
  /** Parameters: on expiry, max, period, freed seats, account. */
  static final String INSERT_LICENSE_POLICY = "INSERT INTO keyseat_license_policy"
      + " (on_expiry, max_reassignments, reassignment_period, freed_seats, account_id) VALUES (?, ?, ?, ?, ?)";
  static final String UPDATE_LICENSE_POLICY = "UPDATE keyseat_license_policy SET on_expiry = ?,"
      + " max_reassignments = ?, reassignment_period = ? WHERE account_id = ?";
  static final String UPDATE_FREED_SEATS = "UPDATE keyseat_license_policy SET freed_seats = ? WHERE account_id = ?";
  static final String SEAT_REASSIGNMENTS = "SELECT at FROM keyseat_seat_reassignment WHERE account_id = ? ORDER BY n";
  static final String DELETE_SEAT_REASSIGNMENTS = "DELETE FROM keyseat_seat_reassignment WHERE account_id = ?";
  static final String INSERT_SEAT_REASSIGNMENT =
      "INSERT INTO keyseat_seat_reassignment (account_id, n, at) VALUES (?, ?, ?)";

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
  /**
   * PostgreSQL: a transaction's entries in one statement, numbered after the account's last one
   * (read once, by the index's last entry); parameters: account, account, then arrays of at, actor,
   * action, key id, serial, outcome, detail.
   */
  static final String APPEND_AUDIT_SET = "INSERT INTO keyseat_audit"
      + " (account_id, seq, at, actor, action, key_id, device_serial, outcome, detail)"
      + " SELECT ?, (SELECT COALESCE(MAX(seq), 0) FROM keyseat_audit WHERE account_id = ?) + u.n, u.at, u.actor,"
      + " u.action, u.key_id, u.serial, u.outcome, u.detail FROM UNNEST(CAST(? AS NUMERIC[]), CAST(? AS TEXT[]),"
      + " CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS TEXT[]))"
      + " WITH ORDINALITY AS u(at, actor, action, key_id, serial, outcome, detail, n) ORDER BY u.n";
  static final String AUDIT_PAGE = "SELECT seq, at, actor, action, key_id, device_serial, outcome, detail"
      + " FROM keyseat_audit WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?";

  // change feed

  /** Takes the counter lock until commit and reserves numbers; parameter: how many. */
  static final String RESERVE_CHANGES = "UPDATE keyseat_change_seq SET last_seq = last_seq + ? WHERE id = 1";
  /**
   * Appends one change numbered from the reserved ones (H2); parameters: how far below the last
   * reserved number, type, account, key id, hashes, at, numbered at.
   */
  static final String APPEND_NUMBERED_CHANGE = "INSERT INTO keyseat_change"
      + " (seq, type, account_id, key_id, hashes, at, numbered_at)"
      + " SELECT last_seq - ?, ?, ?, ?, ?, ?, ? FROM keyseat_change_seq WHERE id = 1";
  /**
   * Appends one change to be numbered after commit (PostgreSQL); parameters: type, account, key id,
   * hashes, at.
   */
  static final String APPEND_CHANGE = "INSERT INTO keyseat_change (type, account_id, key_id, hashes, at)"
      + " VALUES (?, ?, ?, ?, ?)";
  /**
   * PostgreSQL: a transaction's changes in one statement, to be numbered after commit, in their
   * order; parameters: arrays of type, account, key id, hashes, at.
   */
  static final String APPEND_CHANGES_SET = "INSERT INTO keyseat_change (type, account_id, key_id, hashes, at)"
      + " SELECT u.type, u.account_id, u.key_id, u.hashes, u.at FROM UNNEST(CAST(? AS VARCHAR[]),"
      + " CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS BYTEA[]), CAST(? AS NUMERIC[]))"
      + " WITH ORDINALITY AS u(type, account_id, key_id, hashes, at, n) ORDER BY u.n";
  /** The counter, and whether any committed change awaits its number (one partial-index probe). */
  static final String FEED_STATE = "SELECT last_seq,"
      + " CASE WHEN EXISTS (SELECT 1 FROM keyseat_change WHERE seq IS NULL) THEN 1 ELSE 0 END"
      + " FROM keyseat_change_seq WHERE id = 1";
  /** The numbering lock, which only feed readers take (never a writer); the counter as of now. */
  static final String LOCK_COUNTER = "SELECT last_seq FROM keyseat_change_seq WHERE id = 1 FOR UPDATE";
  /**
   * Numbers every committed unnumbered change after the counter, in id order, which is commit order
   * for transactions that did not overlap; parameters: the counter, numbered at.
   */
  static final String NUMBER_CHANGES = "UPDATE keyseat_change c SET seq = ? + p.n, numbered_at = ?"
      + " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM keyseat_change WHERE seq IS NULL) p"
      + " WHERE c.id = p.id";
  /** Parameter: the new counter. */
  static final String SET_COUNTER = "UPDATE keyseat_change_seq SET last_seq = ? WHERE id = 1";
  static final String CHANGES_SINCE = "SELECT seq, type, account_id, key_id, hashes, at FROM keyseat_change"
      + " WHERE seq > ? ORDER BY seq LIMIT ?";
  static final String LATEST_CHANGE = "SELECT last_seq FROM keyseat_change_seq WHERE id = 1";
  /** The message when the counter row is missing (SQLState 55000). */
  static final String NO_FEED_COUNTER = "keyseat_change_seq has no row 1: the schema is incomplete";
  /**
   * Deletes the changes numbered before a cutoff that precede every change numbered since, so that
   * only the start of the feed goes and the rest stays gapless even where the nodes' clocks
   * disagree. Unnumbered changes stay. Parameters: cutoff twice.
   */
  static final String PURGE_CHANGES = "DELETE FROM keyseat_change WHERE numbered_at < ? AND seq <"
      + " COALESCE((SELECT MIN(seq) FROM keyseat_change WHERE numbered_at >= ?), 9223372036854775807)";
}
