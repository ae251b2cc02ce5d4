package dev.keyseat.internal.validation;

import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link ValidationCache} is configured with, checked by the builder and with defaults
 * resolved.
 *
 * @param maximumSize the most entries, when not preloading
 * @param preload whether every key is loaded at start and kept
 * @param negativeTtl how long an unknown hash is remembered
 * @param pollInterval how often the change feed is read
 * @param maxStaleness how long cached answers are served without the feed
 * @param lookupsPerSecond the store lookups misses may cause per second
 * @param flushInterval how often usage is written
 * @param rateLimitRequests requests per {@code rateLimitPeriod}
 * @param rateLimitPeriod the rate limit's period, or null for none
 * @param metrics receives counters
 * @param ticker measures durations
 * @param scheduler runs the poller and the flusher
 */
record CacheSettings(
    long maximumSize,
    boolean preload,
    Duration negativeTtl,
    Duration pollInterval,
    Duration maxStaleness,
    int lookupsPerSecond,
    Duration flushInterval,
    long rateLimitRequests,
    @Nullable Duration rateLimitPeriod,
    ValidatorMetrics metrics,
    Ticker ticker,
    ValidatorScheduler scheduler) {}
