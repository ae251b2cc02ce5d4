package dev.keyseat.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.KeyManager;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.jdbc.TestDatabases;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Verdict;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The shipped migrations applied by Flyway through {@code spring.flyway.locations} give the same
 * schema as {@code createSchemaIfMissing}, on PostgreSQL and H2, and the auto-configured store
 * starts after Flyway over it (with {@code keyseat.jdbc.initialize-schema=never}).
 */
class FlywayMigrationTest {
  private static final String LOCATIONS = "spring.flyway.locations=classpath:dev/keyseat/jdbc/migration/{vendor}";

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class))
      .withConfiguration(AutoConfigurations.of(KeyseatAutoConfiguration.class, KeyseatValidatorAutoConfiguration.class))
      .withPropertyValues(LOCATIONS, "keyseat.jdbc.initialize-schema=never");

  @Test
  void onPostgresFlywayAndCreateSchemaIfMissingYieldTheSameSchema() throws Exception {
    EmbeddedPostgres pg = TestDatabases.embeddedPostgres();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      for (String db : List.of("flyway_migrated", "store_created")) {
        st.execute("DROP DATABASE IF EXISTS " + db);
        st.execute("CREATE DATABASE " + db);
      }
    }
    List<String>[] flyway = new List[1];
    runner.withPropertyValues("spring.datasource.url=" + pg.getJdbcUrl("postgres", "flyway_migrated"),
        "spring.datasource.username=postgres").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(JdbcKeyStore.class);
      String key = KeyseatAutoConfigurationTest.issueKey(context.getBean(KeyManager.class));
      assertThat(context.getBean(CachedKeyValidator.class).validate(key).status()).isEqualTo(Verdict.Status.VALID);
      flyway[0] = postgresSchema(context.getBean(DataSource.class));
    });
    List<String> created;
    try (HikariDataSource ds = pool(pg.getJdbcUrl("postgres", "store_created"), "postgres")) {
      JdbcKeyStore.builder(ds).createSchemaIfMissing(true).build();
      created = postgresSchema(ds);
    }

    assertThat(flyway[0]).isNotEmpty().containsExactlyElementsOf(created);
    assertThat(created).anyMatch(l -> l.startsWith("constraint keyseat_api_key"))
        .anyMatch(l -> l.startsWith("index keyseat_"));
  }

  @Test
  void onH2FlywayAndCreateSchemaIfMissingYieldTheSameSchema() throws Exception {
    List<String>[] flyway = new List[1];
    runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:flyway_migrated;DB_CLOSE_DELAY=-1").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(JdbcKeyStore.class);
      flyway[0] = h2Schema(context.getBean(DataSource.class));
    });
    List<String> created;
    try (HikariDataSource ds = pool("jdbc:h2:mem:store_created;DB_CLOSE_DELAY=-1", "sa")) {
      JdbcKeyStore.builder(ds).createSchemaIfMissing(true).build();
      created = h2Schema(ds);
    }

    assertThat(flyway[0]).isNotEmpty().containsExactlyElementsOf(created);
  }

  private static HikariDataSource pool(String url, String user) {
    HikariDataSource ds = new HikariDataSource();
    ds.setJdbcUrl(url);
    ds.setUsername(user);
    ds.setMaximumPoolSize(2);
    return ds;
  }

  /** Columns, constraints and indexes of the keyseat_ tables, as sorted lines. */
  private static List<String> postgresSchema(DataSource ds) throws SQLException {
    return lines(ds,
        columns("keyseat%"),
        "SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
            + " FROM pg_constraint WHERE conrelid::regclass::text LIKE 'keyseat%'",
        "SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE tablename LIKE 'keyseat%'");
  }

  private static List<String> h2Schema(DataSource ds) throws SQLException {
    return lines(ds,
        columns("KEYSEAT%"),
        "SELECT 'constraint ' || table_name || ' ' || constraint_name || ' ' || constraint_type"
            + " FROM information_schema.table_constraints WHERE table_name LIKE 'KEYSEAT%'",
        // H2 names a primary key's index from an object id itself, and renames it when V3's ALTER
        // TABLE rebuilds the table: those names differ with the objects Flyway creates beside ours
        "SELECT 'index ' || table_name || ' ' || CASE WHEN index_name LIKE 'KEYSEAT%' THEN index_name"
            + " ELSE '(named by H2)' END || ' ' || index_type_name"
            + " FROM information_schema.indexes WHERE table_name LIKE 'KEYSEAT%'");
  }

  /** The query of the columns of the tables whose names are LIKE {@code tables}, one line each. */
  private static String columns(String tables) {
    return "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '"
        + " || coalesce(column_default, '') FROM information_schema.columns WHERE table_name LIKE '" + tables + "'";
  }

  private static List<String> lines(DataSource ds, String... queries) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      for (String q : queries) {
        try (ResultSet rs = st.executeQuery(q)) {
          while (rs.next()) {
            lines.add(rs.getString(1));
          }
        }
      }
    }
    lines.sort(null);
    return lines;
  }
}
