package dev.keyseat.validation;

/**
 * Where a validator's per-key rate limit ({@link CachedKeyValidatorBuilder#rateLimit}) is
 * counted.
 */
public enum RateLimitMode {
  /**
   * In this validator's memory: each node admits the full allowance on its own, so behind a load
   * balancer over {@code n} nodes a key gets up to {@code n} times the limit. No store round trip.
   * The default.
   */
  LOCAL,
  /**
   * In the store's shared storage ({@link dev.keyseat.spi.KeyStore#sharedRateLimiter}; the JDBC
   * store on PostgreSQL, through Bucket4j's PostgreSQL backend): one allowance per key across
   * every node, exact (no over-admission), at the cost of one database round trip per validation
   * of a rate-limited valid key. If the database cannot be reached the validation answers
   * {@link Verdict.Status#UNAVAILABLE} (fails closed).
   */
  CLUSTER
}
