package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyEventsContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The testkit's events contract, unchanged, on PostgreSQL and on H2. */
class JdbcKeyEventsContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends KeyEventsContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore(clock);
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends KeyEventsContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore(clock);
    }
  }
}
