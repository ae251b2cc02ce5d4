package dev.keyseat.internal.validation;

import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.Verdict;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validation straight from the store, one lookup and one usage write per call, for tests and low
 * rates; gateways use the {@link ValidationCache}. Both answer through {@link Verdicts}.
 */
public final class StoreLookupValidator implements KeyValidator {
  private static final Logger log = LoggerFactory.getLogger(KeyValidator.class);
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Clock clock;

  /**
   * @param store asked on every call
   * @param format the key format of the {@code Keyseat}
   * @param hasher hashes keys as the store holds them
   * @param clock decides expiry and overlaps
   */
  public StoreLookupValidator(KeyStore store, KeyFormat format, KeyHasher hasher, Clock clock) {
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
  public Verdict validate(String key, @Nullable String deviceSerial) {
    if (!format.isWellFormed(key) && !format.isLegacyShaped(key)) {
      return Verdict.MALFORMED;
    }
    try {
      KeyHash hash = hasher.hash(key);
      Optional<StoredKey> found = store.findKeyByHash(hash);
      if (found.isEmpty()) {
        return Verdict.UNKNOWN;
      }
      Instant now = clock.instant();
      Verdict verdict = Verdicts.judge(found.get(), hash, deviceSerial, now);
      if (verdict.isValid()) {
        store.recordUsage(List.of(new UsageDelta(Objects.requireNonNull(verdict.keyId()), now, 1)));
      }
      return verdict;
    } catch (RuntimeException e) {
      log.warn("key validation could not reach the store: {}", e.toString());
      return Verdict.UNAVAILABLE;
    }
  }
}
