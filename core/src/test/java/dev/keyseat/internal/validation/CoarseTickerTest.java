package dev.keyseat.internal.validation;

import static dev.keyseat.internal.validation.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorScheduler;
import dev.keyseat.validation.Verdict.Status;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hot path's coarse time: no ticker read per validation, and a stalled publisher still fails
 * closed within {@code maxStaleness} + 10 ms. Time is an injected ticker moved by hand; nothing
 * sleeps for time to pass.
 */
class CoarseTickerTest extends RigTest {
  private static final long MS = 1_000_000L;
  private static final Duration STALENESS = Duration.ofSeconds(5);
  private CachedKeyValidator validator;

  private CachedKeyValidator build(CoarseTicker time) {
    ValidationCacheBuilder b = rig.builder(Clock.fixed(Rig.NOW, ZoneOffset.UTC), time);
    b.feedPollInterval(Duration.ofSeconds(1)).maxStaleness(STALENESS);
    validator = rig.start(b);
    return validator;
  }

  @Test
  public void aPublishedTimeIsReadInsteadOfTheTickerAndAStallIsDistrustedPastEightMilliseconds() {
    CoarseTicker time = CoarseTicker.over(rig.ticker);
    assertThat(time.publishing()).as("nothing published yet").isFalse();
    assertThat(time.read()).isEqualTo(rig.nanos.get());
    time.publish();
    long published = rig.nanos.get();
    rig.nanos.addAndGet(5 * MS);
    int before = rig.reads.get();
    assertThat(time.read()).isEqualTo(published);
    assertThat(rig.reads.get()).as("a read of the published time reads no ticker").isEqualTo(before);
    time.watch();
    assertThat(time.publishing()).as("5 ms behind: still trusted").isTrue();
    rig.nanos.addAndGet(CoarseTicker.STALL_NANOS - 5 * MS);
    time.watch();
    assertThat(time.publishing()).as("exactly 8 ms behind: still trusted").isTrue();
    rig.nanos.incrementAndGet();
    time.watch();
    assertThat(time.publishing()).as("more than 8 ms behind: distrusted").isFalse();
    assertThat(time.read()).isEqualTo(rig.nanos.get());
    time.publish();
    assertThat(time.publishing()).as("the publisher is back").isTrue();
    assertThat(time.precise()).isEqualTo(rig.nanos.get());
    assertThat(CoarseTicker.STALL_NANOS + CoarseTicker.WATCH_NANOS).isEqualTo(10 * MS);
  }

  @Test
  public void aHitReadsNoTicker() {
    String secret = store.add(rig.format, rig.hasher);
    CoarseTicker time = CoarseTicker.over(rig.ticker);
    time.publish();
    CachedKeyValidator v = build(time);
    assertThat(v.validate(secret).status()).isEqualTo(Status.VALID);
    int before = rig.reads.get();
    for (int i = 0; i < 1000; i++) {
      assertThat(v.validate(secret).status()).isEqualTo(Status.VALID);
    }
    assertThat(rig.reads.get() - before).as("ticker reads for 1,000 hits").isZero();
  }

  @Test
  public void aStalledPublisherStillFailsClosedWithinTenMillisecondsOfTheMaximumStaleness() {
    long staleness = STALENESS.toNanos();
    // when the publisher stalls, counted from the last sync: never, at once, and the worst case,
    // just before the bound; the watchdog steps every 2 ms throughout
    assertThat(firstUnavailableAfterSync(Long.MAX_VALUE)).as("publisher running").isBetween(staleness, staleness + MS);
    assertThat(firstUnavailableAfterSync(MS)).as("stalled at once").isBetween(staleness, staleness + MS);
    for (long stallAt = staleness - 12 * MS; stallAt <= staleness; stallAt += MS) {
      assertThat(firstUnavailableAfterSync(stallAt)).as("stalled %d ms after the sync", stallAt / MS)
          .isGreaterThan(staleness).isLessThanOrEqualTo(staleness + 10 * MS);
    }
  }

