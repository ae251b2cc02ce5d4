package dev.keyseat.jdbc;

import com.zaxxer.hikari.HikariConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The databases of the tests: one embedded PostgreSQL 17 (Zonky, binaries from the Maven
 * repository) started once per test JVM and stopped when it exits, with a database per name; and
 * in-memory H2 databases. Each name gives the same {@link TestDatabase} for the life of the JVM.
 */
public final class TestDatabases {
  /**
   * Tag of the tests that run on PostgreSQL: the build runs them in a surefire execution of their
   * own whose reports end in {@code -PostgreSQL} (see the module's pom and README).
   */
  public static final String POSTGRESQL_TAG = "postgresql";
  /** Tag of the tests that run on H2: their reports end in {@code -H2}. */
  public static final String H2_TAG = "h2";

  private static final Map<String, TestDatabase> DATABASES = new ConcurrentHashMap<>();
  private static EmbeddedPostgres postgres;

  private TestDatabases() {}

  /** @return the PostgreSQL database {@code keyseat}, schema in place */
  public static TestDatabase postgres() {
    return postgres("keyseat");
  }

  /** @return the H2 database {@code keyseat}, schema in place */
  public static TestDatabase h2() {
    return h2("keyseat");
  }

  /**
   * @param database a database name of lowercase letters, digits and underscores
   * @return that database of the shared embedded PostgreSQL, created (with the schema) on first use
   */
  public static TestDatabase postgres(String database) {
    if (!database.matches("[a-z][a-z0-9_]{0,40}")) {
      throw new IllegalArgumentException("database name: " + database);
    }
    return DATABASES.computeIfAbsent("pg:" + database, k -> {
      EmbeddedPostgres pg = embeddedPostgres();
      try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
        if (!database.equals("postgres")) {
          st.execute("CREATE DATABASE " + database);
        }
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create database " + database, e);
      }
      TestDatabase db = new Postgres(pg, database);
      db.clear();
      return db;
    });
  }

  /**
   * @param database an H2 in-memory database name
   * @return that database, kept for the life of the JVM, created (with the schema) on first use
   */
  public static TestDatabase h2(String database) {
    return DATABASES.computeIfAbsent("h2:" + database, k -> {
      TestDatabase db = new H2(database);
      db.clear();
      return db;
    });
  }

  /**
   * The one embedded PostgreSQL of this test JVM, which the CLI's, Spring Boot's and the portal
   * example's tests share too (through this module's test jar); Zonky stops it when the JVM exits.
   *
   * @return the server, started on first use
   */
  public static synchronized EmbeddedPostgres embeddedPostgres() {
    if (postgres == null) {
      try {
        long start = System.nanoTime();
        postgres = EmbeddedPostgres.builder()
            // Tests open two pools per node and many nodes; the default of 300 is ample.
            .setServerConfig("max_connections", "300")
            .start();
        System.out.printf("embedded PostgreSQL started on port %d in %d ms%n", postgres.getPort(),
            (System.nanoTime() - start) / 1_000_000);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
      }
    }
    return postgres;
  }

  /**
   * A PostgreSQL of its own that a test can stop and start again, keeping its data and port, for
   * outage tests. {@link #close()} stops it and deletes its data.
   *
   * @return a stopped server; call {@link RestartablePostgres#start()}
   */
  public static RestartablePostgres restartablePostgres() {
    try {
      Path dir = Files.createTempDirectory("keyseat-pg-");
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      return new RestartablePostgres(dir, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** See {@link #restartablePostgres()}. */
  public static final class RestartablePostgres implements AutoCloseable {
    private final Path dataDirectory;
    private final int port;
    private final TestDatabase database;
    private EmbeddedPostgres running;
    private boolean started;

    RestartablePostgres(Path dataDirectory, int port) {
      this.dataDirectory = dataDirectory;
      this.port = port;
      this.database = new Postgres(() -> "jdbc:postgresql://localhost:" + port + "/postgres");
    }

    /** Starts the server; the first start creates the schema, later ones find the data as it was. */
    public synchronized RestartablePostgres start() {
      if (running == null) {
        try {
          running = EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(false)
              .setPort(port).start();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot start PostgreSQL on port " + port, e);
        }
        if (!started) {
          database.clear();
          started = true;
        }
      }
      return this;
    }

    /** Stops the server; its data stays. */
    public synchronized void stop() {
      if (running != null) {
        try {
          running.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          running = null;
        }
      }
    }

    /** @return the database {@code postgres} of this server, whether it runs or not */
    public TestDatabase database() {
      return database;
    }

    @Override
    public void close() throws IOException {
      stop();
      try (var paths = Files.walk(dataDirectory)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static final class Postgres extends TestDatabase {
    private final java.util.function.Supplier<String> url;

    Postgres(EmbeddedPostgres pg, String database) {
      this(() -> pg.getJdbcUrl("postgres", database));
    }

    Postgres(java.util.function.Supplier<String> url) {
      super("PostgreSQL", new Dialect.Postgres());
      this.url = url;
    }

    @Override
    public String jdbcUrl() {
      return url.get();
    }

    @Override
    public String user() {
      return "postgres";
    }

    @Override
    public String password() {
      return "";
    }

    @Override
    void customize(HikariConfig config, String poolName) {
      config.addDataSourceProperty("ApplicationName", poolName);
    }
  }

  private static final class H2 extends TestDatabase {
    private final String database;

    H2(String database) {
      super("H2", new Dialect.H2());
      this.database = database;
    }

    @Override
    public String jdbcUrl() {
      return "jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1";
    }

    @Override
    public String user() {
      return "sa";
    }

    @Override
    public String password() {
      return "";
    }
  }
}
