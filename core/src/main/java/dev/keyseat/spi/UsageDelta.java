package dev.keyseat.spi;

import dev.keyseat.KeyId;
import java.time.Instant;
import java.util.Objects;

/**
 * Coalesced usage of one key since the last flush. A store keeps the greatest last-used time and
 * adds the count. Deltas for keys that no longer exist are ignored.
 *
 * @param keyId the key
 * @param lastUsedAt latest validation time in this batch
 * @param count number of validations in this batch, positive
 */
public record UsageDelta(KeyId keyId, Instant lastUsedAt, long count) {
  /**
   * Checks components.
   *
   * @param keyId the key
   * @param lastUsedAt latest validation time in this batch
   * @param count number of validations in this batch, positive
   */
  public UsageDelta {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    if (count <= 0) {
      throw new IllegalArgumentException("count must be positive");
    }
  }
}
