package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.QuotaPropertiesContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The testkit's property-based quota suite, unchanged, on PostgreSQL and on H2: random command
 * sequences against a real KeyManager over the JDBC store, checked against the reference model
 * after every step. Each sequence starts from emptied tables.
 *
 * <p>Fewer sequences than the suite's default 1,000, which the in-memory store runs: on a 2-core
 * build machine a sequence costs about 35 ms on H2 and 110 ms on PostgreSQL when it is quiet, and
 * twice that when it is shared (17 ms in memory), most of it in the reads that check the invariants
 * after every command. 200 and 300 sequences keep the module's build well under three minutes. The
 * model logic is proven in memory; what these runs add is the SQL of both dialects, which every
 * sequence exercises. Run more with {@code -DQT_EXAMPLES=<n>}.
 */
class JdbcQuotaPropertiesContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  class OnPostgres extends QuotaPropertiesContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.postgres().emptyStore();
    }

    @Override
    protected int examples() {
      return 200;
    }
  }

  @Nested
  @DisplayName("on H2")
  class OnH2 extends QuotaPropertiesContract {
    @Override
    protected KeyStore createStore() {
      return TestDatabases.h2().emptyStore();
    }

    @Override
    protected int examples() {
      return 300;
    }
  }
}
