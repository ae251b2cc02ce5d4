package dev.keyseat.jdbc;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.CachedValidatorContract;
import dev.keyseat.testkit.KeyEventsContract;
import dev.keyseat.testkit.KeyManagerConcurrencyContract;
import dev.keyseat.testkit.KeyManagerContract;
import dev.keyseat.testkit.KeyStoreContract;
import dev.keyseat.testkit.LicenseEndSweepContract;
import dev.keyseat.testkit.QuotaPropertiesContract;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

/**
 * Every suite the JDBC store runs on one database, each as a {@link Nested} class: the testkit's
 * contracts unchanged, and the module's own store semantics, management scenarios, schema checks
 * and two-node race. This is the one place that says what "a store on this database" is; {@link
 * JdbcSuitesTest} extends it once for PostgreSQL and once for H2 (as ShedLock's AbstractJdbcTest
 * runs its whole suite per database), and the database's tag on that subclass selects the surefire
 * execution (see the module's pom).
 */
abstract class DatabaseSuites {
  private final Function<String, TestDatabase> databases;
  private final String migrations;
  private final int quotaExamples;

  /**
   * @param databases the database of a name, created with the schema on first use
   * @param migrations the folder of the database's migration scripts ({@code postgresql}, {@code h2})
   * @param quotaExamples how many random sequences the property-based quota suite runs
   */
  DatabaseSuites(Function<String, TestDatabase> databases, String migrations, int quotaExamples) {
    this.databases = databases;
    this.migrations = migrations;
    this.quotaExamples = quotaExamples;
  }

  /** @return the database {@code keyseat} that every suite but the schema checks uses */
  final TestDatabase database() {
    return databases.apply("keyseat");
  }

  /** The testkit's store contract; emptied before every test. */
  @Nested
  class KeyStoreContractTest extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore(clock);
    }
  }

  /** The domain rules R1–R13 of the testkit. */
  @Nested
  class KeyManagerContractTest extends KeyManagerContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore();
    }
  }

  /**
   * The testkit's cached-validator contract: verdicts, local and remote invalidation through the
   * change feed, staleness, flood protection, usage batches.
   */
  @Nested
  class CachedValidatorContractTest extends CachedValidatorContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore(clock);
    }
  }

  /** The testkit's events contract. */
  @Nested
  class KeyEventsContractTest extends KeyEventsContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore(clock);
    }
  }

  /** The testkit's license end sweep contract. */
  @Nested
  class LicenseEndSweepContractTest extends LicenseEndSweepContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore(clock);
    }
  }

  /**
   * The testkit's KeyManager fuzz test; after each test, the key count kept on every account row
   * must equal its keys.
   */
  @Nested
  class KeyManagerConcurrencyTest extends KeyManagerConcurrencyContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore();
    }

    @AfterEach
    void keyCountsAreKept() {
      database().assertKeyCountsMatchKeys();
    }
  }

  /**
   * The testkit's property-based quota suite: random command sequences against a real KeyManager
   * over the JDBC store, checked against the reference model after every step. Each sequence
   * starts from emptied tables.
   *
   * <p>Fewer sequences than the suite's default 1,000, which the in-memory store runs (17 ms a
   * sequence). On the 2-core build VM a sequence costs 35–80 ms on H2 (CPU-bound: slower when the
   * machine is shared) and 100–300 ms on PostgreSQL, which is bound by thousands of local round
   * trips per sequence, each about 70 µs while the vCPUs are otherwise idle and about 10 µs while
   * other work keeps them busy. 200 sequences on PostgreSQL (20–60 s) and 300 on H2 (11–25 s) keep
   * the module's build under three minutes. The model logic is proven in memory; what these runs
   * add is the SQL of both dialects, which every sequence exercises. Run more with {@code
   * -DQT_EXAMPLES=<n>}.
   */
  @Nested
  class QuotaPropertiesContractTest extends QuotaPropertiesContract {
    @Override
    protected KeyStore createStore() {
      return database().emptyStore();
    }

    @Override
    protected int examples() {
      return quotaExamples;
    }
  }

  /** The store's SPI semantics beyond the testkit's contract. */
  @Nested
  class StoreSemantics extends StoreSemanticsTests {
    @Override
    TestDatabase database() {
      return DatabaseSuites.this.database();
    }
  }

  /** Management scenarios through KeyManager. */
  @Nested
  class Scenarios extends ScenarioTests {
    @Override
    TestDatabase database() {
      return DatabaseSuites.this.database();
    }
  }

  /** R1 across two nodes with separate pools. */
  @Nested
  class TwoNodeRaceTest extends TwoNodeRace {
    @Override
    TestDatabase database() {
      return DatabaseSuites.this.database();
    }
  }

  /** The shipped schema script, on a database of its own ({@code keyseat_schema}). */
  @Nested
  class Schema extends SchemaTests {
    @Override
    TestDatabase database() {
      return databases.apply("keyseat_schema");
    }

    @Override
    String schemaScript() {
      return "migration/" + migrations + "/V1__keyseat_schema.sql";
    }
  }
}
