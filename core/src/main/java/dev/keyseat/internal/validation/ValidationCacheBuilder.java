package dev.keyseat.internal.validation;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Clock;
import java.util.Objects;

/**
 * The {@link CachedKeyValidatorBuilder} that {@code Keyseat.validator()} returns: the settings of
 * the API builder, plus what the validator needs from its {@code Keyseat}, given here rather than
 * reached for.
 */
public final class ValidationCacheBuilder extends CachedKeyValidatorBuilder {
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Clock clock;
  private final CommitStream commits;

  /**
   * @param store where keys are looked up and usage is written
   * @param format the key format, for the checksum gate
   * @param hasher hashes presented keys as the store holds them
   * @param clock the management clock: expiry and overlaps, and the default ticker's source
   * @param commits this JVM's commits, which invalidate the cache at once
   */
  public ValidationCacheBuilder(KeyStore store, KeyFormat format, KeyHasher hasher, Clock clock, CommitStream commits) {
    this.store = Objects.requireNonNull(store, "store");
    this.format = Objects.requireNonNull(format, "format");
    this.hasher = Objects.requireNonNull(hasher, "hasher");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.commits = Objects.requireNonNull(commits, "commits");
  }

  @Override
  protected CachedKeyValidator create() {
    if (rateLimitPeriodSetting() != null && !KeyRateLimiter.bucket4jPresent()) {
      throw new IllegalStateException("rateLimit() needs Bucket4j: add the dependency"
          + " com.bucket4j:bucket4j_jdk17-core to the application");
    }
    Ticker ticker = tickerSetting();
    ValidatorScheduler scheduler = schedulerSetting();
    CacheSettings settings = new CacheSettings(maximumSizeSetting(), preloadAllKeysSetting(),
        negativeEntryTtlSetting(), feedPollIntervalSetting(), maxStalenessSetting(), storeLookupsPerSecondSetting(),
        usageFlushIntervalSetting(), rateLimitRequestsSetting(), rateLimitPeriodSetting(), metricsSetting(),
        ticker != null ? ticker : defaultTicker(clock),
        scheduler != null ? scheduler : new DaemonScheduler());
    return new ValidationCache(settings, store, format, hasher, clock, commits);
  }

  /** A system clock gets the system ticker; any other clock (a test's) drives the ticker too. */
  static Ticker defaultTicker(Clock clock) {
    return clock.getClass() == Clock.systemUTC().getClass() ? Ticker.system() : Ticker.of(clock);
  }
}
