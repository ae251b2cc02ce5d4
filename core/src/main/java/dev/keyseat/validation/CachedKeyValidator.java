package dev.keyseat.validation;

/**
 * The gateway's validator: answers from an in-process cache at the cost of less than one SHA-256
 * (the cache is keyed by a keyed 128-bit PRF of the presented key, SipHash-2-4, under a random key
 * of this process), never throws and never waits on I/O except for a store lookup on a cache miss.
 * Obtain one from {@link dev.keyseat.Keyseat#validator()}, keep it for the life of the application and
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
 *   <li>the PRF of the key and a cache lookup; the cache holds known keys with their ready
 *       verdict and, for a while, unknown keys (negative entries). Only a miss computes the
 *       SHA-256 (or HMAC-SHA256 with a pepper) that the store is searched by;
 *   <li>on a miss, one store lookup per hash however many threads miss at once, limited to a
 *       budget per second so that a flood of made-up keys cannot overload the store; past the
 *       budget a miss is answered {@link Verdict.Status#UNAVAILABLE} (not UNKNOWN: the key may
 *       well exist), and nothing is cached. With a store that lists its keys, four bytes of every
 *       stored hash tell made-up keys apart: they get only three quarters of the budget, and
 *       {@link Verdict.Status#UNKNOWN} past it, so real keys seen for the first time keep theirs;
 *   <li>management calls through the same {@link dev.keyseat.Keyseat} invalidate the cache as they commit,
 *       so a deleted or regenerated secret fails on the very next call; changes made through other
 *       {@link dev.keyseat.Keyseat} instances (other nodes) arrive through the store's change feed, read every
 *       {@linkplain CachedKeyValidatorBuilder#feedPollInterval poll interval};
 *   <li>if the feed cannot be read, cached answers are served for at most the
 *       {@linkplain CachedKeyValidatorBuilder#maxStaleness maximum staleness}; after that every well-formed key is
 *       {@link Verdict.Status#UNAVAILABLE} (fail closed) until the feed can be read again, which
 *       the validator notices by itself;
 *   <li>usage (count and last use per key) is counted without locks and written to the store in
 *       batches every {@linkplain CachedKeyValidatorBuilder#usageFlushInterval flush interval} and at
 *       {@link #close()};
 *   <li>optionally, a per-key rate limit answers {@link Verdict.Status#RATE_LIMITED} with the
 *       time to wait.
 * </ol>
 *
 * <p>Thread-safe. Verdicts follow exactly the rules of {@link dev.keyseat.Keyseat#storeValidator()}.
 */
public interface CachedKeyValidator extends KeyValidator, AutoCloseable {

  /**
   * @return the approximate number of cache entries, positive and negative
   */
  long estimatedSize();

  /**
   * Stops the poller and the flusher (and their threads, when the validator owns them), stops
   * listening to the {@link dev.keyseat.Keyseat}'s commits and writes the usage counted so far. Afterwards
   * every well-formed key is {@link Verdict.Status#UNAVAILABLE}. Idempotent; never throws.
   */
  @Override
  void close();
}
