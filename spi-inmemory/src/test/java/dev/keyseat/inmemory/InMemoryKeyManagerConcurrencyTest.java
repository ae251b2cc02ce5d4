package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyManagerConcurrencyContract;

/** The KeyManager fuzz test, unchanged, against a fresh {@link InMemoryKeyStore}. */
class InMemoryKeyManagerConcurrencyTest extends KeyManagerConcurrencyContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
