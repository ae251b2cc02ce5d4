package dev.keyseat.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyQuery;
import dev.keyseat.KeySort;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyPosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Migration V3: the folded device name kept on the key row (on create, rename and rebind, and
 * backfilled for existing keys) orders the keys table by device name; on PostgreSQL the page
 * queries sorted by device name or serial read their index instead of sorting the account.
 */
class JdbcKeySortColumnsTest {
  static final Actor OPERATOR = Actor.operator("ops");
  static final Actor ADMIN = Actor.user("admin");
  static final AccountId ACME = AccountId.of("acme");

  @Nested
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends SortColumns {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres("key_sort_columns");
    }

    @Test
    void pagesSortedByDeviceNameOrSerialReadTheirIndexWithoutSorting() throws SQLException {
      addTwoThousandKeys(keys);
      try (Connection c = database().connection(); Statement st = c.createStatement()) {
        st.execute("ANALYZE keyseat_api_key");
        st.execute("ANALYZE keyseat_device");
      }
      Instant now = Instant.now();
      for (boolean descending : new boolean[] {false, true}) {
        // a cursor with most of the account's keys still to come in this direction
        KeyPosition cursor = new KeyPosition(descending ? "monitor 8" : "monitor 1", null, 0,
            dev.keyseat.KeyId.of("key_00000000"));
        assertThat(plan(new KeyPageRequest(null, KeySort.DEVICE_NAME, descending, null, 100, null, now)))
            .contains("keyseat_api_key_name_ix").doesNotContain("Sort");
        assertThat(plan(new KeyPageRequest(null, KeySort.DEVICE_NAME, descending, cursor, 100, null, now)))
            .contains("keyseat_api_key_name_ix").doesNotContain("Sort");
        assertThat(plan(new KeyPageRequest(null, KeySort.SERIAL, descending, null, 100, null, now)))
            .contains("keyseat_api_key_serial_ix").doesNotContain("Sort");
      }
    }

    /** Gives ACME 2,000 devices named in scrambled order ("Monitor 0" to "Monitor 1999"), each with a key. */
    private void addTwoThousandKeys(KeyManager manager) {
      for (int batch = 0; batch < 2; batch++) {
        List<NewDevice> devices = new ArrayList<>();
        List<String> serials = new ArrayList<>();
        for (int i = batch * 1_000; i < (batch + 1) * 1_000; i++) {
          devices.add(new NewDevice("S-" + i, "Monitor " + (i * 7919 % 2_000)));
          serials.add("S-" + i);
        }
        manager.associateDevices(ADMIN, ACME, devices);
        manager.createKeys(ADMIN, ACME, NewKeys.forDevices(serials));
      }
    }

    /**
     * Keys inserted since the last ANALYZE (here: a fresh table, never analyzed) are estimated at a
     * few rows per account, for which the cheapest plan is a bitmap scan and a sort of every key
     * after the cursor; the page as the store sends it ({@link Dialect#inIndexOrder}) still reads the
     * index in order and stops after its rows.
     */
    @Test
    void pagesReadTheirIndexInOrderBeforeAnyAnalyze() throws SQLException {
      TestDatabase fresh = TestDatabases.postgres("key_pages_unanalyzed");
      fresh.clear();
      KeyManager manager = Keyseat.builder(fresh.storeBuilder().createSchemaIfMissing(true).build()).build().manager();
      manager.createAccount(OPERATOR, ACME, new NewAccount("Acme", UserId.of("admin"), 5_000));
      addTwoThousandKeys(manager);
      Instant now = Instant.now();
      KeyPosition byName = new KeyPosition("monitor 1", null, 0, dev.keyseat.KeyId.of("key_00000000"));
      KeyPosition byCreation = new KeyPosition(null, now.minusSeconds(86_400), 0, dev.keyseat.KeyId.of("key_00000000"));
      for (boolean descending : new boolean[] {false, true}) {
        assertThat(sentPlan(fresh, new KeyPageRequest(null, KeySort.CREATED, descending, byCreation, 100, null, now)))
            .contains("keyseat_api_key_account_ix").doesNotContain("Sort").doesNotContain("Bitmap");
        assertThat(sentPlan(fresh, new KeyPageRequest(null, KeySort.DEVICE_NAME, descending, byName, 100, null, now)))
            .contains("keyseat_api_key_name_ix").doesNotContain("Sort").doesNotContain("Bitmap");
        assertThat(sentPlan(fresh, new KeyPageRequest(null, KeySort.SERIAL, descending, null, 100, null, now)))
            .contains("keyseat_api_key_serial_ix").doesNotContain("Sort").doesNotContain("Bitmap");
      }
    }

