package dev.keyseat.testkit;

import dev.keyseat.AccountId;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.KeyStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The property suite's wrapper of the store under test: armed with a write number, the next
 * transaction fails with {@link StoreUnavailableException} at that write (before it is made), as a
 * database would fail mid-transaction. The store must then roll back everything the transaction
 * wrote; {@link QuotaMachine} checks that nothing of the failed call remains. Unarmed, every call
 * passes through. Used by one scenario thread at a time.
 */
final class FaultInjectingKeyStore extends ForwardingKeyStore {
  /** The writing methods of {@link AccountTransaction}; the others only read. */
  static final Set<String> WRITES = Set.of("insertAccount", "updateAccount", "putMember", "removeMember",
      "insertDevice", "updateDevice", "deleteDevice", "insertKey", "updateKey", "deleteKey", "insertLicense",
      "updateLicense", "putLicensePolicy", "putSeatLedger", "appendAudit", "appendChange");

  private int failAt;
  private @Nullable String injected;

  FaultInjectingKeyStore(KeyStore delegate) {
    super(delegate);
  }

  /**
   * Makes the next transaction fail at its {@code atWrite}-th write; the transactions after it
   * (the refusal's audit entry, reads) pass.
   *
   * @param atWrite 1 for the first write, ...
   */
  void arm(int atWrite) {
    if (atWrite < 1) {
      throw new IllegalArgumentException("atWrite must be at least 1");
    }
    failAt = atWrite;
    injected = null;
  }

  /** Stops a failure that did not happen yet from happening. */
  void disarm() {
    failAt = 0;
  }

  /** Disarms and forgets the last failure: a new step starts. */
  void reset() {
    failAt = 0;
    injected = null;
  }

  /** @return the write that failed since {@link #arm}, e.g. {@code "insertKey (write 2)"}, or null */
  @Nullable String injected() {
    return injected;
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    int at = failAt;
    if (at == 0) {
      return super.inAccount(accountId, work);
    }
    failAt = 0; // only the call's own transaction fails
    return super.inAccount(accountId, tx -> work.run(failing(tx, at)));
  }

  /** A transaction that fails at its {@code at}-th write; counted afresh if the store runs the work again. */
  private AccountTransaction failing(AccountTransaction tx, int at) {
    int[] writes = {0};
    return (AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
        new Class<?>[] {AccountTransaction.class}, (proxy, m, args) -> {
          if (WRITES.contains(m.getName()) && ++writes[0] == at) {
            injected = m.getName() + " (write " + at + ")";
            throw new StoreUnavailableException("injected store failure at write " + at + " of the transaction ("
                + m.getName() + ")");
          }
          try {
            return m.invoke(tx, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
