package dev.keyseat.jdbc;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** The store's SPI semantics on both databases. */
class JdbcKeyStoreTest {

  @Nested
  @DisplayName("on PostgreSQL")
  class OnPostgres extends StoreSemanticsTests {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres();
    }
  }

  @Nested
  @DisplayName("on H2")
  class OnH2 extends StoreSemanticsTests {
    @Override
    TestDatabase database() {
      return TestDatabases.h2();
    }
  }
}
