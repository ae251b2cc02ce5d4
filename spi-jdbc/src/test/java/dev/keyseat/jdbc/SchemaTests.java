package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ACME;
import static dev.keyseat.jdbc.Fixtures.account;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shipped scripts and the builder's schema check, on one database of its own. */
abstract class SchemaTests {
  abstract TestDatabase database();

  /** @return the schema script's name for this database */
  abstract String schemaScript();

  @BeforeEach
  void noSchema() {
    database().dropSchema();
  }

  List<String> keyseatTables() throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Connection c = database().connection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables"
            + " WHERE lower(table_name) LIKE 'keyseat%' ORDER BY 1")) {
      while (rs.next()) {
        tables.add(rs.getString(1).toLowerCase(Locale.ROOT));
      }
    }
    return tables;
  }

  @Test
  void withoutTheSchemaBuildingFailsAndNamesTheScriptToApply() {
    assertThatThrownBy(() -> database().storeBuilder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(schemaScript())
        .hasMessageContaining("createSchemaIfMissing");
  }

  @Test
  void createSchemaIfMissingCreatesTheShippedSchemaOnceAndTheStoreWorks() throws SQLException {
    JdbcKeyStore store = database().storeBuilder().createSchemaIfMissing(true).build();
    assertThat(keyseatTables()).containsExactly("keyseat_account", "keyseat_api_key", "keyseat_audit",
        "keyseat_change", "keyseat_change_seq", "keyseat_device", "keyseat_key_usage_daily", "keyseat_license",
        "keyseat_license_policy", "keyseat_member", "keyseat_rate_limit", "keyseat_seat_reassignment");
    boolean first = store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 1)));
    assertThat(first).isTrue();
    // a second node starting later finds the schema and keeps the data
    JdbcKeyStore second = database().storeBuilder().createSchemaIfMissing(true).build();
    boolean again = second.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 1)));
    assertThat(again).isFalse();
    assertThat(second.latestChangeSequence()).isZero();
  }

  @Test
  void nodesStartingTogetherCreateTheSchemaOnce() throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    try {
      List<Future<JdbcKeyStore>> started = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        started.add(executor.submit(() -> database().storeBuilder().createSchemaIfMissing(true).build()));
      }
      for (Future<JdbcKeyStore> f : started) {
        assertThat(f.get(60, TimeUnit.SECONDS).latestChangeSequence()).isZero();
      }
    } finally {
      executor.shutdownNow();
    }
    assertThat(keyseatTables()).hasSize(12);
  }

  @Test
  void theDropScriptRemovesEveryTable() throws SQLException {
    database().recreateSchema();
    assertThat(keyseatTables()).hasSize(12);
    database().dropSchema();
    assertThat(keyseatTables()).isEmpty();
  }

  @Test
  void aDatabaseWithOnlyV1GetsV2FromCreateSchemaIfMissingAndIsRefusedWithoutIt() throws SQLException {
    try (Connection c = database().connection()) {
      Scripts.run(c, schemaScript());
    }
    assertThat(keyseatTables()).hasSize(11).doesNotContain("keyseat_key_usage_daily");
    assertThatThrownBy(() -> database().storeBuilder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(schemaScript().replace("V1__keyseat_schema", "V2__key_usage_daily"));

    database().storeBuilder().createSchemaIfMissing(true).build();
    assertThat(keyseatTables()).hasSize(12).contains("keyseat_key_usage_daily");
  }

  @Test
  void theScriptsSplitIntoStatements() {
    List<String> statements = Scripts.statements(Scripts.read(schemaScript()));
    // eleven tables, three indexes shared, the counter's row; PostgreSQL adds the pending-feed index
    assertThat(statements).hasSize(schemaScript().contains("postgresql") ? 16 : 15);
    assertThat(statements).allSatisfy(s -> assertThat(s).doesNotStartWith("--").doesNotEndWith(";"));
    assertThat(statements.get(statements.size() - 1)).startsWith("INSERT INTO keyseat_change_seq");
  }
}
