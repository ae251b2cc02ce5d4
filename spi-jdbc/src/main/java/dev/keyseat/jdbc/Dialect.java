package dev.keyseat.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
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
  /** Every migration after V1, in order, each with a probe that fails while it is not applied. */
  final List<Migration> upgrades;
  /** Inserts an account; a unique conflict either inserts nothing or fails with 23505. */
  final String insertAccount;
  /** Inserts a device; a unique conflict either inserts nothing or fails with 23505. */
  final String insertDevice;
  /** {@link Sql#INSERT_KEY_CHECKED}; a unique conflict either inserts nothing or fails with 23505. */
  final String insertKeyChecked;
  /** What the database does, which the store's SQL and transactions follow. */
  final Facts facts;

  /**
   * What a database does.
   *
   * @param conflictClause appended to an insert so that a unique conflict inserts nothing (or
   *     empty where the conflict fails the statement alone)
   * @param upsertMember inserts or replaces a member: (account_id, user_id, role)
   * @param statementLevelRollback true if a unique violation fails only the statement (H2), false
   *     if it aborts the whole transaction (PostgreSQL), so that conditional writes must avoid it
   * @param numbersFeedAfterCommit true if writers insert feed rows unnumbered and feed readers
   *     number the committed ones (PostgreSQL: no lock shared by all accounts in the commit path);
   *     false if a writer numbers its rows from the counter row as its last step and holds that row
   *     until it commits (H2, one node)
   * @param multiStatements true if one prepared statement may hold several statements, sent in one
   *     round trip and run one after the other, each with a snapshot of its own at READ COMMITTED,
   *     and takes batches as arrays ({@code UNNEST}, PostgreSQL)
   * @param notifyChanges run in a transaction that appended feed entries, to notify listeners at
   *     its commit; null if the database has no notifications (H2), so that validators poll alone
   * @param retriableStates SQLStates of a transaction the database rolled back for a reason that a
   *     retry may not meet
   * @param retriableCodes vendor error codes of the same
   */
  record Facts(String conflictClause, String upsertMember, boolean statementLevelRollback,
      boolean numbersFeedAfterCommit, boolean multiStatements, @Nullable String notifyChanges,
      Set<String> retriableStates, Set<Integer> retriableCodes) {}

  private Dialect(String name, String file, Facts facts) {
    this.name = name;
    String dir = "migration/" + file + "/";
    this.schemaResource = dir + "V1__keyseat_schema.sql";
    this.dropResource = "drop.sql"; // one script: its statements are the same on every database
    this.upgrades = List.of(
        new Migration(dir + "V2__key_usage_daily.sql", "SELECT 1 FROM keyseat_key_usage_daily WHERE 1 = 0",
            "the daily usage table"),
        new Migration(dir + "V3__key_sort_columns.sql", "SELECT device_name_folded FROM keyseat_api_key WHERE 1 = 0",
            "the keys table's sort columns"));
    this.insertAccount = Sql.INSERT_ACCOUNT + facts.conflictClause();
    this.insertDevice = Sql.INSERT_DEVICE + facts.conflictClause();
    this.insertKeyChecked = Sql.INSERT_KEY_CHECKED + facts.conflictClause();
    this.facts = facts;
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

  /**
   * What {@link #begin} runs, as statements to send before the transaction's first one in the same
   * round trip, each followed by {@code "; "}, where the database takes several statements at once
   * ({@link #multiStatements}); else null, and {@link #begin} must run.
   */
  @Nullable String beginStatements(Level level, long lockTimeoutMillis, long idleTimeoutMillis) {
    return null;
  }

  /** @return whether the transaction was rolled back for a reason that a retry may not meet */
  final boolean isRetriable(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (facts.retriableStates().contains(x.getSQLState()) || facts.retriableCodes().contains(x.getErrorCode())) {
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

  /** @return whether the failure says that a table or a column does not exist */
  abstract boolean isMissingTable(SQLException e);

  /**
   * A migration after V1: its script, a query that fails with a missing table or column until it is
   * applied, and what it adds, for messages.
   */
  record Migration(String resource, String probe, String adds) {}

  /**
   * @param column a text column of the key row (declared with the "C" collation on PostgreSQL)
   * @return the column in the keys table's text order: Unicode code points (UTF-8 bytes)
   */
  abstract String textOrder(String column);

  /** Binds a value compared with a {@link #textOrder} expression. */
  abstract void bindTextOrder(java.sql.PreparedStatement ps, int index, String value) throws SQLException;

  /**
   * @param select a query whose {@code ORDER BY … LIMIT} an index serves (a page of the keys table
   *     by creation, device name or serial)
   * @return the query as sent so that it reads its rows in the index's order, whatever the
   *     planner's statistics say: a result set after statements that answer none, if any
   */
  String inIndexOrder(String select) {
    return select;
  }

  // ---- daily usage (migration V2)

  /** @return the V2 migration's resource, next to {@link #schemaResource} */
  final String dailyUsageResource() {
    return upgrades.get(0).resource();
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
      super("PostgreSQL", "postgresql", new Facts(" ON CONFLICT DO NOTHING",
          "INSERT INTO keyseat_member (account_id, user_id, role) VALUES (?, ?, ?)"
              + " ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role",
          false, true, true, NOTIFY, RETRIABLE, Set.of()));
    }

    @Override
    int begin(Connection c, Level level, long lockTimeoutMillis, long idleTimeoutMillis) throws SQLException {
      String sql = beginStatements(level, lockTimeoutMillis, idleTimeoutMillis);
      if (!sql.isEmpty()) {
        try (Statement st = c.createStatement()) {
          st.execute(sql);
        }
      }
      return -1;
    }

    /**
     * Scoped to this transaction: nothing to restore, and READ COMMITTED is what makes the row lock
     * protect the reads that follow it, whatever the pool's default isolation is.
     */
    @Override
    String beginStatements(Level level, long lockTimeoutMillis, long idleTimeoutMillis) {
      StringBuilder sql = new StringBuilder(switch (level) {
        case POOLED -> "";
        case READ_COMMITTED -> READ_COMMITTED + "; ";
        case SNAPSHOT -> SNAPSHOT + "; ";
      });
      if (lockTimeoutMillis > 0) {
        sql.append(LOCK_TIMEOUT).append(lockTimeoutMillis).append("; ");
      }
      if (idleTimeoutMillis > 0) {
        sql.append(IDLE_TIMEOUT).append(idleTimeoutMillis).append("; ");
      }
      return sql.toString();
    }

    /** undefined_table, undefined_column. */
    @Override
    boolean isMissingTable(SQLException e) {
      return "42P01".equals(e.getSQLState()) || "42703".equals(e.getSQLState());
    }

    /**
     * The column itself: the key row's text columns are declared with the "C" collation, which
     * compares the bytes of the UTF-8 text, so their indexes serve the order and the keyset.
     */
    @Override
    String textOrder(String column) {
      return column;
    }

    @Override
    void bindTextOrder(java.sql.PreparedStatement ps, int index, String value) throws SQLException {
      ps.setString(index, value);
    }

    /**
     * No sort for this statement, so no bitmap scan of every key after the cursor: an account's keys
     * inserted since the last ANALYZE (a fresh table, or one that grew faster than autovacuum) are
     * estimated at a few rows, and the plan that is cheapest for a few rows, a bitmap scan of the
     * account's index with a top-N sort, joins and sorts every key after the cursor (20,000-key
     * account: 19 ms instead of 0.3 ms). With sorting disabled the planner takes the index scan in
     * the page's order, which stops after the limit. Sorts without an index are not sent this way.
     * The setting is restored, for this transaction, in the same round trip.
     */
    @Override
    String inIndexOrder(String select) {
      return "SET LOCAL enable_sort = off; " + select + "; SET LOCAL enable_sort TO DEFAULT";
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
      super("H2", "h2", new Facts("",
          "MERGE INTO keyseat_member (account_id, user_id, role) KEY (account_id, user_id) VALUES (?, ?, ?)",
          true, false, false, null, RETRIABLE, RETRIABLE_CODES));
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

    /**
     * Table not found: plain (42102), with a candidate name (42103), in an empty database (42104);
     * column not found (42122).
     */
    private static final Set<Integer> MISSING_TABLE = Set.of(42102, 42103, 42104, 42122);

    @Override
    boolean isMissingTable(SQLException e) {
      return MISSING_TABLE.contains(e.getErrorCode());
    }

    /** H2 compares strings in UTF-16 order; their UTF-8 bytes compare unsigned, in code point order. */
    @Override
    String textOrder(String column) {
      return "CAST(" + column + " AS VARBINARY)";
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
