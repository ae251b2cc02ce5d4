package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.AuditEntry;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.testkit.ForwardingKeyStore;
import dev.keyseat.testkit.QuotaPropertiesContract;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The quota suite is only worth running if it fails on a broken store: each test plants one bug
 * in the in-memory store and expects the suite to report the invariant it breaks, with the shrunk
 * command sequence.
 */
class QuotaPropertiesCatchBrokenStoresTest {

  @Test
  void aStoreThatUndercountsKeysBreaksConservation() {
    assertCaught(() -> withBug("keyCount", (tx, args) -> Math.max(0, tx.keyCount() - 1)),
        "[R3 conservation]", "[R1 quota]");
  }

  @Test
  void aStoreWhoseValidationIndexKeepsDeadSecretsIsCaught() {
    assertCaught(StaleIndexStore::new, "[R5 delete frees]", "[R6 regenerate]", "[R10 device leaves]");
  }

  @Test
  void aStoreThatDropsRefusalsFromTheAuditLogBreaksTheAuditRule() {
    assertCaught(() -> withBug("appendAudit", (tx, args) -> {
      AuditEntry entry = (AuditEntry) args[0];
      if (entry.outcome() == AuditEntry.Outcome.SUCCESS) {
        tx.appendAudit(entry);
      }
      return null;
    }), "[R12 audit]");
  }

  @Test
  void aStoreThatForgetsMemberRemovalsBreaksTheRoleRule() {
    assertCaught(() -> withBug("removeMember", (tx, args) -> null), "[R8 roles]");
  }

  @Test
  void aStoreThatKeepsDissociatedDevicesBreaksDeviceLeaves() {
    assertCaught(() -> withBug("deleteDevice", (tx, args) -> null), "[R10 device leaves]");
  }

  /** What a planted bug does instead of one method of the real transaction. */
  @FunctionalInterface
  private interface Bug {
    Object instead(AccountTransaction real, Object[] args);
  }

  /** @return the in-memory store whose transactions run {@code bug} instead of {@code method} */
  private static KeyStore withBug(String method, Bug bug) {
    return new ForwardingKeyStore(new InMemoryKeyStore(), planting(method, bug));
  }

  /**
   * @return a wrapper of transactions that passes every call to the real transaction except those
   *     of {@code method}, which {@code bug} answers
   */
  private static UnaryOperator<AccountTransaction> planting(String method, Bug bug) {
    if (Arrays.stream(AccountTransaction.class.getMethods()).noneMatch(m -> m.getName().equals(method))) {
      throw new IllegalArgumentException("AccountTransaction has no method " + method);
    }
    return tx -> (AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
        new Class<?>[] {AccountTransaction.class}, (proxy, m, args) -> {
          if (m.getName().equals(method)) {
            return bug.instead(tx, args);
          }
          try {
            return m.invoke(tx, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
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
      super(new InMemoryKeyStore(), planting("insertKey", (tx, args) -> {
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