    /** The plan of the page query with the statements the store sends around it, in one transaction. */
    private String sentPlan(TestDatabase db, KeyPageRequest request) throws SQLException {
      Dialect dialect = db.storeBuilder().build().dialect();
      KeyPageSql.Statement page = KeyPageSql.page(dialect, ACME.value(), request);
      assertThat(KeyPageSql.indexed(request.sort())).isTrue();
      StringBuilder plan = new StringBuilder();
      try (Connection c = db.connection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(dialect.inIndexOrder("EXPLAIN " + page.sql()))) {
          page.bind(ps);
          boolean rows = ps.execute();
          while (!rows) {
            rows = ps.getMoreResults();
          }
          try (ResultSet rs = ps.getResultSet()) {
            while (rs.next()) {
              plan.append(rs.getString(1)).append('\n');
            }
          }
        } finally {
          c.rollback();
        }
      }
      return plan.toString();
    }

    private String plan(KeyPageRequest request) throws SQLException {
      Dialect dialect = database().storeBuilder().build().dialect();
      KeyPageSql.Statement page = KeyPageSql.page(dialect, ACME.value(), request);
      StringBuilder plan = new StringBuilder();
      try (Connection c = database().connection(); PreparedStatement ps = c.prepareStatement("EXPLAIN " + page.sql())) {
        page.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
      }
      return plan.toString();
    }
  }

  @Nested
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends SortColumns {
    @Override
    TestDatabase database() {
      return TestDatabases.h2("key_sort_columns");
    }
  }
}

/** The tests of {@link JdbcKeySortColumnsTest} on each database. */
abstract class SortColumns {
  KeyManager keys;

  abstract TestDatabase database();

  @BeforeEach
  void accountWithAdmin() {
    database().clear();
    keys = manager();
    keys.createAccount(JdbcKeySortColumnsTest.OPERATOR, JdbcKeySortColumnsTest.ACME,
        new NewAccount("Acme", UserId.of("admin"), 5_000));
  }

  KeyManager manager() {
    return Keyseat.builder(database().storeBuilder().createSchemaIfMissing(true).build()).build().manager();
  }

  List<String> byDeviceName() {
    return keys.keys(JdbcKeySortColumnsTest.ADMIN, JdbcKeySortColumnsTest.ACME,
        KeyQuery.first(100).withSort(KeySort.DEVICE_NAME, false)).keys().stream().map(ApiKey::deviceSerial).toList();
  }

  @Test
  void renamingADeviceOrRebindingAKeyMovesTheKeyInTheOrderByDeviceName() {
    Actor admin = JdbcKeySortColumnsTest.ADMIN;
    AccountId acme = JdbcKeySortColumnsTest.ACME;
    keys.associateDevices(admin, acme, List.of(new NewDevice("A", "alpha"), new NewDevice("B", "Bravo"),
        new NewDevice("C", "charlie"), new NewDevice("D", "delta")));
    List<ApiKey> created = keys.createKeys(admin, acme, NewKeys.forDevices("A", "B", "C")).stream()
        .map(dev.keyseat.IssuedKey::key).toList();
    assertThat(byDeviceName()).containsExactly("A", "B", "C");

    keys.renameDevice(admin, acme, "A", "Zulu");
    assertThat(byDeviceName()).as("after renaming alpha to Zulu").containsExactly("B", "C", "A");

    keys.editKey(admin, acme, created.get(1).id(), KeyEdit.rebindTo("D"));
    assertThat(byDeviceName()).as("after rebinding Bravo's key to delta").containsExactly("C", "D", "A");
  }

  @Test
  void migrationV3BackfillsTheFoldedNamesOfExistingKeys() throws SQLException {
    keys.associateDevices(JdbcKeySortColumnsTest.ADMIN, JdbcKeySortColumnsTest.ACME,
        List.of(new NewDevice("A", "Mango"), new NewDevice("B", "apple"), new NewDevice("C", "Kiwi")));
    keys.createKeys(JdbcKeySortColumnsTest.ADMIN, JdbcKeySortColumnsTest.ACME, NewKeys.forDevices("A", "B", "C"));
    try (Connection c = database().connection(); Statement st = c.createStatement()) {
      // back to a database of V2: the column and V3's indexes gone, the keys kept
      for (String index : List.of("keyseat_api_key_name_ix", "keyseat_api_key_serial_ix",
          "keyseat_api_key_ordinal_ix")) {
        st.execute("DROP INDEX IF EXISTS " + index);
      }
      st.execute("ALTER TABLE keyseat_api_key DROP COLUMN device_name_folded");
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
    keys = manager(); // createSchemaIfMissing applies V3
    assertThat(byDeviceName()).containsExactly("B", "C", "A");
  }
}
