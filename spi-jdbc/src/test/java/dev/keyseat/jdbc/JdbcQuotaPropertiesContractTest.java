package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.QuotaPropertiesContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The testkit's property-based quota suite, unchanged, on PostgreSQL and on H2: random command
 * sequences against a real KeyManager over the JDBC store, checked against the reference model
 * after every step. Each sequence starts from emptied tables.
 *
 * <p>Fewer sequences than the suite's default 1,000, which the in-memory store runs (17 ms a
 * sequence). On the 2-core build VM a sequence costs 35–80 ms on H2 (CPU-bound: slower when the
 * machine is shared) and 100–300 ms on PostgreSQL, which is bound by thousands of local round trips
 * per sequence, each about 70 µs while the vCPUs are otherwise idle and about 10 µs while other
 * work keeps them busy. 200 sequences on PostgreSQL (20–60 s) and 300 on H2 (11–25 s) keep the
 * module's build under three minutes. The model logic is proven in memory; what these runs add is
 * the SQL of both dialects, which every sequence exercises. Run more with
 * {@code -DQT_EXAMPLES=<n>}.
 */
class JdbcQuotaPropertiesContractTest {

  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
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
  @Tag(TestDatabases.H2_TAG)
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
