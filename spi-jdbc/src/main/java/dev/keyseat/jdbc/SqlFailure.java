package dev.keyseat.jdbc;

import java.sql.SQLException;

/**
 * A {@link SQLException} on its way from inside a transaction to the retry loop of
 * {@link Connections}, which turns it into a retry or a
 * {@link dev.keyseat.StoreUnavailableException}. Never leaves the store.
 */
final class SqlFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final SQLException sqlException;
  private final boolean duringCommit;

  SqlFailure(SQLException cause, boolean duringCommit) {
    super(null, cause, false, false);
    this.sqlException = cause;
    this.duringCommit = duringCommit;
  }

  SqlFailure(SQLException cause) {
    this(cause, false);
  }

  SQLException sqlException() {
    return sqlException;
  }

  /** @return whether the connection failed while committing, so that the outcome is unknown */
  boolean duringCommit() {
    return duringCommit;
  }
}
