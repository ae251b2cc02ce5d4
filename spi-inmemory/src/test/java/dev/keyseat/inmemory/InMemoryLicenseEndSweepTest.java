package dev.keyseat.inmemory;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.LicenseEndSweepContract;

/** The testkit's license end sweep contract on the in-memory store. */
class InMemoryLicenseEndSweepTest extends LicenseEndSweepContract {
  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }
}
