package dev.keyseat.internal.validation;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code perSecond} permits in any burst, refilled at {@code perSecond} per second: a
 * token bucket kept as one theoretical arrival time (GCRA), lock-free.
 */
final class LookupBudget {
  private static final long SECOND = 1_000_000_000L;
  private final long interval;
  private final AtomicLong nextFree;

  LookupBudget(int perSecond, long now) {
    this.interval = SECOND / perSecond;
    this.nextFree = new AtomicLong(now - SECOND);
  }

  /** @return whether a permit was taken at ticker time {@code now} */
  boolean tryAcquire(long now) {
    return tryAcquire(now, 0);
  }

  /**
   * @param now ticker time
   * @param keep permits to leave in the bucket for others: a permit is taken only if at least
   *     {@code keep + 1} are available
   * @return whether a permit was taken
   */
  boolean tryAcquire(long now, int keep) {
    long limit = SECOND - keep * interval;
    for (;;) {
      long t = nextFree.get();
      long next = (t - now > 0 ? t : now) + interval;
      if (next - now > limit) {
        return false;
      }
      if (nextFree.compareAndSet(t, next)) {
        return true;
      }
    }
  }
}
