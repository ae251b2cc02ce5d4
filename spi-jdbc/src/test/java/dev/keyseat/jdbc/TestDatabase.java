package dev.keyseat.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * A database for tests of the JDBC store: a shared pool, fresh pools for simulated nodes, and a
 * reset to an empty schema built from the shipped scripts. Get one from {@link TestDatabases}.
 * Reused by the contract, property and benchmark suites that run on PostgreSQL and H2.
 */
public abstract class TestDatabase {
  private static final List<String> CLEAR = List.of(
      "DELETE FROM keyseat_key_usage_daily",
      "DELETE FROM keyseat_rate_limit",
      "DELETE FROM keyseat_change",
      "DELETE FROM keyseat_audit",
      "DELETE FROM keyseat_api_key",
      "DELETE FROM keyseat_device",
      "DELETE FROM keyseat_member",
      "DELETE FROM keyseat_seat_reassignment",
      "DELETE FROM keyseat_license_policy",
      "DELETE FROM keyseat_license",
      "DELETE FROM keyseat_account",
      "UPDATE keyseat_change_seq SET last_seq = 0");

  private final String name;
  private final Dialect dialect;
  private volatile HikariDataSource shared;

  TestDatabase(String name, Dialect dialect) {
    this.name = name;
    this.dialect = dialect;
  }

  /** @return the SQLState this database reports a deadlock with: PostgreSQL's own, or H2's 40001 */
  public final String deadlockState() {
    return dialect instanceof Dialect.Postgres ? "40P01" : "40001";
  }

  /** @return e.g. {@code PostgreSQL} or {@code H2} */
  public final String name() {
    return name;
  }

  /** @return the JDBC URL of this database */
  public abstract String jdbcUrl();

  /** @return user name for {@link #jdbcUrl()} */
  public abstract String user();

  /** @return password for {@link #jdbcUrl()} */
  public abstract String password();

  /** @return a pool of up to 20 connections shared by the tests of this JVM; do not close it */
  public final DataSource dataSource() {
    HikariDataSource ds = shared;
    if (ds == null) {
      synchronized (this) {
        ds = shared;
        if (ds == null) {
          ds = newPool("shared-" + name, 20);
          shared = ds;
        }
      }
    }
    return ds;
  }

  /**
   * A separate pool, as one node of a cluster would have.
   *
   * @param poolName also the connection's application name where the database supports it
   * @param maxSize the pool size
   * @return a pool the caller closes
   */
  public HikariDataSource newPool(String poolName, int maxSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl());
    config.setUsername(user());
    config.setPassword(password());
    config.setPoolName(poolName);
    config.setMaximumPoolSize(maxSize);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(10_000);
    customize(config, poolName);
    return new HikariDataSource(config);
  }

  /** Adds database-specific settings to a new pool's configuration. */
  void customize(HikariConfig config, String poolName) {}

  /** @return a store over the shared pool, with the schema in place */
  public JdbcKeyStore.Builder storeBuilder() {
    return JdbcKeyStore.builder(dataSource());
  }

  /**
   * The store a contract suite gets before each test: the tables emptied by {@link #clear()}, a
   * store over the shared pool.
   *
   * @return a store that holds no account, no key and no change event
   */
  public JdbcKeyStore emptyStore() {
    clear();
    return storeBuilder().build();
  }

  /**
   * {@link #emptyStore()} whose feed entries are numbered by {@code clock}, for the contract's
   * purge tests.
   *
   * @param clock the suite's clock
   * @return a store that holds no account, no key and no change event
   */
  public JdbcKeyStore emptyStore(java.time.Clock clock) {
    clear();
    return storeBuilder().clock(clock).build();
  }

  /** Drops every Keyseat table and creates the schema again from the shipped scripts. */
  public void recreateSchema() {
    try (Connection c = dataSource().getConnection()) {
      Scripts.run(c, dialect.dropResource);
      createSchema(c);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot recreate the schema of " + name, e);
    }
  }

  /** Runs every shipped migration in order. */
  private void createSchema(Connection c) throws SQLException {
    Scripts.run(c, dialect.schemaResource);
    for (Dialect.Migration m : dialect.upgrades) {
      Scripts.run(c, m.resource());
    }
  }

  /** Drops every Keyseat table with the shipped drop script. */
  public void dropSchema() {
    try (Connection c = dataSource().getConnection()) {
      Scripts.run(c, dialect.dropResource);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop the schema of " + name, e);
    }
  }

  /** Empties every Keyseat table (creating the schema if it is missing) and resets the feed. */
  public void clear() {
    try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
      try {
        st.execute("SELECT 1 FROM keyseat_change_seq");
      } catch (SQLException missing) {
        createSchema(c);
        return;
      }
      for (Dialect.Migration m : dialect.upgrades) {
        try {
          st.execute(m.probe());
        } catch (SQLException missing) { // a database created before this migration
          Scripts.run(c, m.resource());
        }
      }
      for (String sql : CLEAR) {
        st.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot clear " + name, e);
    }
  }

  /**
   * Checks the key count kept on every account row against a count of its keys (R1 reads the
   * kept one).
   *
   * @throws AssertionError naming the accounts whose count is off
   */
  public void assertKeyCountsMatchKeys() {
    try (Connection c = dataSource().getConnection(); Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT a.account_id, a.key_count,"
            + " (SELECT COUNT(*) FROM keyseat_api_key k WHERE k.account_id = a.account_id) FROM keyseat_account a"
            + " WHERE a.key_count <> (SELECT COUNT(*) FROM keyseat_api_key k WHERE k.account_id = a.account_id)")) {
      StringBuilder off = new StringBuilder();
      while (rs.next()) {
        off.append(' ').append(rs.getString(1)).append(": kept ").append(rs.getInt(2)).append(", counted ")
            .append(rs.getLong(3));
      }
      if (!off.isEmpty()) {
        throw new AssertionError("key counts kept on account rows differ from the keys on " + name + ":" + off);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot count keys on " + name, e);
    }
  }

  /** @return a connection of the shared pool, for checks in SQL */
  public Connection connection() throws SQLException {
    return dataSource().getConnection();
  }

  @Override
  public String toString() {
    return name;
  }
}
