package dev.keyseat.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.StoreUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The shipped schema scripts' agreement across the databases, and the builder; each script on its
 * database is checked by {@link SchemaTests} in {@link DatabaseSuites}.
 */
class JdbcSchemaTest {

  private static Map<String, List<String>> columns(TestDatabase db) throws SQLException {
    Map<String, List<String>> columns = new TreeMap<>();
    try (Connection c = db.connection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT table_name, column_name, is_nullable FROM information_schema.columns"
            + " WHERE lower(table_name) LIKE 'keyseat%' ORDER BY table_name, ordinal_position")) {
      while (rs.next()) {
        columns.computeIfAbsent(rs.getString(1).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(rs.getString(2).toLowerCase(Locale.ROOT) + (rs.getString(3).equals("YES") ? " null" : ""));
      }
    }
    return columns;
  }

  private static Set<String> names(TestDatabase db, String sql) throws SQLException {
    Set<String> names = new TreeSet<>();
    try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        names.add(rs.getString(1).toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }

  @Test
  void postgresAndH2SchemasHaveTheSameTablesColumnsAndNamedConstraints() throws SQLException {
    TestDatabase pg = TestDatabases.postgres();
    TestDatabase h2 = TestDatabases.h2();
    assertThat(columns(h2)).isEqualTo(columns(pg)).hasSize(12);

    Set<String> pgConstraints = names(pg, "SELECT conname FROM pg_constraint c JOIN pg_class t ON c.conrelid = t.oid"
        + " WHERE t.relname LIKE 'keyseat%'");
    Set<String> h2Constraints = names(h2, "SELECT constraint_name FROM information_schema.table_constraints"
        + " WHERE lower(table_name) LIKE 'keyseat%'");
    assertThat(pgConstraints).allSatisfy(n -> assertThat(n).startsWith("keyseat_"))
        .contains("keyseat_device_pk", "keyseat_api_key_hash_uq", "keyseat_api_key_previous_hash_uq",
            "keyseat_api_key_device_uq", "keyseat_api_key_device_fk", "keyseat_device_account_fk",
            "keyseat_audit_pk", "keyseat_change_pk");
    assertThat(h2Constraints).isEqualTo(pgConstraints);

    Set<String> pgIndexes = names(pg, "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'keyseat%'"
        + " AND indexname NOT IN (SELECT conname FROM pg_constraint)");
    assertThat(pgIndexes).containsExactlyInAnyOrder("keyseat_api_key_account_ix", "keyseat_change_numbered_at_ix",
        "keyseat_key_usage_daily_account_ix",
        "keyseat_change_pending_ix", "keyseat_license_account_ix", "keyseat_api_key_name_ix",
        "keyseat_api_key_serial_ix", "keyseat_api_key_ordinal_ix");
    // PostgreSQL only: the feed's rows awaiting their number (H2 numbers them at commit), and the
    // keys table's text sorts (H2 sorts by a cast to UTF-8 bytes, which no index serves)
    Set<String> postgresOnly = Set.of("keyseat_change_pending_ix", "keyseat_api_key_name_ix", "keyseat_api_key_serial_ix");
    assertThat(names(h2, "SELECT index_name FROM information_schema.indexes"))
        .containsAll(pgIndexes.stream().filter(n -> !postgresOnly.contains(n)).toList());
  }

  @Test
  void theBuilderChecksEveryArgumentAtOnce() {
    JdbcKeyStore.Builder b = JdbcKeyStore.builder(TestDatabases.h2().dataSource());
    assertThatThrownBy(() -> JdbcKeyStore.builder(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.maxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 1 and 100");
    assertThatThrownBy(() -> b.maxAttempts(101)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.retryBackoff(Duration.ofMillis(-1), Duration.ofMillis(5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.retryBackoff(Duration.ZERO, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.retryBackoff(null, Duration.ZERO)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.changeRetention(Duration.ofSeconds(59))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.clock(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.lockTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 1 ms and 10 minutes");
    assertThatThrownBy(() -> b.lockTimeout(Duration.ofMinutes(11))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.lockTimeout(null)).isInstanceOf(NullPointerException.class);
    JdbcKeyStore store = b.maxAttempts(1).retryBackoff(Duration.ZERO, Duration.ZERO).lockTimeout(Duration.ofSeconds(2))
        .changeRetention(Duration.ofMinutes(1)).clock(Clock.systemUTC()).build();
    assertThat(store.toString()).isEqualTo("JdbcKeyStore[H2, attempts=1, lockTimeout=2000ms]");
  }

  @Test
  void anUnsupportedDatabaseIsRefusedByName() {
    FaultyDataSource mysql = new FaultyDataSource(TestDatabases.h2().dataSource()).pretendToBe("MySQL");
    assertThatThrownBy(() -> JdbcKeyStore.builder(mysql).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MySQL").hasMessageContaining("PostgreSQL and H2");
  }

  @Test
  void anUnreachableDatabaseAtStartIsUnavailable() {
    FaultyDataSource down = new FaultyDataSource(TestDatabases.h2().dataSource()).down(true);
    assertThatThrownBy(() -> JdbcKeyStore.builder(down).build()).isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("08001");
  }

  @Test
  void theDialectIsChosenFromTheMetadata() {
    assertThat(TestDatabases.postgres().storeBuilder().build().dialect()).isInstanceOf(Dialect.Postgres.class);
    assertThat(TestDatabases.h2().storeBuilder().build().dialect()).isInstanceOf(Dialect.H2.class);
  }
}
