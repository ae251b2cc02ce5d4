package dev.keyseat.internal.validation;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The verdict logic, in one place: what a stored key means for a presented hash at an instant.
 * Every validator answers through it, so that all answer alike and none calls another.
 */
final class Verdicts {
  private Verdicts() {}

  /**
   * The verdict for a presented key whose hash matched {@code key}'s current or previous hash.
   * Shared by every validator so that all answer alike.
   */
  static Verdict judge(StoredKey key, KeyHash presented, @Nullable String deviceSerial, Instant now) {
    Verdict valid = Verdict.of(Status.VALID, key.accountId(), key.deviceSerial(), key.id());
    if (!key.hash().equals(presented)) {
      if (!presented.equals(key.previousHash())) {
        return Verdict.UNKNOWN;
      }
      if (!now.isBefore(key.previousValidUntil())) {
        return valid.withStatus(Status.REVOKED);
      }
    }
    if (key.suspended()) {
      return valid.withStatus(Status.SUSPENDED);
    }
    if (key.expiresAt() != null && !now.isBefore(key.expiresAt())) {
      return valid.withStatus(Status.EXPIRED);
    }
    return forDevice(valid, deviceSerial);
  }

  /**
   * The last step of {@link #judge}, which caching validators apply per request: a valid key bound
   * to another device than the one the request names is {@link Status#DEVICE_MISMATCH}.
   */
  static Verdict forDevice(Verdict verdict, @Nullable String deviceSerial) {
    if (verdict.isValid() && deviceSerial != null && !deviceSerial.equals(verdict.deviceSerial())) {
      return verdict.withStatus(Status.DEVICE_MISMATCH);
    }
    return verdict;
  }

  /**
   * @param verdict the verdict of a filled index entry or preloaded record
   * @return it, known to be there: every entry in an index is filled; only a probe has none
   * @throws IllegalStateException if it is a probe's (null)
   */
  static Verdict filled(@Nullable Verdict verdict) {
    if (verdict == null) {
      throw new IllegalStateException("a probe has no verdict");
    }
    return verdict;
  }
}
