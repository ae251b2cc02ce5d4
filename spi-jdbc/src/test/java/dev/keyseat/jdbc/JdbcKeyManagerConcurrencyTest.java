package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyManagerConcurrencyContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The testkit's KeyManager fuzz test, unchanged, on PostgreSQL and on H2. */
class JdbcKeyManagerConcurrencyTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends KeyManagerConcurrencyContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends KeyManagerConcurrencyContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }
  }
}
