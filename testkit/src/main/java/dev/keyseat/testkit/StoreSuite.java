package dev.keyseat.testkit;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.spi.KeyStore;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.DisplayNameGeneration;

/**
 * What the kit's suites over a store share: the store's name in messages, reports named by {@link
 * StoreDisplayNames}, the operator, administrator and accounts most tests use, and the test's
 * clock. Extend a suite ({@link KeyStoreContract}, {@link KeyManagerContract}, {@link
 * CachedValidatorContract}, {@link KeyEventsContract}, {@link LicenseEndSweepContract}, {@link
 * KeyManagerConcurrencyContract}), not this class; each suite asks for the store with its own
 * {@code createStore()}.
 */
@DisplayNameGeneration(StoreDisplayNames.class)
public abstract class StoreSuite {
  /** The platform operator. */
  protected static final Actor OPERATOR = Actor.operator("ops");
  /** The administrator of {@link #ACME}. */
  protected static final Actor ADMIN = Actor.user("alice");
  /** The account most tests use. */
  protected static final AccountId ACME = AccountId.of("acme");
  /** A second account, for cross-account rules. */
  protected static final AccountId GLOBEX = AccountId.of("globex");

  /**
   * The test's clock, starting at 2026-01-01T00:00:00Z; move it with {@link MutableClock#advance}.
   * The suite sets it before every test, before it asks for the store: a store with a time source of
   * its own (the feed purge's) must use this clock, which the tests move.
   */
  protected MutableClock clock;

  /** Only the kit's suites extend this class. */
  StoreSuite() {}

  /**
   * Returns the store under test. Called before every test, after {@link #clock} is set: a store
   * with a time source of its own (the feed purge's) must use that clock, which the tests move. A
   * suite that needs more of the store says so where it declares this method again.
   *
   * @return a new store holding no account, no key and no change-feed event
   */
  protected abstract KeyStore createStore();

  /** @return the store of {@link #createStore()}, asked for on a fresh {@link #clock} */
  final KeyStore freshStore() {
    clock = new MutableClock();
    return Objects.requireNonNull(createStore(), "createStore() returned null");
  }

  /**
   * The store's name in skip reasons and failure messages; reports are named by {@link
   * StoreDisplayNames}.
   *
   * @return the name, by default the test class's simple name (with its enclosing classes)
   */
  protected String storeName() {
    return Declared.nameOf(this);
  }

  /**
   * @param name the threads' name
   * @return a pool of daemon threads for a suite's concurrent work, shut down by the suite
   */
  static ExecutorService daemonPool(String name) {
    return Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }
}
