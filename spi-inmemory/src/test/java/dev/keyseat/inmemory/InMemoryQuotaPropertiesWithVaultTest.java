package dev.keyseat.inmemory;

import dev.keyseat.Keyseat;
import dev.keyseat.SecretVault;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.QuotaPropertiesContract;
import java.nio.charset.StandardCharsets;
import javax.crypto.spec.SecretKeySpec;

/**
 * The quota suite on the in-memory store with a configuration that changes the secrets: another
 * key prefix, a pepper, and a secret vault (so that "copy" works and the store holds sealed
 * secrets).
 */
class InMemoryQuotaPropertiesWithVaultTest extends QuotaPropertiesContract {

  @Override
  protected KeyStore createStore() {
    return new InMemoryKeyStore();
  }

  @Override
  protected Keyseat.Builder configure(Keyseat.Builder builder) {
    byte[] aes = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    return builder
        .keyPrefix("acme")
        .pepper("a pepper of at least sixteen bytes".getBytes(StandardCharsets.US_ASCII))
        .secretVault(SecretVault.aesGcm(new SecretKeySpec(aes, "AES")));
  }

  @Override
  protected int examples() {
    return 200;
  }
}
