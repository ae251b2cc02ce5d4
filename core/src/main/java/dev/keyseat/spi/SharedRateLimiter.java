package dev.keyseat.spi;

import dev.keyseat.KeyId;
import dev.keyseat.StoreUnavailableException;

/**
 * A per-key rate limit held in the store's shared storage, so that every node sharing it draws on
 * one allowance per key ({@code RateLimitMode.CLUSTER}). Obtained from {@link
 * KeyStore#sharedRateLimiter}, configured once with the limit; thread-safe.
 */
@FunctionalInterface
public interface SharedRateLimiter {

  /**
   * Takes one request from the key's allowance, on every node at once: each call is one round
   * trip to the shared storage.
   *
   * @param keyId the key presented
   * @return 0 if the request is admitted, otherwise the nanoseconds until one would be (at least 1)
   * @throws StoreUnavailableException if the storage fails; the validator then answers
   *     {@code UNAVAILABLE} (fails closed)
   */
  long tryAcquire(KeyId keyId);
}
