package dev.keyseat.spring.boot;

import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Watches the auto-configured validator: the age of its view of the store (feed lag), for the
 * health indicator and the meters, and forwards every event to the application's
 * {@link ValidatorMetrics} beans. The age grows by itself between reports, so a poller that
 * stalls shows as a growing lag too.
 */
public final class ValidatorMonitor {
  private final List<ValidatorMetrics> delegates;
  private final Duration maxStaleness;
  private final long createdNanos = System.nanoTime();
  private volatile long reportedLagNanos;
  private volatile long reportedAtNanos = createdNanos;
  private volatile boolean reported;
  private final ValidatorMetrics metrics = new Recorder();

  /**
   * @param delegates the metrics every event goes to as well
   * @param maxStaleness the validator's bound: past it, it fails closed
   */
  public ValidatorMonitor(List<ValidatorMetrics> delegates, Duration maxStaleness) {
    this.delegates = List.copyOf(delegates);
    this.maxStaleness = maxStaleness;
  }

  /** @return the metrics to give the validator's builder */
  public ValidatorMetrics metrics() {
    return metrics;
  }

  /** @return the age of the validator's view now: the last reported lag plus the time since */
  public Duration feedLag() {
    long now = System.nanoTime();
    return Duration.ofNanos(reportedLagNanos + (now - reportedAtNanos));
  }

  /** @return whether the feed has been read at least once */
  public boolean feedRead() {
    return reported;
  }

  /** @return the validator's maximum staleness */
  public Duration maxStaleness() {
    return maxStaleness;
  }

  /** @return whether the view is older than the maximum staleness, so that the validator fails closed */
  public boolean failingClosed() {
    return feedLag().compareTo(maxStaleness) > 0;
  }

  /** Every event goes to each delegate in turn; the lag is also kept for {@link #feedLag()}. */
  private final class Recorder implements ValidatorMetrics {
    // Inlined at each call below, where the event is a constant (or a lambda that escape analysis
    // removes): no allocation and no megamorphic call on the validating thread.
    private void each(Consumer<ValidatorMetrics> event) {
      for (ValidatorMetrics d : delegates) {
        event.accept(d);
      }
    }

    @Override
    public void verdict(Verdict.Status status) {
      each(d -> d.verdict(status));
    }

    @Override
    public void cacheHit() {
      each(ValidatorMetrics::cacheHit);
    }

    @Override
    public void cacheMiss() {
      each(ValidatorMetrics::cacheMiss);
    }

    @Override
    public void storeLookup() {
      each(ValidatorMetrics::storeLookup);
    }

    @Override
    public void storeLookupRefused() {
      each(ValidatorMetrics::storeLookupRefused);
    }

    @Override
    public void feedLag(Duration lag) {
      reportedAtNanos = System.nanoTime();
      reportedLagNanos = lag.toNanos();
      reported = true;
      each(d -> d.feedLag(lag));
    }

    @Override
    public void feedGap() {
      each(ValidatorMetrics::feedGap);
    }

    @Override
    public void usageFlushed(int keys) {
      each(d -> d.usageFlushed(keys));
    }
  }
}
