package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyStoreContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The testkit's store contract, unchanged, on PostgreSQL and on H2; emptied before every test. */
class JdbcKeyStoreContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }
  }
}
