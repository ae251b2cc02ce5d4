package dev.keyseat.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What differs between the supported databases: a few SQL strings, how a transaction starts, and
 * how failures are classified. Chosen once from the JDBC metadata by {@link #forProduct}; every SQL
 * string is built in the constructor.
 */
abstract class Dialect {
  final String name;
  final String schemaResource;
  final String dropResource;
  /** Inserts an account; a unique conflict either inserts nothing or fails with 23505. */
  final String insertAccount;
  /** Inserts a device; a unique conflict either inserts nothing or fails with 23505. */
  final String insertDevice;
  /** Inserts a key; a unique conflict either inserts nothing or fails with 23505. */
  final String insertKey;
  /** {@link Sql#INSERT_KEY_CHECKED}; a unique conflict either inserts nothing or fails with 23505. */
  final String insertKeyChecked;
  /** Inserts or replaces a member: (account_id, user_id, role). */
  final String upsertMember;
  /**
   * True if a unique violation fails only the statement (H2), false if it aborts the whole
   * transaction (PostgreSQL), so that conditional writes must avoid it.
   */
  final boolean statementLevelRollback;
  /**
   * Run in a transaction that appended feed entries, to notify listeners at its commit; null if
   * the database has no notifications (H2), so that validators poll alone.
   */
  final @Nullable String notifyChanges;
  /**
   * True if writers insert feed rows unnumbered and feed readers number the committed ones
   * (PostgreSQL: no lock shared by all accounts in the commit path); false if a writer numbers its
   * rows from the counter row as its last step and holds that row until it commits (H2, one node).
   */
  final boolean numbersFeedAfterCommit;
  /** SQLStates of a transaction the database rolled back for a reason that a retry may not meet. */
  private final Set<String> retriableStates;
  /** Vendor error codes of the same. */
  private final Set<Integer> retriableCodes;

  private Dialect(String name, String file, String conflictClause, String upsertMember,
      boolean statementLevelRollback, boolean numbersFeedAfterCommit, @Nullable String notifyChanges,
      Set<String> retriableStates,
      Set<Integer> retriableCodes) {
    this.name = name;
    this.schemaResource = "migration/" + file + "/V1__keyseat_schema.sql";
    this.dropResource = "drop.sql"; // one script: its statements are the same on every database
    this.insertAccount = Sql.INSERT_ACCOUNT + conflictClause;
    this.insertDevice = Sql.INSERT_DEVICE + conflictClause;
    this.insertKey = Sql.INSERT_KEY + conflictClause;
    this.insertKeyChecked = Sql.INSERT_KEY_CHECKED + conflictClause;
    this.upsertMember = upsertMember;
    this.statementLevelRollback = statementLevelRollback;
    this.numbersFeedAfterCommit = numbersFeedAfterCommit;
    this.notifyChanges = notifyChanges;
    this.retriableStates = retriableStates;
    this.retriableCodes = retriableCodes;
  }

  /**
   * @param productName {@link java.sql.DatabaseMetaData#getDatabaseProductName()}
   * @return the dialect
   * @throws IllegalArgumentException if the database is not supported
   */
  static Dialect forProduct(String productName) {
    String p = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    return switch (p) {
      case "postgresql" -> new Postgres();
      case "h2" -> new H2();
      default -> throw new IllegalArgumentException("the Keyseat JDBC store supports PostgreSQL and H2, not "
          + productName);
    };
  }

  /** The isolation a transaction asks for. */
  enum Level {
    /** Whatever the pool's connections have. */
    POOLED,
    /** What makes the account row lock protect the reads after it; each statement sees the latest commits. */
    READ_COMMITTED,
    /** A read-only REPEATABLE READ snapshot. */
    SNAPSHOT
  }

  /**
   * Starts the transaction on a connection whose auto-commit is off, in one round trip.
   *
   * @param c the connection
   * @param level the isolation
   * @param lockTimeoutMillis how long a statement waits for a lock before failing (PostgreSQL
   *     55P03, retried), for this transaction only on PostgreSQL and for the session on H2; 0 to
   *     leave the connection's setting
   * @param idleTimeoutMillis PostgreSQL only: the server ends the session if the client leaves the
   *     transaction idle this long (so that a stalled client cannot keep its locks); 0 to leave the
   *     connection's setting
   * @return the isolation level to restore when the connection is handed back, or -1
   */
  abstract int begin(Connection c, Level level, long lockTimeoutMillis, long idleTimeoutMillis) throws SQLException;

  /** @return whether the transaction was rolled back for a reason that a retry may not meet */
  final boolean isRetriable(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (retriableStates.contains(x.getSQLState()) || retriableCodes.contains(x.getErrorCode())) {
        return true;
      }
      if (x.getNextException() == x) {
        break;
      }
    }
    return false;
  }

  /** @return whether the failure is a unique constraint violation */
  static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /** @return whether the failure says that a table does not exist */
  abstract boolean isMissingTable(SQLException e);

  /**
   * @param expr a text expression
   * @return the expression in the keys table's text order: Unicode code points (UTF-8 bytes),
   *     whatever the database's collation
   */
  abstract String textOrder(String expr);

  /** Binds a value compared with a {@link #textOrder} expression. */
  abstract void bindTextOrder(java.sql.PreparedStatement ps, int index, String value) throws SQLException;

  // ---- daily usage (migration V2)

  /** @return the V2 migration's resource, next to {@link #schemaResource} */
  final String dailyUsageResource() {
    return schemaResource.replace("V1__keyseat_schema.sql", "V2__key_usage_daily.sql");
  }

  /**
   * Adds a count to a key's day if the key exists, inserting the day's row if it is the first;
   * parameters: day ({@code LocalDate}), count, key id.
   *
   * @return the statement
   */
  abstract String recordDailyUsage();

  @Override
  public String toString() {
    return name;
  }

  /** PostgreSQL 12 or later. */
  static final class Postgres extends Dialect {
    /**
     * Plans made for this execution's values and the table's current size, never a generic plan
     * cached while a table was small (a fresh table, no ANALYZE yet): so a lookup keeps using its
     * index as an account grows. In the same round trip as the isolation.
     */
    private static final String CUSTOM_PLANS = "; SET LOCAL plan_cache_mode = force_custom_plan";
    private static final String READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED" + CUSTOM_PLANS;
    private static final String SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY" + CUSTOM_PLANS;
    private static final String LOCK_TIMEOUT = "SET LOCAL lock_timeout = ";
    private static final String IDLE_TIMEOUT = "SET LOCAL idle_in_transaction_session_timeout = ";
    /** serialization_failure, deadlock_detected, lock_not_available (lock_timeout). */
    private static final Set<String> RETRIABLE = Set.of("40001", "40P01", "55P03");
    /**
     * Without payload: PostgreSQL folds a transaction's identical notifications into one, sent at
     * commit, and a listener learns only that it should read the feed; no key material, no
     * sequence number (entries may be numbered after commit).
     */
    static final String NOTIFY = "NOTIFY " + ChangeListener.CHANNEL;

    Postgres() {
      super("PostgreSQL", "postgresql", " ON CONFLICT DO NOTHING",
          "INSERT INTO keyseat_member (account_id, user_id, role) VALUES (?, ?, ?)"
              + " ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role",
          false, true, NOTIFY, RETRIABLE, Set.of());
    }

    @Override
    int begin(Connection c, Level level, long lockTimeoutMillis, long idleTimeoutMillis) throws SQLException {
      // Scoped to this transaction: nothing to restore, and READ COMMITTED is what makes the row
      // lock protect the reads that follow it, whatever the pool's default isolation is.
      StringBuilder sql = new StringBuilder(switch (level) {
        case POOLED -> "";
        case READ_COMMITTED -> READ_COMMITTED;
        case SNAPSHOT -> SNAPSHOT;
      });
      if (lockTimeoutMillis > 0) {
        sql.append(sql.isEmpty() ? "" : "; ").append(LOCK_TIMEOUT).append(lockTimeoutMillis);
      }
      if (idleTimeoutMillis > 0) {
        sql.append(sql.isEmpty() ? "" : "; ").append(IDLE_TIMEOUT).append(idleTimeoutMillis);
      }
      if (!sql.isEmpty()) {
        try (Statement st = c.createStatement()) {
          st.execute(sql.toString());
        }
      }
      return -1;
    }

    @Override
    boolean isMissingTable(SQLException e) {
      return "42P01".equals(e.getSQLState());
    }

    /** The "C" collation compares the bytes of the UTF-8 text. */
    @Override
    String textOrder(String expr) {
      return "(" + expr + ") COLLATE \"C\"";
    }

    @Override
    void bindTextOrder(java.sql.PreparedStatement ps, int index, String value) throws SQLException {
      ps.setString(index, value);
    }

    @Override
    String recordDailyUsage() {
      return "INSERT INTO keyseat_key_usage_daily (key_id, account_id, usage_day, use_count)"
          + " SELECT key_id, account_id, CAST(? AS DATE), CAST(? AS BIGINT) FROM keyseat_api_key WHERE key_id = ?"
          + " ON CONFLICT (key_id, usage_day) DO UPDATE"
          + " SET use_count = keyseat_key_usage_daily.use_count + EXCLUDED.use_count";
    }
  }

  /** H2 2.x. */
  static final class H2 extends Dialect {
    /** Deadlock (40001), lock timeout (HYT00). */
    private static final Set<String> RETRIABLE = Set.of("40001", "HYT00");
    /** ErrorCode.CONCURRENT_UPDATE_1, ErrorCode.LOCK_TIMEOUT_1, ErrorCode.DEADLOCK_1. */
    private static final Set<Integer> RETRIABLE_CODES = Set.of(90131, 50200, 40001);

    H2() {
      super("H2", "h2", "",
          "MERGE INTO keyseat_member (account_id, user_id, role) KEY (account_id, user_id) VALUES (?, ?, ?)",
          true, false, null, RETRIABLE, RETRIABLE_CODES);
    }

    @Override
    int begin(Connection c, Level level, long lockTimeoutMillis, long idleTimeoutMillis) throws SQLException {
      if (lockTimeoutMillis > 0) {
        // A session setting in H2 (neither committed nor rolled back); every store transaction sets it.
        try (Statement st = c.createStatement()) {
          st.execute("SET LOCK_TIMEOUT " + lockTimeoutMillis);
        }
      }
      if (level == Level.POOLED) {
        return -1;
      }
      int wanted = level == Level.SNAPSHOT ? Connection.TRANSACTION_REPEATABLE_READ : Connection.TRANSACTION_READ_COMMITTED;
      int current = c.getTransactionIsolation();
      if (current == wanted) {
        return -1;
      }
      c.setTransactionIsolation(wanted);
      return current;
    }

    /** Table not found: plain (42102), with a candidate name (42103), in an empty database (42104). */
    private static final Set<Integer> MISSING_TABLE = Set.of(42102, 42103, 42104);

    @Override
    boolean isMissingTable(SQLException e) {
      return MISSING_TABLE.contains(e.getErrorCode());
    }

    /** H2 compares strings in UTF-16 order; their UTF-8 bytes compare unsigned, in code point order. */
    @Override
    String textOrder(String expr) {
      return "CAST(" + expr + " AS VARBINARY)";
    }

    @Override
    void bindTextOrder(java.sql.PreparedStatement ps, int index, String value) throws SQLException {
      ps.setBytes(index, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    String recordDailyUsage() {
      return "MERGE INTO keyseat_key_usage_daily d USING (SELECT key_id, account_id, CAST(? AS DATE) AS usage_day,"
          + " CAST(? AS BIGINT) AS n FROM keyseat_api_key WHERE key_id = ?) k"
          + " ON (d.key_id = k.key_id AND d.usage_day = k.usage_day)"
          + " WHEN MATCHED THEN UPDATE SET use_count = d.use_count + k.n"
          + " WHEN NOT MATCHED THEN INSERT (key_id, account_id, usage_day, use_count)"
          + " VALUES (k.key_id, k.account_id, k.usage_day, k.n)";
    }
  }
}
