package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.LicenseEndSweepContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/** The testkit's license end sweep contract, unchanged, on PostgreSQL and on H2. */
class JdbcLicenseEndSweepContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends LicenseEndSweepContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore(clock);
    }
  }

  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends LicenseEndSweepContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore(clock);
    }
  }
}
