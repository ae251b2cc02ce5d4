package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.validation.Verdict;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The small parts of the cached validator: hash keys, the lookup budget, usage counting. */
class CachedValidatorPartsTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  public void aProbeEqualsTheStoredEntryOfTheSameHashAndNoOther() {
    Random r = new Random(1);
    byte[] bytes = new byte[32];
    r.nextBytes(bytes);
    KeyHash hash = KeyHash.of(bytes);
    CacheEntry stored = CacheEntry.of(hash).fill(Verdict.UNKNOWN, 0, 0);
    CacheEntry probe = new CacheEntry();
    probe.set(bytes);

    assertThat(probe).isEqualTo(stored).hasSameHashCodeAs(stored);
    assertThat(stored.hashCode()).isEqualTo(hash.hashCode());
    assertThat(stored.toKeyHash()).isEqualTo(hash);
    for (int i = 0; i < 32; i++) {
      byte[] other = bytes.clone();
      other[i] ^= 1;
      probe.set(other);
      assertThat(probe).as("byte %d differs", i).isNotEqualTo(stored);
    }
    CacheEntry copy = probe.copyHash();
    probe.set(bytes);
    assertThat(copy).as("a copy does not follow the probe").isNotEqualTo(probe);
  }

  @Test
  public void theLookupBudgetAllowsItsRatePerSecondInBursts() {
    long t = 123 * SECOND;
    LookupBudget budget = new LookupBudget(5, t);
    int allowed = 0;
    for (int i = 0; i < 100; i++) {
      allowed += budget.tryAcquire(t) ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(5);
    assertThat(budget.tryAcquire(t + SECOND / 5 - 1)).isFalse();
    assertThat(budget.tryAcquire(t + SECOND / 5)).isTrue();

    int overTenSeconds = 0;
    for (long now = t + SECOND; now < t + 11 * SECOND; now += SECOND / 100) {
      overTenSeconds += budget.tryAcquire(now) ? 1 : 0;
    }
    assertThat(overTenSeconds).as("the rate, plus at most one burst saved up").isBetween(50, 55);
  }

  @Test
  public void theLookupBudgetWorksWithNegativeTickerValues() {
    long t = -50 * SECOND;
    LookupBudget budget = new LookupBudget(1, t);
    assertThat(budget.tryAcquire(t)).isTrue();
    assertThat(budget.tryAcquire(t)).isFalse();
    assertThat(budget.tryAcquire(t + SECOND)).isTrue();
  }

  @Test
  public void usageIsDrainedOnceAndRequeuedAfterADrain() {
    java.util.Queue<CacheEntry> queue = new java.util.ArrayDeque<>();
    CacheEntry e = new CacheEntry().fill(Verdict.UNKNOWN, Long.MAX_VALUE, 0);
    e.used(10, queue);
    e.used(20, queue);
    assertThat(queue).containsExactly(e);
    assertThat(e.lastUsed).as("within the granularity").isEqualTo(10);
    assertThat(e.valid).isFalse();
    e.used(10 + CacheEntry.LAST_USE_GRANULARITY_NANOS, queue);
    assertThat(e.lastUsed).isEqualTo(10 + CacheEntry.LAST_USE_GRANULARITY_NANOS);

    assertThat(queue.poll().drain()).isEqualTo(3);
    e.used(30, queue);
    assertThat(queue).containsExactly(e);
    e.restore(4, queue);
    assertThat(queue).as("queued once").hasSize(1);
    assertThat(queue.poll().drain()).isEqualTo(5);
  }
}
