package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyStoreContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** The testkit's store contract, unchanged, on PostgreSQL and on H2; emptied before every test. */
class JdbcKeyStoreContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  class OnPostgres extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }
  }

  @Nested
  @DisplayName("on H2")
  class OnH2 extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }
  }
}
