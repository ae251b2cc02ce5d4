package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.validation.Verdict;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The validator's builder refuses bad settings at once, saying what is wrong. */
class CachedKeyValidatorBuilderTest {
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).clock(clock).build();

  private CachedKeyValidatorBuilder builder() {
    return keyseat.validator().scheduler(scheduler);
  }

  @Test
  void everySetterRejectsAnOutOfRangeValueWithItsName() {
    assertThatThrownBy(() -> builder().maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maximum size must be positive, was 0");
    assertThatThrownBy(() -> builder().negativeEntryTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("negative entry TTL must be between PT0.001S and PT24H, was PT0S");
    assertThatThrownBy(() -> builder().feedPollInterval(Duration.ofHours(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("feed poll interval must be between PT0.001S and PT1H, was PT2H");
    assertThatThrownBy(() -> builder().maxStaleness(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maximum staleness must be between");
    assertThatThrownBy(() -> builder().storeLookupsPerSecond(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("store lookups per second must be positive, was 0");
    assertThatThrownBy(() -> builder().usageFlushInterval(Duration.ofDays(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("usage flush interval must be between");
    assertThatThrownBy(() -> builder().rateLimit(0, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("rate limit requests must be positive, was 0");
    assertThatThrownBy(() -> builder().rateLimit(6, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("rate limit period must be between");
  }

  @Test
  void nullsAreRejectedByName() {
    assertThatThrownBy(() -> builder().negativeEntryTtl(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("negative entry TTL");
    assertThatThrownBy(() -> builder().metrics(null)).isInstanceOf(NullPointerException.class).hasMessage("metrics");
    assertThatThrownBy(() -> builder().ticker(null)).isInstanceOf(NullPointerException.class).hasMessage("ticker");
    assertThatThrownBy(() -> builder().scheduler(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("scheduler");
  }

  @Test
  void aContradictionIsRefusedAtTheSetterThatCausesItNamingBothSettings() {
    assertThatThrownBy(() -> builder().feedPollInterval(Duration.ofSeconds(10)).maxStaleness(Duration.ofSeconds(10)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxStaleness(PT10S) must exceed feedPollInterval(PT10S), or the validator would fail closed"
            + " between two polls; raise maxStaleness or shorten the interval");
    assertThatThrownBy(() -> builder().maxStaleness(Duration.ofSeconds(5)).feedPollInterval(Duration.ofSeconds(6)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("maxStaleness(PT5S) must exceed feedPollInterval(PT6S)");
    assertThatThrownBy(() -> builder().preloadAllKeys().maximumSize(10))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("preloadAllKeys() keeps every key and cannot be combined with maximumSize(10); choose one");
    assertThatThrownBy(() -> builder().maximumSize(10).preloadAllKeys())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("preloadAllKeys() keeps every key and cannot be combined with maximumSize(10); choose one");
    assertThat(scheduler.activeTasks()).isEmpty();
  }

  @Test
  void aContradictionWithADefaultIsRefusedAtBuildNamingBothAndStartsNothing() {
    assertThatThrownBy(() -> builder().feedPollInterval(Duration.ofMinutes(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("maxStaleness(PT30S) must exceed feedPollInterval(PT1M)");
    assertThatThrownBy(() -> builder().maxStaleness(Duration.ofMillis(500)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("maxStaleness(PT0.5S) must exceed feedPollInterval(PT1S)");
    assertThat(scheduler.activeTasks()).isEmpty();
  }

  @Test
  void settingsInEitherOrderBuildWhenTheyAgree() {
    try (CachedKeyValidator a = builder().feedPollInterval(Duration.ofMinutes(1)).maxStaleness(Duration.ofMinutes(5)).build();
        CachedKeyValidator b = builder().maxStaleness(Duration.ofMinutes(5)).feedPollInterval(Duration.ofMinutes(1)).build()) {
      assertThat(a.validate("not a key")).isSameAs(Verdict.MALFORMED);
      assertThat(b.validate("not a key")).isSameAs(Verdict.MALFORMED);
    }
  }

  @Test
  void aRejectedSettingLeavesTheBuilderUsable() {
    CachedKeyValidatorBuilder b = builder();
    assertThatThrownBy(() -> b.maximumSize(-5)).isInstanceOf(IllegalArgumentException.class);

    try (CachedKeyValidator v = b.build()) {
      assertThat(v.validate("not a key")).isSameAs(Verdict.MALFORMED);
      assertThat(scheduler.activeTasks()).containsExactlyInAnyOrder("feed-poller", "usage-flusher");
    }
    assertThat(scheduler.activeTasks()).isEmpty();
  }
}
