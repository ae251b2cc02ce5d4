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
 * <p>Fewer sequences than the suite's default 1,000, which the in-memory store runs: a sequence
 * costs about 80 ms on H2 and 100–140 ms on PostgreSQL here (17 ms in memory), most of it in the
 * reads that check the invariants after every command. The model logic is proven in memory; what
 * these runs add is the SQL of both dialects, which every sequence exercises. Run more with
 * {@code -DQT_EXAMPLES=<n>}.
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
