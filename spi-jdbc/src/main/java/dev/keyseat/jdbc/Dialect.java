package dev.keyseat.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;

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
  /** Inserts or replaces a member: (account_id, user_id, role). */
  final String upsertMember;
  /**
   * True if a unique violation fails only the statement (H2), false if it aborts the whole
   * transaction (PostgreSQL), so that conditional writes must avoid it.
   */
  final boolean statementLevelRollback;
  /** SQLStates of a transaction the database rolled back for a reason that a retry may not meet. */
  private final Set<String> retriableStates;
  /** Vendor error codes of the same. */
  private final Set<Integer> retriableCodes;

  private Dialect(String name, String file, String conflictClause, String upsertMember,
      boolean statementLevelRollback, Set<String> retriableStates, Set<Integer> retriableCodes) {
    this.name = name;
    this.schemaResource = "migration/" + file + "/V1__keyseat_schema.sql";
    this.dropResource = "drop-" + file + ".sql";
    this.insertAccount = Sql.INSERT_ACCOUNT + conflictClause;
    this.insertDevice = Sql.INSERT_DEVICE + conflictClause;
    this.insertKey = Sql.INSERT_KEY + conflictClause;
    this.upsertMember = upsertMember;
    this.statementLevelRollback = statementLevelRollback;
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

  /**
   * Starts the transaction on a connection whose auto-commit is off.
   *
   * @param c the connection
   * @param snapshot true for a read-only REPEATABLE READ snapshot, false for an account
   *     transaction at READ COMMITTED
   * @return the isolation level to restore when the connection is handed back, or -1
   */
  abstract int begin(Connection c, boolean snapshot) throws SQLException;

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

  @Override
  public String toString() {
    return name;
  }

  /** PostgreSQL 12 or later. */
  static final class Postgres extends Dialect {
    private static final String READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
    private static final String SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    /** serialization_failure, deadlock_detected, lock_not_available (lock_timeout). */
    private static final Set<String> RETRIABLE = Set.of("40001", "40P01", "55P03");

    Postgres() {
      super("PostgreSQL", "postgresql", " ON CONFLICT DO NOTHING",
          "INSERT INTO keyseat_member (account_id, user_id, role) VALUES (?, ?, ?)"
              + " ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role",
          false, RETRIABLE, Set.of());
    }

    @Override
    int begin(Connection c, boolean snapshot) throws SQLException {
      // Scoped to this transaction: nothing to restore, and READ COMMITTED is what makes the row
      // lock protect the reads that follow it, whatever the pool's default isolation is.
      try (PreparedStatement ps = c.prepareStatement(snapshot ? SNAPSHOT : READ_COMMITTED)) {
        ps.execute();
      }
      return -1;
    }

    @Override
    boolean isMissingTable(SQLException e) {
      return "42P01".equals(e.getSQLState());
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
          true, RETRIABLE, RETRIABLE_CODES);
    }

    @Override
    int begin(Connection c, boolean snapshot) throws SQLException {
      int wanted = snapshot ? Connection.TRANSACTION_REPEATABLE_READ : Connection.TRANSACTION_READ_COMMITTED;
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
  }
}
