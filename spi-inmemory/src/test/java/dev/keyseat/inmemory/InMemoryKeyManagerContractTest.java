package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyManagerContract;

/** The domain rules R1–R13 over the in-memory store. */
class InMemoryKeyManagerContractTest extends KeyManagerContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
