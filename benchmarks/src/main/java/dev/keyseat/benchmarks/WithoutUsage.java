package dev.keyseat.benchmarks;

import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.testkit.ForwardingKeyStore;
import java.util.Collection;

/**
 * A store with usage writes dropped, for validators that read many keys once: writing their usage
 * would grow the in-memory store (not the cache being measured) or update as many rows of a table
 * between trials, leaving work for VACUUM and dirty pages that slow the next lookups. Usage
 * flushing is not what these benchmarks measure.
 */
class WithoutUsage extends ForwardingKeyStore {

  WithoutUsage(KeyStore store) {
    super(store);
  }

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    // dropped
  }
}
