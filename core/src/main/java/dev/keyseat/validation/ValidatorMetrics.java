package dev.keyseat.validation;

import java.time.Duration;

/**
 * Counters of a {@link CachedKeyValidator}, for whatever metrics system the host uses; no metrics
 * library is required. Every method has an empty default, so an implementation overrides only
 * what it exports. Methods are called on the validating threads, so they must be fast, must not
 * block and should not throw (a throwing method turns the answer into
 * {@link Verdict.Status#UNAVAILABLE}). {@link java.util.concurrent.atomic.LongAdder} counters are a good fit.
 *
 * <pre>{@code
 * ValidatorMetrics metrics = new ValidatorMetrics() {
 *   @Override public void verdict(Verdict.Status status) { counters.get(status).increment(); }
 *   @Override public void feedLag(Duration lag) { lagGauge.set(lag.toMillis()); }
 * };
 * }</pre>
 */
public interface ValidatorMetrics {

  /** Records nothing. */
  ValidatorMetrics NONE = new ValidatorMetrics() {};

  /**
   * One validation answered.
   *
   * @param status the verdict's kind
   */
  default void verdict(Verdict.Status status) {}

  /** A well-formed key was answered from the cache. */
  default void cacheHit() {}

  /** A well-formed key was not in the cache, or its entry had run out. */
  default void cacheMiss() {}

  /**
   * The validator asked the store for one key by its hash: on a cache miss, or, when preloaded,
   * to re-read a changed key.
   */
  default void storeLookup() {}

  /**
   * A cache miss was answered {@link Verdict.Status#UNAVAILABLE} without asking the store because
   * the store-lookup budget of the current second was spent.
   */
  default void storeLookupRefused() {}

  /**
   * After every attempt to read the change feed: how old the validator's view of the store is,
   * that is the time since the start of the last poll that read the feed to its end. Near zero
   * while the feed is healthy; it grows while the feed cannot be read, and the validator answers
   * {@link Verdict.Status#UNAVAILABLE} once it exceeds the maximum staleness.
   *
   * @param lag the age of the view
   */
  default void feedLag(Duration lag) {}

  /**
   * The change feed had a gap: entries were purged before the validator read them (for example
   * after an outage longer than the store's change retention), so it dropped everything it had
   * cached and started over. Rare; worth an alert, since it means the retention is shorter than
   * the outages nodes live through.
   */
  default void feedGap() {}

  /**
   * A batch of usage was written to the store.
   *
   * @param keys the number of keys in the batch
   */
  default void usageFlushed(int keys) {}
}
