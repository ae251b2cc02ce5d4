package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.CachedValidatorContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The testkit's cached-validator contract, unchanged, on PostgreSQL and on H2: verdicts, local and
 * remote invalidation through the change feed, staleness, flood protection, usage batches.
 */
class JdbcCachedValidatorContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends CachedValidatorContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends CachedValidatorContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }
  }
}
