package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.CachedValidatorContract;

/** The in-memory store passes the cached-validator contract unchanged. */
class InMemoryCachedValidatorTest extends CachedValidatorContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
