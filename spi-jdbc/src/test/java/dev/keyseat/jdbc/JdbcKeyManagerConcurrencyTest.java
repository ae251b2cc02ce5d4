package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyManagerConcurrencyContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The testkit's KeyManager fuzz test, unchanged, on PostgreSQL and on H2; after each test, the key
 * count kept on every account row must equal its keys.
 */
class JdbcKeyManagerConcurrencyTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends KeyManagerConcurrencyContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }

    @AfterEach
    void keyCountsAreKept() {
      TestDatabases.postgres().assertKeyCountsMatchKeys();
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

    @AfterEach
    void keyCountsAreKept() {
      TestDatabases.h2().assertKeyCountsMatchKeys();
    }
  }
}
