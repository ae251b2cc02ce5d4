package dev.keyseat.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyStore.Capability;

/**
 * The suites' reading of {@link KeyStore#capabilities()}: a test of an optional part of the SPI
 * runs only for a store that declares it, and is otherwise skipped with a reason that starts with
 * {@link #SKIPPED_BY_DECLARATION}, so the run's summary lists it as skipped, never as an error.
 */
final class Declared {
  /** How every reason of a test skipped for an undeclared capability begins. */
  static final String SKIPPED_BY_DECLARATION = "skipped by declaration: ";

  private Declared() {}

  /**
   * Skips the running test unless {@code store} declares {@code capability}.
   *
   * @param store the store under test
   * @param capability what the test needs
   * @param storeName the store's name for the reason
   */
  static void require(KeyStore store, Capability capability, String storeName) {
    assumeTrue(store.capabilities().contains(capability),
        () -> SKIPPED_BY_DECLARATION + storeName + " does not declare " + capability);
  }

  /**
   * The default {@code storeName()} of a suite: its concrete class's simple name, with the
   * enclosing class for a nested one ({@code MyStoreTest.OnH2}).
   *
   * @param suite the running suite
   * @return the name
   */
  static String nameOf(Object suite) {
    Class<?> c = suite.getClass();
    String name = c.getSimpleName().isEmpty() ? c.getName() : c.getSimpleName();
    for (Class<?> outer = c.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass()) {
      name = outer.getSimpleName() + "." + name;
    }
    return name;
  }
}
