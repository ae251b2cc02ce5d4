package dev.keyseat.internal.validation;

import dev.keyseat.KeyId;
/** A per-key rate limit. Its one implementation uses Bucket4j, loaded only when configured. */
interface KeyRateLimiter {

  /**
   * Takes one request from the key's allowance.
   *
   * @return 0 if allowed, otherwise the nanoseconds until a request would be allowed
   */
  long tryAcquire(KeyId keyId);

  static boolean bucket4jPresent() {
    try {
      Class.forName("io.github.bucket4j.Bucket", false, KeyRateLimiter.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
