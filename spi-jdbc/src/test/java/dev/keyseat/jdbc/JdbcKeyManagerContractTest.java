package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyManagerContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The domain rules R1–R13 of the testkit, unchanged, on PostgreSQL and on H2. */
class JdbcKeyManagerContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends KeyManagerContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends KeyManagerContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }
  }
}
