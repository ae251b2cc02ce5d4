package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.AuditEntry;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.testkit.ForwardingKeyStore;
import dev.keyseat.testkit.QuotaCommand;
import dev.keyseat.testkit.QuotaPropertiesContract;
import dev.keyseat.testkit.QuotaScenario;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The quota suite is only worth running if it fails on a broken store: each test plants one bug
 * in the in-memory store and expects the suite to report the invariant it breaks, with the shrunk
 * command sequence.
 */
class QuotaPropertiesCatchBrokenStoresTest {

  @Test
  void aStoreThatUndercountsKeysBreaksConservation() {
    assertCaught(() -> PlantedBugs.withBug("keyCount", (tx, args) -> Math.max(0, tx.keyCount() - 1)),
        "[R3 conservation]", "[R1 quota]");
  }

  @Test
  void aStoreWhoseValidationIndexKeepsDeadSecretsIsCaught() {
    assertCaught(StaleIndexStore::new, "[R5 delete frees]", "[R6 regenerate]", "[R10 device leaves]");
  }

  @Test
  void aStoreThatDropsRefusalsFromTheAuditLogBreaksTheAuditRule() {
    assertCaught(() -> PlantedBugs.withBug("appendAudit", (tx, args) -> {
      AuditEntry entry = (AuditEntry) args[0];
      if (entry.outcome() == AuditEntry.Outcome.SUCCESS) {
        tx.appendAudit(entry);
      }
      return null;
    }), "[R12 audit]");
  }

  @Test
  void aStoreThatForgetsMemberRemovalsBreaksTheRoleRule() {
    assertCaught(() -> PlantedBugs.withBug("removeMember", (tx, args) -> null), "[R8 roles]");
  }

  @Test
  void aStoreThatKeepsDissociatedDevicesBreaksDeviceLeaves() {
    assertCaught(() -> PlantedBugs.withBug("deleteDevice", (tx, args) -> null), "[R10 device leaves]");
  }

  private static final String FAULT = "[R4/R12 a call failing inside its transaction leaves nothing]";
  /**
   * A batch of two keys whose transaction fails at its 4th write: after both keys are inserted
   * (set-based creation writes the batch's keys first), at its first audit entry.
   */
  private static final QuotaScenario FAILING_BATCH = new QuotaScenario(3, List.of(new QuotaCommand.FailingWrite(4,
      new QuotaCommand.CreateKeys(QuotaCommand.Who.ALICE, List.of("D0", "D1"), "", null))));

  /** Fault injection: a batch half written when the store fails at a later write stays. */
  @Test
  void aNonAtomicBatchIsCaughtByFaultInjection() {
    assertScenarioCaught(PlantedBugs::nonAtomicBatch, FAILING_BATCH, FAULT, "the call that failed inside its"
        + " transaction changed the account");
    // random sequences catch it too: by fault injection, or by the ends a refused call applied
    assertCaught(PlantedBugs::nonAtomicBatch, FAULT, "[R4 failed batch changed nothing]", "[R12 audit]",
        "[R9 license grants agree with the model]", "[R8 roles (non-admins never change anything)]");
  }

  /** Fault injection: the audit entries of a transaction that failed are kept. */
  @Test
  void auditEntriesSurvivingARollbackAreCaughtByFaultInjection() {
    assertScenarioCaught(PlantedBugs::auditSurvivingRollback, FAILING_BATCH, FAULT, "unexpected [AuditEntry");
    assertCaught(PlantedBugs::auditSurvivingRollback, FAULT, "[R12 audit]");
  }

  /** The in-memory store passes the scenario that catches the two bugs above. */
  @Test
  void theRealStorePassesTheFailingBatchScenario() {
    suiteOver(InMemoryKeyStore::new).checkScenario(FAILING_BATCH);
  }

  private static void assertScenarioCaught(Supplier<KeyStore> broken, QuotaScenario scenario, String rule,
      String detail) {
    assertThatThrownBy(() -> suiteOver(broken).checkScenario(scenario))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(rule + " broken at step 1")
        .hasMessageContaining(detail)
        .hasMessageContaining("failed at appendAudit (write 4)");
  }

  private static QuotaPropertiesContract suiteOver(Supplier<KeyStore> store) {
    return new QuotaPropertiesContract() {
      @Override
      protected KeyStore createStore() {
        return store.get();
      }
    };
  }

  @Test
  void serialsUniquePerAccountBreakTheDeviceRule() {
    assertCaught(PlantedBugs::perAccountSerials, "[R2 device in account]");
  }

  private static void assertCaught(Supplier<KeyStore> brokenStore, String... anyOfRules) {
    QuotaPropertiesContract suite = new QuotaPropertiesContract() {
      @Override
      protected KeyStore createStore() {
        return brokenStore.get();
      }

      @Override
      protected int examples() {
        return 300;
      }

      @Override
      protected int shrinkRuns() {
        return 300;
      }
    };
    assertThatThrownBy(suite::quotaRulesHoldForRandomCommandSequences)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Smallest failing sequence: acme starts with")
        .hasMessageContaining("   1. ")
        .hasMessageContaining("later commands played no part")
        .hasMessageContaining("BROKEN HERE")
        .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).containsAnyOf(anyOfRules));
  }

  /** Remembers every key it ever stored and still finds it by hash after it was deleted. */
  private static final class StaleIndexStore extends ForwardingKeyStore {
    private final Map<KeyHash, StoredKey> seen;

    StaleIndexStore() {
      this(new ConcurrentHashMap<>());
    }

    private StaleIndexStore(Map<KeyHash, StoredKey> seen) {
      super(new InMemoryKeyStore(), PlantedBugs.planting("insertKey", (tx, args) -> {
        StoredKey key = (StoredKey) args[0];
        seen.put(key.hash(), key);
        return tx.insertKey(key);
      }));
      this.seen = seen;
    }

    @Override
    public Optional<StoredKey> findKeyByHash(KeyHash hash) {
      Optional<StoredKey> found = super.findKeyByHash(hash);
      return found.isPresent() ? found : Optional.ofNullable(seen.get(hash));
    }
  }
}
