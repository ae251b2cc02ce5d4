package dev.keyseat.validation;

import dev.keyseat.spi.SettingRanges;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link CachedKeyValidator}; obtain one from {@link dev.keyseat.Keyseat#validator()}.
 * Every setter checks its argument at once and says what is wrong; a setting that contradicts one
 * set before it is refused by the setter that causes the contradiction, naming both. A
 * contradiction with a default is refused by {@link #build()}, likewise naming both.
 *
 * <p>The builder holds settings only: {@link dev.keyseat.Keyseat} supplies the implementation,
 * which {@link #build()} creates from them. Not thread-safe; a builder may build several
 * validators.
 *
 * <p><b>Time.</b> The validator measures durations (staleness, negative entries, cached expiry,
 * the lookup budget) with a {@link Ticker}. Unless {@link #ticker(Ticker)} sets one, a
 * {@link dev.keyseat.Keyseat} built with a non-system {@code clock(...)} drives that ticker too:
 * moving a test's clock past {@link #maxStaleness(Duration)} makes every well-formed key
 * {@link Verdict.Status#UNAVAILABLE} unless the feed poller runs (through a {@link
 * ValidatorScheduler} such as testkit's {@code ManualScheduler}, whose {@code advance} moves the
 * clock and runs the poller, or {@code runNow("feed-poller")}). To move the management clock
 * (expiry, overlaps) without touching the validator's sense of staleness, give the validator its
 * own {@link #ticker(Ticker)}.
 */
public abstract class CachedKeyValidatorBuilder {
  /** Default {@link #maximumSize}. */
  public static final long DEFAULT_MAXIMUM_SIZE = 100_000;
  /** Default {@link #negativeEntryTtl}. */
  public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofMinutes(1);
  /** Default {@link #feedPollInterval}. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  /** Default {@link #maxStaleness}. */
  public static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(30);
  /** Default {@link #storeLookupsPerSecond}. */
  public static final int DEFAULT_LOOKUPS_PER_SECOND = 1000;
  /** Default {@link #usageFlushInterval}. */
  public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(10);
  private static final Duration MIN_DURATION = Duration.ofMillis(1);
  private static final Duration ONE_DAY = Duration.ofDays(1);

  private long maximumSize = DEFAULT_MAXIMUM_SIZE;
  private boolean maximumSizeSet;
  private Duration negativeTtl = DEFAULT_NEGATIVE_TTL;
  /** Null until set: the default. */
  private @Nullable Duration pollInterval;
  /** Null until set: the default. */
  private @Nullable Duration maxStaleness;
  private int lookupsPerSecond = DEFAULT_LOOKUPS_PER_SECOND;
  private boolean preload;
  private Duration flushInterval = DEFAULT_FLUSH_INTERVAL;
  private long rateLimitRequests;
  private @Nullable Duration rateLimitPeriod;
  private ValidatorMetrics metrics = ValidatorMetrics.NONE;
  private @Nullable Ticker ticker;
  private @Nullable ValidatorScheduler scheduler;
  private boolean changeNotifications = true;
  private RateLimitMode rateLimitMode = RateLimitMode.LOCAL;

  /** For the implementation that {@link dev.keyseat.Keyseat} supplies. */
  protected CachedKeyValidatorBuilder() {}

  /**
   * @param size the most keys (known and unknown) the cache holds; the least valuable are
   *     evicted beyond it (default 100,000; about 220 bytes each, plus the id and serial of each
   *     key when the store reads them from rows)
   * @return this builder
   * @throws IllegalArgumentException if {@code size} is not positive
   * @throws IllegalStateException if {@link #preloadAllKeys()} was called: a preloaded cache
   *     holds every key and has no maximum
   */
  public CachedKeyValidatorBuilder maximumSize(long size) {
    SettingRanges.requirePositive("maximum size", size);
    if (preload) {
      throw preloadClash(size);
    }
    this.maximumSize = size;
    this.maximumSizeSet = true;
    return this;
  }

  /**
   * @param ttl how long an unknown hash is remembered as unknown, so that repeats of one
   *     made-up key cost no store lookup (default 1 minute, at most 1 day). A key created later
   *     with that hash is learned from the change feed regardless.
   * @return this builder
   * @throws IllegalArgumentException if {@code ttl} is shorter than 1 ms or longer than 1 day
   */
  public CachedKeyValidatorBuilder negativeEntryTtl(Duration ttl) {
    this.negativeTtl = between("negative entry TTL", ttl, MIN_DURATION, ONE_DAY);
    return this;
  }

  /**
   * @param interval how often the store's change feed is read for changes made by other nodes
   *     (default 1 second, at most 1 hour): the bound on how long another node's deletion or
   *     regeneration may still be accepted here
   * @return this builder
   * @throws IllegalArgumentException if {@code interval} is shorter than 1 ms or longer than 1
   *     hour
   * @throws IllegalStateException if {@link #maxStaleness} was set to no more than
   *     {@code interval}
   */
  public CachedKeyValidatorBuilder feedPollInterval(Duration interval) {
    Duration checked = between("feed poll interval", interval, MIN_DURATION, Duration.ofHours(1));
    requireStalenessExceedsPoll(maxStaleness, checked);
    this.pollInterval = checked;
    return this;
  }

  /**
   * @param staleness how long cached answers are served while the change feed cannot be read
   *     (default 30 seconds, at most 1 day); after it, well-formed keys are
   *     {@link Verdict.Status#UNAVAILABLE} until the feed is back. Must exceed the poll
   *     interval.
   * @return this builder
   * @throws IllegalArgumentException if {@code staleness} is shorter than 1 ms or longer than 1
   *     day
   * @throws IllegalStateException if {@link #feedPollInterval} was set to {@code staleness} or
   *     more
   */
  public CachedKeyValidatorBuilder maxStaleness(Duration staleness) {
    Duration checked = between("maximum staleness", staleness, MIN_DURATION, ONE_DAY);
    requireStalenessExceedsPoll(checked, pollInterval);
    this.maxStaleness = checked;
    return this;
  }

  /**
   * @param lookups the most store lookups cache misses may cause per second, in bursts of at
   *     most this many (default 1,000). Misses beyond it are answered
   *     {@link Verdict.Status#UNAVAILABLE} without a lookup. With a store that lists its keys
   *     ({@link dev.keyseat.spi.KeyStore.Capability#LISTS_KEYS}), the validator knows four bytes of
   *     every stored hash: a key whose hash matches none may use the budget only while a quarter
   *     of it remains for the others, and past that is answered {@link Verdict.Status#UNKNOWN}
   *     without a lookup, so that a flood of made-up keys never delays a real one.
   * @return this builder
   * @throws IllegalArgumentException if {@code lookups} is not positive
   */
  public CachedKeyValidatorBuilder storeLookupsPerSecond(int lookups) {
    SettingRanges.requirePositive("store lookups per second", lookups);
    this.lookupsPerSecond = lookups;
    return this;
  }

  /**
   * Loads every key of the store when the validator is built and keeps them all (the cache is
   * then unbounded), so that unknown keys are answered {@link Verdict.Status#UNKNOWN} without
   * any store lookup. Changes are applied by re-reading the changed keys. Needs a store that
   * implements {@link dev.keyseat.spi.KeyStore#forEachKey}.
   *
   * @return this builder
   * @throws IllegalStateException if {@link #maximumSize} was set: the two contradict each other
   */
  public CachedKeyValidatorBuilder preloadAllKeys() {
    if (maximumSizeSet) {
      throw preloadClash(maximumSize);
    }
    this.preload = true;
    return this;
  }

  /**
   * @param interval how often counted usage (use count, last use) is written to the store
   *     (default 10 seconds, at most 1 day); usage is also written at
   *     {@link CachedKeyValidator#close()}
   * @return this builder
   * @throws IllegalArgumentException if {@code interval} is shorter than 1 ms or longer than 1
   *     day
   */
  public CachedKeyValidatorBuilder usageFlushInterval(Duration interval) {
    this.flushInterval = between("usage flush interval", interval, MIN_DURATION, ONE_DAY);
    return this;
  }

  /**
   * Limits each key to {@code requests} valid answers per {@code period}, refilled smoothly
   * (for 6 per hour: a burst of 6, then one more every 10 minutes). Further requests are
   * {@link Verdict.Status#RATE_LIMITED} with {@link Verdict#retryAfter()}. The limit belongs to
   * the key id, so it survives regeneration. Needs Bucket4j
   * ({@code com.bucket4j:bucket4j_jdk17-core}), an optional dependency of Keyseat, on the class
   * path (on the module path: {@code --add-modules io.github.bucket4j.core}).
   *
   * @param requests the most requests per period, positive
   * @param period the period, from 1 ms to 366 days
   * @return this builder
   * @throws IllegalArgumentException if either argument is out of range
   */
  public CachedKeyValidatorBuilder rateLimit(long requests, Duration period) {
    SettingRanges.requirePositive("rate limit requests", requests);
    this.rateLimitPeriod = between("rate limit period", period, MIN_DURATION, Duration.ofDays(366));
    this.rateLimitRequests = requests;
    return this;
  }

  /**
   * Where the {@linkplain #rateLimit rate limit} is counted: {@link RateLimitMode#LOCAL} (default,
   * per node) or {@link RateLimitMode#CLUSTER} (one limit across every node, in the store).
   *
   * @param mode the mode
   * @return this builder
   * @throws NullPointerException if {@code mode} is null
   */
  public CachedKeyValidatorBuilder rateLimitMode(RateLimitMode mode) {
    this.rateLimitMode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /**
   * @param metrics receives counters (default: none)
   * @return this builder
   */
  public CachedKeyValidatorBuilder metrics(ValidatorMetrics metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    return this;
  }

  /**
   * @param ticker measures durations: staleness, negative entries, cached expiry, the lookup
   *     budget. Default: {@link Ticker#system()} when the {@link dev.keyseat.Keyseat} uses a
   *     system clock, otherwise {@link Ticker#of(java.time.Clock) Ticker.of(keyseat.clock())},
   *     so that a test clock drives the validator too: then moving that clock past {@link
   *     #maxStaleness(Duration)} without running the feed poller makes the validator answer
   *     {@link Verdict.Status#UNAVAILABLE}. With a ticker of its own, the Keyseat clock no longer
   *     moves the validator's staleness; only this ticker does.
   * @return this builder
   * @throws NullPointerException if {@code ticker} is null
   */
  public CachedKeyValidatorBuilder ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return this;
  }

  /**
   * Whether the validator subscribes to the store's push notifications of changes ({@link
   * dev.keyseat.spi.KeyStore#subscribeToChanges}; PostgreSQL's {@code LISTEN/NOTIFY} in the JDBC
   * store) and reads the feed as soon as one arrives, so that another node's revocation takes
   * effect here within milliseconds instead of at the next poll. Polling goes on either way: it
   * stays the guarantee when a notification or the listening connection is lost. Ignored for a
   * store that offers no notifications. Default true.
   *
   * @param listen false to rely on polling alone
   * @return this builder
   */
  public CachedKeyValidatorBuilder changeNotifications(boolean listen) {
    this.changeNotifications = listen;
    return this;
  }

  /**
   * @param scheduler runs the poller and the flusher (default: one daemon thread each, owned and
   *     stopped by the validator)
   * @return this builder
   */
  public CachedKeyValidatorBuilder scheduler(ValidatorScheduler scheduler) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    return this;
  }

  /**
   * Builds the validator and reads the store once: the change feed's position and, with
   * {@link #preloadAllKeys()}, every key. If the store cannot be read, the validator still
   * starts, answers {@link Verdict.Status#UNAVAILABLE} and retries every poll interval.
   *
   * @return a running validator; close it when done
   * @throws IllegalStateException if a setting contradicts a default (the maximum staleness must
   *     exceed the poll interval), if a rate limit is set without Bucket4j on the class path, if
   *     the {@code CLUSTER} rate-limit mode is set without a limit or for a store that holds no
   *     shared rate limits, or if preloading is asked of a store that cannot list its keys
   */
  public final CachedKeyValidator build() {
    Duration poll = pollInterval == null ? DEFAULT_POLL_INTERVAL : pollInterval;
    Duration staleness = maxStaleness == null ? DEFAULT_MAX_STALENESS : maxStaleness;
    requireStalenessExceedsPoll(staleness, poll); // a setting against the other's default
    if (rateLimitMode == RateLimitMode.CLUSTER && rateLimitPeriod == null) {
      throw new IllegalStateException("rateLimitMode(CLUSTER) without a rateLimit(requests, period): set the limit");
    }
    return create(new Settings(maximumSize, preload, negativeTtl, poll, staleness, lookupsPerSecond,
        flushInterval, rateLimitRequests, rateLimitPeriod, rateLimitMode, metrics, ticker, scheduler,
        changeNotifications));
  }

  /**
   * Creates the validator from the settings, which {@link #build()} has checked.
   *
   * @param settings what this builder was told, defaults filled in
   * @return a running validator
   * @throws IllegalStateException if the store or the class path cannot serve the settings
   */
  protected abstract CachedKeyValidator create(Settings settings);

  /**
   * A builder's settings, as {@link #create} receives them.
   *
   * @param maximumSize the most cache entries (ignored when preloading)
   * @param preloadAllKeys whether every key is loaded at start and kept
   * @param negativeEntryTtl how long an unknown hash is remembered
   * @param feedPollInterval how often the change feed is read
   * @param maxStaleness how long cached answers are served while the feed cannot be read
   * @param storeLookupsPerSecond the store lookups misses may cause per second
   * @param usageFlushInterval how often usage is written
   * @param rateLimitRequests the requests per {@code rateLimitPeriod}, 0 without a rate limit
   * @param rateLimitPeriod the rate limit's period, or null without one
   * @param rateLimitMode where the rate limit is counted
   * @param metrics the metrics receiver
   * @param ticker the ticker, or null for the default
   * @param scheduler the scheduler, or null for the default daemon threads
   * @param changeNotifications whether to read the feed when the store notifies a change
   */
  public record Settings(
      long maximumSize,
      boolean preloadAllKeys,
      Duration negativeEntryTtl,
      Duration feedPollInterval,
      Duration maxStaleness,
      int storeLookupsPerSecond,
      Duration usageFlushInterval,
      long rateLimitRequests,
      @Nullable Duration rateLimitPeriod,
      RateLimitMode rateLimitMode,
      ValidatorMetrics metrics,
      @Nullable Ticker ticker,
      @Nullable ValidatorScheduler scheduler,
      boolean changeNotifications) {}

  /**
   * The maximum staleness must exceed the poll interval, or the validator would fail closed
   * between two polls; checked by the setter that makes them clash, naming both settings.
   *
   * @param staleness the maximum staleness, null while unset
   * @param interval the feed poll interval, null while unset
   * @throws IllegalStateException if both are known and the staleness does not exceed the interval
   */
  private static void requireStalenessExceedsPoll(@Nullable Duration staleness, @Nullable Duration interval) {
    if (staleness != null && interval != null && staleness.compareTo(interval) <= 0) {
      throw new IllegalStateException("maxStaleness(" + staleness + ") must exceed feedPollInterval(" + interval
          + "), or the validator would fail closed between two polls; raise maxStaleness or shorten the interval");
    }
  }

  private static IllegalStateException preloadClash(long size) {
    return new IllegalStateException("preloadAllKeys() keeps every key and cannot be combined with maximumSize("
        + size + "); choose one");
  }

  private static Duration between(String what, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, what);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ", was " + value);
    }
    return value;
  }
}
