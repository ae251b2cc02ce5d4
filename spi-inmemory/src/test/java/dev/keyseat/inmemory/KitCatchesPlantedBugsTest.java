package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.CachedValidatorContract;
import dev.keyseat.testkit.KeyManagerContract;
import dev.keyseat.testkit.KeyStoreContract;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The kit is only worth running if it fails on broken stores: each test runs one suite, the way a
 * build would, against the in-memory store with one bug planted ({@link PlantedBugs}), and asserts
 * that the suite fails and which of its tests name the broken rule. The store that cannot list its
 * keys is correct: its run is green, with the preload tests skipped by declaration.
 */
class KitCatchesPlantedBugsTest {

  /** The store the suites below test; set by {@link #run} for one suite run at a time. */
  private static volatile Supplier<KeyStore> planted;

  /** The store suite over the planted store. */
  static class StoreSuite extends KeyStoreContract {
    @Override
    protected KeyStore createStore() {
      return planted.get();
    }
  }

  /** The management suite over the planted store. */
  static class ManagerSuite extends KeyManagerContract {
    @Override
    protected KeyStore createStore() {
      return planted.get();
    }
  }

  /** The validator suite over the planted store. */
  static class ValidatorSuite extends CachedValidatorContract {
    @Override
    protected KeyStore createStore() {
      return planted.get();
    }
  }

  @Test
  void aNonAtomicBatchIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::nonAtomicBatch,
        "workThrowingARuntimeExceptionLeavesNoTraceAndTheExceptionPassesThroughUnchanged()");
  }

  @Test
  void aStoreWithoutSerializationIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::noSerialization,
        "writersOfOneAccountAreSerializedSoNoReadModifyWriteIsLost()");
  }

  @Test
  void aFeedNumberedInInsertionOrderIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, () -> PlantedBugs.ownFeed(true),
        "theFeedIsGaplessAcrossAccountsAndARolledBackTransactionUsesNoNumber()");
  }

  @Test
  void aGappedFeedIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, () -> PlantedBugs.ownFeed(false),
        "theFeedIsGaplessAcrossAccountsAndARolledBackTransactionUsesNoNumber()");
  }

  @Test
  void aLostOverlapHashIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::lostOverlapHash,
        "aRegeneratedKeyIsFoundByItsCurrentAndItsPreviousHash()");
  }

  @Test
  void overwrittenUsageIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::overwrittenUsage,
        "usageKeepsTheGreatestLastUsedTimeAndSumsCountsAcrossAndWithinBatches()");
  }

  @Test
  void serialsUniquePerAccountInsteadOfPlatformWideAreCaughtByTheStoreAndManagerSuites() {
    assertCaught(StoreSuite.class, PlantedBugs::perAccountSerials,
        "aSerialIsUniqueAcrossAccountsAndARefusedInsertChangesNothing()",
        "racingInsertsOfOneSerialIntoTwoAccountsAdmitExactlyOne()");
    assertCaught(ManagerSuite.class, PlantedBugs::perAccountSerials, "aDeviceSerialBelongsToOneAccountOnly()");
  }

  @Test
  void auditSurvivingARollbackIsCaughtByTheManagerSuite() {
    assertCaught(ManagerSuite.class, PlantedBugs::auditSurvivingRollback,
        "aBatchThatFailsHalfwayInTheStoreLeavesNoTrace()");
  }

  @Test
  void aMissingDeleteEventIsCaughtByTheValidatorSuite() {
    assertCaught(ValidatorSuite.class, PlantedBugs::missingDeleteEvent,
        "onePollAppliesAFeedLongerThanOnePage()");
  }

  @Test
  void aPurgeLosingYoungEntriesIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::purgeLosingYoungEntries,
        "purgeDeletesOnlyEntriesOlderThanTheCutoffAndKeepsEveryYoungerOne()");
  }

  @Test
  void anUnstableKeyOrderingIsCaughtByTheStoreSuite() {
    assertCaught(StoreSuite.class, PlantedBugs::unstableOrdering, "keysAreOrderedByCreationTimeThenId()");
  }

  @Test
  void aStoreThatCannotListItsKeysPassesWithThePreloadTestsSkippedByDeclaration() {
    Events tests = run(ValidatorSuite.class, PlantedBugs::noKeyListing);

    assertThat(tests.failed().list()).as("failed tests of a store that declares it cannot list keys").isEmpty();
    // the three preload tests, the flood test (it needs the listed hashes), and the push test (the
    // in-memory store notifies no other node)
    assertThat(tests.skipped().count() + tests.aborted().count()).as("skipped tests").isEqualTo(5);
    assertThat(tests.aborted().stream().map(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
            .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("")))
        .as("reasons of the skipped tests")
        .allSatisfy(reason -> assertThat(reason).contains("skipped by declaration: "))
        .filteredOn(reason -> reason.contains("LISTS_KEYS")).hasSize(4);
    assertThat(tests.succeeded().count()).as("tests that ran green").isPositive();
  }

  @Test
  void nestedClassesAreReportedUnderTheStoresTestClass() {
    Events[] containers = new Events[1];
    withStore(InMemoryKeyStore::new, () -> containers[0] = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(StoreSuite.class)).execute().containerEvents());
    assertThat(containers[0].started().stream().map(e -> e.getTestDescriptor().getDisplayName()))
        .as("display names of the suite's containers")
        .contains("KitCatchesPlantedBugsTest.StoreSuite › Purging", "KitCatchesPlantedBugsTest.StoreSuite › accounts(after, limit): the operator's account list");
  }

  private static void assertCaught(Class<?> suite, Supplier<KeyStore> broken, String... expectedFailures) {
    Events tests = run(suite, broken);
    List<String> failed = tests.failed().stream().map(e -> e.getTestDescriptor().getDisplayName()).toList();
    assertThat(failed).as("tests of %s that fail on the planted bug", suite.getSimpleName()).isNotEmpty();
    assertThat(failed).as("tests of %s that fail on the planted bug", suite.getSimpleName()).contains(expectedFailures);
  }

  private static Events run(Class<?> suite, Supplier<KeyStore> broken) {
    Events[] result = new Events[1];
    withStore(broken, () -> result[0] = EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite))
        .execute().testEvents());
    return result[0];
  }

  private static synchronized void withStore(Supplier<KeyStore> broken, Runnable run) {
    planted = Objects.requireNonNull(broken);
    try {
      run.run();
    } finally {
      planted = null;
    }
  }
}
