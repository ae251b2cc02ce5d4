package dev.keyseat.jdbc;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** Management scenarios through KeyManager on both databases. */
class JdbcScenarioTest {

  @Nested
  @DisplayName("on PostgreSQL")
  class OnPostgres extends ScenarioTests {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres();
    }
  }

  @Nested
  @DisplayName("on H2")
  class OnH2 extends ScenarioTests {
    @Override
    TestDatabase database() {
      return TestDatabases.h2();
    }
  }
}
