package dev.keyseat;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's validator: answers from an in-process cache at the cost of little more than one
 * SHA-256, never throws and never waits on I/O except for a store lookup on a cache miss.
 * Obtain one from {@link Keyseat#validator()}, keep it for the life of the application and
 * {@link #close()} it at shutdown.
 *
 * <pre>{@code
 * try (CachedKeyValidator validator = keyseat.validator()
 *     .maximumSize(500_000)
 *     .rateLimit(6, Duration.ofHours(1))
 *     .build()) {
 *   Verdict verdict = validator.validate(presentedKey, deviceSerial);
 *   if (!verdict.isValid()) { ... answer 401, 403, 429 or 503 by verdict.status() ... }
 * }
 * }</pre>
 *
 * <p>How it answers:
 * <ol>
 *   <li>shape and checksum: {@link Verdict.Status#MALFORMED} without hashing, lookup or
 *       allocation;
 *   <li>SHA-256 (or HMAC-SHA256 with a pepper) and a cache lookup; the cache holds known keys
 *       with their ready verdict and, for a while, unknown hashes (negative entries);
 *   <li>on a miss, one store lookup per hash however many threads miss at once, limited to a
 *       budget per second so that a flood of made-up keys cannot overload the store; past the
 *       budget a miss is answered {@link Verdict.Status#UNAVAILABLE} (not UNKNOWN: the key may
 *       well exist), and nothing is cached;
 *   <li>management calls through the same {@link Keyseat} invalidate the cache as they commit,
 *       so a deleted or regenerated secret fails on the very next call; changes made through other
 *       {@link Keyseat} instances (other nodes) arrive through the store's change feed, read every
 *       {@linkplain Builder#feedPollInterval poll interval};
 *   <li>if the feed cannot be read, cached answers are served for at most the
 *       {@linkplain Builder#maxStaleness maximum staleness}; after that every well-formed key is
 *       {@link Verdict.Status#UNAVAILABLE} (fail closed) until the feed can be read again, which
 *       the validator notices by itself;
 *   <li>usage (count and last use per key) is counted without locks and written to the store in
 *       batches every {@linkplain Builder#usageFlushInterval flush interval} and at
 *       {@link #close()};
 *   <li>optionally, a per-key rate limit answers {@link Verdict.Status#RATE_LIMITED} with the
 *       time to wait.
 * </ol>
 *
 * <p>Thread-safe. Verdicts follow exactly the rules of {@link Keyseat#storeValidator()}.
 */
public interface CachedKeyValidator extends KeyValidator, AutoCloseable {

  /**
   * @return the approximate number of cache entries, positive and negative
   */
  long estimatedSize();

  /**
   * Stops the poller and the flusher (and their threads, when the validator owns them), stops
   * listening to the {@link Keyseat}'s commits and writes the usage counted so far. Afterwards
   * every well-formed key is {@link Verdict.Status#UNAVAILABLE}. Idempotent; never throws.
   */
  @Override
  void close();

  /**
   * Configures a {@link CachedKeyValidator}. Every setter checks its argument at once and says
   * what is wrong; {@link #build()} checks the combination.
   */
  final class Builder {
    static final long DEFAULT_MAXIMUM_SIZE = 100_000;
    static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofMinutes(1);
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(30);
    static final int DEFAULT_LOOKUPS_PER_SECOND = 1000;
    static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(10);
    private static final Duration MIN_DURATION = Duration.ofMillis(1);
    private static final Duration ONE_DAY = Duration.ofDays(1);

    final Keyseat keyseat;
    long maximumSize = DEFAULT_MAXIMUM_SIZE;
    boolean maximumSizeSet;
    Duration negativeTtl = DEFAULT_NEGATIVE_TTL;
    Duration pollInterval = DEFAULT_POLL_INTERVAL;
    Duration maxStaleness = DEFAULT_MAX_STALENESS;
    int lookupsPerSecond = DEFAULT_LOOKUPS_PER_SECOND;
    boolean preload;
    Duration flushInterval = DEFAULT_FLUSH_INTERVAL;
    long rateLimitRequests;
    @Nullable Duration rateLimitPeriod;
    ValidatorMetrics metrics = ValidatorMetrics.NONE;
    @Nullable Ticker ticker;
    @Nullable ValidatorScheduler scheduler;

    Builder(Keyseat keyseat) {
      this.keyseat = Objects.requireNonNull(keyseat, "keyseat");
    }

    /**
     * @param size the most keys (known and unknown) the cache holds; the least valuable are
     *     evicted beyond it (default 100,000; about 220 bytes each, plus the id and serial of each
     *     key when the store reads them from rows)
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is not positive
     */
    public Builder maximumSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("maximum size must be positive, was " + size);
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
    public Builder negativeEntryTtl(Duration ttl) {
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
     */
    public Builder feedPollInterval(Duration interval) {
      this.pollInterval = between("feed poll interval", interval, MIN_DURATION, Duration.ofHours(1));
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
     */
    public Builder maxStaleness(Duration staleness) {
      this.maxStaleness = between("maximum staleness", staleness, MIN_DURATION, ONE_DAY);
      return this;
    }

    /**
     * @param lookups the most store lookups cache misses may cause per second, in bursts of at
     *     most this many (default 1,000). Misses beyond it are answered
     *     {@link Verdict.Status#UNAVAILABLE} without a lookup.
     * @return this builder
     * @throws IllegalArgumentException if {@code lookups} is not positive
     */
    public Builder storeLookupsPerSecond(int lookups) {
      if (lookups < 1) {
        throw new IllegalArgumentException("store lookups per second must be positive, was " + lookups);
      }
      this.lookupsPerSecond = lookups;
      return this;
    }

    /**
     * Loads every key of the store when the validator is built and keeps them all (the cache is
     * then unbounded), so that unknown keys are answered {@link Verdict.Status#UNKNOWN} without
     * any store lookup. Changes are applied by re-reading the changed keys. Needs a store that
     * implements {@link dev.keyseat.spi.KeyStore#forEachKey}; cannot be combined with
     * {@link #maximumSize}.
     *
     * @return this builder
     */
    public Builder preloadAllKeys() {
      this.preload = true;
      return this;
    }

    /**
     * @param interval how often counted usage (use count, last use) is written to the store
     *     (default 10 seconds, at most 1 day); usage is also written at {@link #close()}
     * @return this builder
     * @throws IllegalArgumentException if {@code interval} is shorter than 1 ms or longer than 1
     *     day
     */
    public Builder usageFlushInterval(Duration interval) {
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
    public Builder rateLimit(long requests, Duration period) {
      if (requests < 1) {
        throw new IllegalArgumentException("rate limit requests must be positive, was " + requests);
      }
      this.rateLimitPeriod = between("rate limit period", period, MIN_DURATION, Duration.ofDays(366));
      this.rateLimitRequests = requests;
      return this;
    }

    /**
     * @param metrics receives counters (default: none)
     * @return this builder
     */
    public Builder metrics(ValidatorMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * @param ticker measures durations: staleness, negative entries, cached expiry, the lookup
     *     budget. Default: {@link Ticker#system()} when the {@link Keyseat} uses a system clock,
     *     otherwise {@link Ticker#of(java.time.Clock) Ticker.of(keyseat.clock())}, so that a test
     *     clock drives the validator too.
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * @param scheduler runs the poller and the flusher (default: one daemon thread each, owned and
     *     stopped by the validator)
     * @return this builder
     */
    public Builder scheduler(ValidatorScheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the validator and reads the store once: the change feed's position and, with
     * {@link #preloadAllKeys()}, every key. If the store cannot be read, the validator still
     * starts, answers {@link Verdict.Status#UNAVAILABLE} and retries every poll interval.
     *
     * @return a running validator; close it when done
     * @throws IllegalStateException if the settings contradict each other, if a rate limit is set
     *     without Bucket4j on the class path, or if preloading is asked of a store that cannot
     *     list its keys
     */
    public CachedKeyValidator build() {
      if (maxStaleness.compareTo(pollInterval) <= 0) {
        throw new IllegalStateException("maximum staleness " + maxStaleness + " must exceed the feed poll interval "
            + pollInterval + ", or the validator would fail closed between two polls");
      }
      if (preload && maximumSizeSet) {
        throw new IllegalStateException("preloadAllKeys() keeps every key and cannot be combined with maximumSize("
            + maximumSize + "); choose one");
      }
      if (rateLimitPeriod != null && !KeyRateLimiter.bucket4jPresent()) {
        throw new IllegalStateException("rateLimit() needs Bucket4j: add the dependency"
            + " com.bucket4j:bucket4j_jdk17-core to the application");
      }
      return new CachingKeyValidator(this);
    }

    private static Duration between(String what, Duration value, Duration min, Duration max) {
      Objects.requireNonNull(value, what);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ", was " + value);
      }
      return value;
    }
  }
}