  /**
   * Walks time in 1 ms steps from a sync: the publisher steps every 1 ms until {@code stallAt},
   * the watchdog every 2 ms; returns when a cached valid key first turns UNAVAILABLE, then shows
   * that the validator recovers once the publisher and the feed are back.
   */
  private long firstUnavailableAfterSync(long stallAt) {
    store.keys.clear();
    String secret = store.add(rig.format, rig.hasher);
    CoarseTicker time = CoarseTicker.over(rig.ticker);
    time.publish();
    CachedKeyValidator v = build(time);
    long synced = rig.nanos.get();
    assertThat(v.validate(secret).status()).isEqualTo(Status.VALID);
    long firstUnavailable = -1;
    for (long t = MS; t <= STALENESS.toNanos() + 50 * MS; t += MS) {
      rig.nanos.set(synced + t);
      if (t < stallAt) {
        time.publish();
      }
      if (t % (2 * MS) == 0) {
        time.watch();
      }
      Status s = v.validate(secret).status();
      if (s == Status.UNAVAILABLE) {
        firstUnavailable = t;
        break;
      }
      assertThat(s).isEqualTo(Status.VALID);
    }
    time.publish();
    assertThat(v.validate(secret).status()).as("still stale: the feed was not read").isEqualTo(Status.UNAVAILABLE);
    rig.tasks.get("feed-poller").run();
    assertThat(v.validate(secret).status()).as("recovered by itself after a poll").isEqualTo(Status.VALID);
    v.close();
    validator = null;
    return firstUnavailable;
  }

  @Test
  public void withRealHelperThreadsAStalledPublisherIsCaughtByTheWatchdog() throws InterruptedException {
    String secret = store.add(rig.format, rig.hasher);
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong stallAfter = new AtomicLong(Long.MAX_VALUE);
    Ticker stallable = () -> {
      String name = Thread.currentThread().getName();
      if (name.startsWith("keyseat-clock-") && !name.contains("watchdog") && rig.nanos.get() >= stallAfter.get()) {
        try {
          release.await(); // the publisher stalls inside its ticker read
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return rig.nanos.get();
    };
    CoarseTicker time = CoarseTicker.over(stallable);
    time.start();
    try {
      CachedKeyValidator v = build(time);
      assertThat(v.validate(secret).status()).isEqualTo(Status.VALID);
      stallAfter.set(rig.nanos.get() + 1);
      rig.nanos.addAndGet(STALENESS.toNanos() + 20 * MS);
      await("the watchdog distrusts the stalled publisher's time", () -> !time.publishing());
      assertThat(v.validate(secret).status()).isEqualTo(Status.UNAVAILABLE);
    } finally {
      release.countDown();
    }
    validator.close();
    validator = null;
    assertThat(time.publishing()).as("closing the validator stopped its clock").isFalse();
  }

  /**
   * @return a ticker that holds each helper thread inside its first read until {@code release}
   *     (counting {@code blocked} down as each arrives); the test's own reads pass
   */
  private Ticker helpersHeldUntil(CountDownLatch release, CountDownLatch blocked) {
    return () -> {
      if (Thread.currentThread().getName().startsWith("keyseat-clock-") && release.getCount() > 0) {
        blocked.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return rig.nanos.get();
    };
  }

  @Test
  public void startPublishesAtOnceRunsTwoDaemonHelpersHoweverOftenCalledAndStopEndsThem() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(2);
    CoarseTicker time = CoarseTicker.over(helpersHeldUntil(release, blocked));
    assertThat(time).hasToString("CoarseTicker[precise]");
    Set<Thread> before = Rig.threadsNamed("keyseat-clock-");
    time.start();
    time.start();
    Set<Thread> helpers = Rig.threadsNamed("keyseat-clock-");
    helpers.removeAll(before);
    try {
      assertThat(blocked.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(time.publishing()).as("start published the first time itself").isTrue();
      assertThat(time).hasToString("CoarseTicker[published]");
      assertThat(helpers).as("a publisher and a watchdog").hasSize(2).allMatch(Thread::isDaemon);
    } finally {
      release.countDown();
    }
    time.stop();
    assertThat(helpers).as("stop waited for them").noneMatch(Thread::isAlive);
    assertThat(time.publishing()).as("every read is the ticker's again").isFalse();
    time.stop();
  }

  @Test
  public void stopFromAnInterruptedThreadReturnsAndKeepsTheInterrupt() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(2);
    CoarseTicker time = CoarseTicker.over(helpersHeldUntil(release, blocked));
    time.start();
    try {
      assertThat(blocked.await(30, TimeUnit.SECONDS)).isTrue();
      Thread.currentThread().interrupt();
      time.stop(); // the helpers are held: waiting for them is interrupted at once
      assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
    } finally {
      Thread.interrupted();
      release.countDown();
    }
  }
}
