package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.QuotaPropertiesContract;

/** The property-based quota suite on the in-memory store. */
class InMemoryQuotaPropertiesTest extends QuotaPropertiesContract {

  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
