package dev.keyseat.jdbc;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The store's SPI semantics on both databases. */
class JdbcKeyStoreTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends StoreSemanticsTests {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends StoreSemanticsTests {
    @Override
    TestDatabase database() {
      return TestDatabases.h2();
    }
  }
}
