package dev.keyseat.internal.validation;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.spi.SharedRateLimiter;
import dev.keyseat.validation.RateLimitMode;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@link CachedKeyValidatorBuilder} that {@code Keyseat.validator()} returns: the settings of
 * the API builder, plus what the validator needs from its {@code Keyseat}, given here rather than
 * reached for.
 */
public final class ValidationCacheBuilder extends CachedKeyValidatorBuilder {
  private final Parts parts;
  private final OpenValidators open;
  /** Tests only: the hot path's time, stepped by hand. */
  private @Nullable CoarseTicker time;

  /**
   * What a validator needs from its {@code Keyseat}.
   *
   * @param store where keys are looked up and usage is written
   * @param format the key format, for the checksum gate
   * @param hasher hashes presented keys as the store holds them
   * @param clock the management clock: expiry and overlaps, and the default ticker's source
   * @param commits this JVM's commits, which invalidate the cache at once
   */
  record Parts(KeyStore store, KeyFormat format, KeyHasher hasher, Clock clock, CommitStream commits) {}

  /**
   * @param store where keys are looked up and usage is written
   * @param format the key format, for the checksum gate
   * @param hasher hashes presented keys as the store holds them
   * @param clock the management clock: expiry and overlaps, and the default ticker's source
   * @param commits this JVM's commits, which invalidate the cache at once
   * @param open the Keyseat's open validators: each validator built joins them until it closes
   */
  public ValidationCacheBuilder(KeyStore store, KeyFormat format, KeyHasher hasher, Clock clock, CommitStream commits,
      OpenValidators open) {
    this.parts = new Parts(Objects.requireNonNull(store, "store"), Objects.requireNonNull(format, "format"),
        Objects.requireNonNull(hasher, "hasher"), Objects.requireNonNull(clock, "clock"),
        Objects.requireNonNull(commits, "commits"));
    this.open = Objects.requireNonNull(open, "open");
  }

  @Override
  protected CachedKeyValidator create(Settings settings) {
    Duration period = settings.rateLimitPeriod();
    SharedRateLimiter shared = null;
    if (period != null && settings.rateLimitMode() == RateLimitMode.CLUSTER) {
      try {
        shared = parts.store().sharedRateLimiter(settings.rateLimitRequests(), period);
      } catch (UnsupportedOperationException e) {
        throw new IllegalStateException("rateLimitMode(CLUSTER) needs a store that holds shared rate limits"
            + " (the JDBC store on PostgreSQL): " + e.getMessage(), e);
      }
    } else if (period != null && !KeyRateLimiter.bucket4jPresent()) {
      throw new IllegalStateException("rateLimit() needs Bucket4j: add the dependency"
          + " com.bucket4j:bucket4j_jdk17-core to the application");
    }
    Ticker chosen = settings.ticker();
    Ticker ticker = chosen != null ? chosen : defaultTicker(parts.clock());
    CoarseTicker given = time;
    CoarseTicker hotPathTime = given != null ? given
        : ticker == Ticker.system() ? CoarseTicker.system() : CoarseTicker.precise(ticker);
    ValidatorScheduler scheduler = settings.scheduler();
    ValidationCache validator = new ValidationCache(settings, hotPathTime,
        scheduler != null ? scheduler : new DaemonScheduler(), parts, shared, open::forget);
    open.add(validator);
    return validator;
  }

  /**
   * Tests only: the validator reads its time from {@code time} (whose helpers the test steps or
   * starts) instead of choosing one from the ticker setting.
   *
   * @param time the hot path's time
   * @return this builder
   */
  ValidationCacheBuilder time(CoarseTicker time) {
    this.time = time;
    return this;
  }

  /** A system clock gets the system ticker; any other clock (a test's) drives the ticker too. */
  static Ticker defaultTicker(Clock clock) {
    return clock.getClass() == Clock.systemUTC().getClass() ? Ticker.system() : Ticker.of(clock);
  }
}
