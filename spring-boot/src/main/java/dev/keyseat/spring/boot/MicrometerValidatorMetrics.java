package dev.keyseat.spring.boot;

import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The validator's events as Micrometer meters. No tag carries a key, a key id or a device: the
 * verdict counter is tagged by verdict only, so the number of series stays fixed.
 *
 * <ul>
 *   <li>{@code keyseat.validations} (counter), tag {@code verdict}: valid, malformed, unknown, …
 *   <li>{@code keyseat.validator.cache} (counter), tag {@code result}: hit, miss
 *   <li>{@code keyseat.validator.store.lookups} (counter), tag {@code outcome}: performed, refused
 *   <li>{@code keyseat.validator.feed.gaps} (counter)
 *   <li>{@code keyseat.validator.usage.flushed} (counter): keys whose usage was written
 * </ul>
 *
 * The feed-lag and cached-entries gauges are registered by the auto-configuration from the
 * {@link ValidatorMonitor} and the validator.
 */
public final class MicrometerValidatorMetrics implements ValidatorMetrics {
  private final Map<Verdict.Status, Counter> verdicts = new EnumMap<>(Verdict.Status.class);
  /** {@code keyseat.validator.cache}: hit, miss. */
  private final TwoWay cache;
  /** {@code keyseat.validator.store.lookups}: performed, refused. */
  private final TwoWay lookups;
  private final Counter gaps;
  private final Counter flushed;

  /** @param registry where the meters are registered */
  public MicrometerValidatorMetrics(MeterRegistry registry) {
    for (Verdict.Status s : Verdict.Status.values()) {
      verdicts.put(s, Counter.builder("keyseat.validations").description("Keys validated, by verdict")
          .tag("verdict", s.name().toLowerCase(Locale.ROOT)).register(registry));
    }
    cache = TwoWay.register(registry, "keyseat.validator.cache", "Well-formed keys answered from the cache, or not",
        "result", "hit", "miss");
    lookups = TwoWay.register(registry, "keyseat.validator.store.lookups", "Keys looked up in the store",
        "outcome", "performed", "refused");
    gaps = Counter.builder("keyseat.validator.feed.gaps")
        .description("Change-feed gaps: entries purged before they were read; the cache started over").register(registry);
    flushed = Counter.builder("keyseat.validator.usage.flushed").description("Keys whose counted usage was written")
        .register(registry);
  }

  @Override
  public void verdict(Verdict.Status status) {
    Objects.requireNonNull(verdicts.get(status), "the constructor registers a counter per status").increment();
  }

  @Override
  public void cacheHit() {
    cache.yes().increment();
  }

  @Override
  public void cacheMiss() {
    cache.no().increment();
  }

  @Override
  public void storeLookup() {
    lookups.yes().increment();
  }

  @Override
  public void storeLookupRefused() {
    lookups.no().increment();
  }

  @Override
  public void feedLag(Duration lag) {
    // read from the ValidatorMonitor by the keyseat.validator.feed.lag gauge
  }

  @Override
  public void feedGap() {
    gaps.increment();
  }

  @Override
  public void usageFlushed(int keys) {
    flushed.increment(keys);
  }

  /**
   * One meter counted under two values of one tag, such as a cache's hits and misses.
   *
   * @param yes the counter of the first value (hit, performed)
   * @param no the counter of the second value (miss, refused)
   */
  private record TwoWay(Counter yes, Counter no) {
    static TwoWay register(MeterRegistry registry, String name, String description, String tag, String yes,
        String no) {
      return new TwoWay(Counter.builder(name).description(description).tag(tag, yes).register(registry),
          Counter.builder(name).description(description).tag(tag, no).register(registry));
    }
  }
}
