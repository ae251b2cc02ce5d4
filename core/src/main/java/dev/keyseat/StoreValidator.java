package dev.keyseat;

import dev.keyseat.Verdict.Status;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validation straight from the store, one lookup per call: the reference semantics of every
 * verdict, for tests and low rates. Gateways use the cached validator.
 */
final class StoreValidator implements KeyValidator {
  private static final Logger log = LoggerFactory.getLogger(KeyValidator.class);
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Clock clock;

  StoreValidator(KeyStore store, KeyFormat format, KeyHasher hasher, Clock clock) {
    this.store = store;
    this.format = format;
    this.hasher = hasher;
    this.clock = clock;
  }

  @Override
  public Verdict validate(String key) {
    return validate(key, null);
  }

  @Override
  public Verdict validate(String key, String deviceSerial) {
    if (!format.isWellFormed(key)) {
      return Verdict.MALFORMED;
    }
    try {
      KeyHash hash = hasher.hash(key);
      Optional<StoredKey> found = store.findKeyByHash(hash);
      if (found.isEmpty()) {
        return Verdict.UNKNOWN;
      }
      Instant now = clock.instant();
      Verdict verdict = judge(found.get(), hash, deviceSerial, now);
      if (verdict.isValid()) {
        store.recordUsage(List.of(new UsageDelta(verdict.keyId(), now, 1)));
      }
      return verdict;
    } catch (RuntimeException e) {
      log.warn("key validation could not reach the store: {}", e.toString());
      return Verdict.UNAVAILABLE;
    }
  }

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
}
