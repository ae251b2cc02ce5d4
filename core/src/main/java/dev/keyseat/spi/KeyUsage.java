package dev.keyseat.spi;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Recorded usage of one key.
 *
 * @param lastUsedAt latest recorded validation, or null if never used
 * @param useCount total recorded validations
 */
public record KeyUsage(@Nullable Instant lastUsedAt, long useCount) {
  /** Never used. */
  public static final KeyUsage NONE = new KeyUsage(null, 0);
}
