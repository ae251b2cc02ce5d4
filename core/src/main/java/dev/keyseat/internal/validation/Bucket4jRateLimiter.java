package dev.keyseat.internal.validation;

import dev.keyseat.KeyId;
import dev.keyseat.validation.Ticker;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.function.Function;

/**
 * One Bucket4j bucket per key id, created on first use and dropped after a period without use
 * (by then it would be full again, so dropping it changes nothing).
 */
final class Bucket4jRateLimiter implements KeyRateLimiter {
  private final Bandwidth limit;
  private final TimeMeter time;
  private final Cache<KeyId, Bucket> buckets;
  private final Function<KeyId, Bucket> newBucket = id -> newBucket();

  Bucket4jRateLimiter(long requests, Duration period, Ticker ticker) {
    this.limit = Bandwidth.builder().capacity(requests).refillGreedy(requests, period).build();
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return ticker.read();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
    this.buckets = Caffeine.newBuilder().expireAfterAccess(period).ticker(ticker::read).build();
  }

  private Bucket newBucket() {
    return Bucket.builder().addLimit(limit).withCustomTimePrecision(time).build();
  }

  @Override
  public long tryAcquire(KeyId keyId) {
    Bucket bucket = buckets.get(keyId, newBucket);
    if (bucket.tryConsume(1)) {
      return 0;
    }
    return Math.max(1, bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
  }
}
