package dev.keyseat.testkit;

import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** {@link ValidatorMetrics} that keeps every count, for assertions. Thread-safe. */
public final class RecordingValidatorMetrics implements ValidatorMetrics {
  private final Map<Verdict.Status, LongAdder> verdicts = new EnumMap<>(Verdict.Status.class);
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder lookups = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder flushedKeys = new LongAdder();
  private final LongAdder feedGaps = new LongAdder();
  private final List<Duration> lags = new ArrayList<>();

  /** Starts with every count at zero. */
  public RecordingValidatorMetrics() {
    for (Verdict.Status s : Verdict.Status.values()) {
      verdicts.put(s, new LongAdder());
    }
  }

  @Override
  public void verdict(Verdict.Status status) {
    verdicts.get(status).increment();
  }

  @Override
  public void cacheHit() {
    hits.increment();
  }

  @Override
  public void cacheMiss() {
    misses.increment();
  }

  @Override
  public void storeLookup() {
    lookups.increment();
  }

  @Override
  public void storeLookupRefused() {
    refused.increment();
  }

  @Override
  public synchronized void feedLag(Duration lag) {
    lags.add(lag);
  }

  @Override
  public void feedGap() {
    feedGaps.increment();
  }

  @Override
  public void usageFlushed(int keys) {
    flushedKeys.add(keys);
  }

  /**
   * @param status a kind of verdict
   * @return verdicts answered with {@code status}
   */
  public long verdicts(Verdict.Status status) {
    return verdicts.get(status).sum();
  }

  /** @return cache hits */
  public long hits() {
    return hits.sum();
  }

  /** @return cache misses */
  public long misses() {
    return misses.sum();
  }

  /** @return store lookups by hash */
  public long lookups() {
    return lookups.sum();
  }

  /** @return misses refused for want of lookup budget */
  public long refused() {
    return refused.sum();
  }

  /** @return how many feed gaps the validator reported */
  public long feedGaps() {
    return feedGaps.sum();
  }

  /** @return the keys in every usage batch written so far */
  public long flushedKeys() {
    return flushedKeys.sum();
  }

  /** @return every feed lag reported, in order */
  public synchronized List<Duration> lags() {
    return List.copyOf(lags);
  }

  @Override
  public String toString() {
    return "RecordingValidatorMetrics[verdicts=" + verdicts + ", hits=" + hits + ", misses=" + misses
        + ", lookups=" + lookups + ", refused=" + refused + "]";
  }
}
