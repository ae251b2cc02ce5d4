package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.KeyEventsContract;

/** The testkit's events contract on the in-memory store. */
class InMemoryKeyEventsTest extends KeyEventsContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
