package dev.keyseat.validation;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A source of nanosecond time for measuring durations: how stale the cache is, when a negative
 * entry or a cached expiry runs out, how many store lookups the last second saw. The validator
 * reads a ticker of its own once per validation, so it must be cheap; {@link #system()} is read by
 * a helper thread of the validator instead, which publishes the time every millisecond to the
 * validating threads (and, should it stall, the validator reads the ticker per call again). Tests
 * pass a ticker driven by a test clock instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

  /**
   * @return nanoseconds since an arbitrary origin, never decreasing
   */
  long read();

  /**
   * @return a ticker reading {@link System#nanoTime()}
   */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }

  /**
   * A ticker that follows a clock, so that moving a test clock moves every duration the validator
   * measures.
   *
   * @param clock the clock
   * @return nanoseconds since the epoch of {@code clock}
   */
  static Ticker of(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }
}

/** {@link System#nanoTime()} as a singleton, so that the hot path sees one receiver type. */
enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long read() {
    return System.nanoTime();
  }
}
