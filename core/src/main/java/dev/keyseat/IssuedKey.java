package dev.keyseat;

import java.util.Objects;

/**
 * A key just created or regenerated, with its plaintext secret. This is the only time the secret
 * is returned (unless a {@link SecretVault} is configured). {@link #toString()} hides the secret.
 *
 * @param key the key row
 * @param secret the plaintext secret
 */
public record IssuedKey(ApiKey key, Secret secret) {
  /**
   * Checks that no component is null.
   *
   * @param key the key row
   * @param secret the plaintext secret
   */
  public IssuedKey {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(secret, "secret");
  }
}
