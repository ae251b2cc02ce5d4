package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyStoreContract;

/** The store contract suite, unchanged, against a fresh {@link InMemoryKeyStore}. */
class InMemoryKeyStoreContractTest extends KeyStoreContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
