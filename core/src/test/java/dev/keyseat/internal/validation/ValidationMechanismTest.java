package dev.keyseat.internal.validation;

import static dev.keyseat.internal.validation.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.ValidatorScheduler;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The validation mechanism on a stub store, for what the contract suites do not pin: usage batches,
 * shared account objects, the known hashes of a store that cannot or will not list, the failure
 * path of a validation, closing, and the default scheduler's threads.
 */
class ValidationMechanismTest {
  private static final long SECOND = Rig.SECOND;
  private final Rig rig = new Rig();
  private final AtomicLong nanos = rig.nanos;
  private final Ticker ticker = rig.ticker;
  private final KeyFormat format = rig.format;
  private final KeyHasher hasher = rig.hasher;
  private final StubStore store = rig.store;
  private final CommitStream commits = rig.commits;
  private final OpenValidators open = rig.open;
  private final Map<String, Runnable> tasks = rig.tasks;
  private final ValidatorScheduler byHand = rig.byHand;

  @AfterEach
  void closeAll() {
    rig.close();
  }

  private ValidationCacheBuilder builder() {
    return rig.builder();
  }

  private CachedKeyValidator start(dev.keyseat.validation.CachedKeyValidatorBuilder b) {
    return rig.start(b);
  }

  /** Adds {@code count} keys to the store and returns their secrets. */
  private List<String> addKeys(int count) {
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      secrets.add(store.add(format, hasher));
    }
    return secrets;
  }

  @Test
  public void usageIsWrittenInBatchesOfAThousandKeys() {
    List<String> secrets = addKeys(1001);
    CachedKeyValidator v = start(builder());
    for (String s : secrets) {
      assertThat(v.validate(s).status()).isEqualTo(Status.VALID);
    }
    assertThat(v.validate(secrets.get(0)).status()).isEqualTo(Status.VALID);
    tasks.get("usage-flusher").run();
    assertThat(store.usageWrites.get()).as("1,001 keys: a batch of 1,000 and one of 1").isEqualTo(2);
    assertThat(store.usage).hasSize(1001);
    assertThat(store.usage.stream().mapToLong(UsageDelta::count).sum()).isEqualTo(1002);
    tasks.get("usage-flusher").run();
    assertThat(store.usageWrites.get()).as("nothing new: no write").isEqualTo(2);
  }

  @Test
  public void aFailedBatchStopsTheFlushAndEveryCountIsWrittenByTheNext() {
    List<String> secrets = addKeys(1500);
    CachedKeyValidator v = start(builder());
    secrets.forEach(v::validate);
    store.failing = true;
    tasks.get("usage-flusher").run();
    assertThat(store.usageWrites.get()).as("the first batch failed; the second is not tried").isEqualTo(1);
    store.failing = false;
    tasks.get("usage-flusher").run();
    assertThat(store.usage.stream().mapToLong(UsageDelta::count).sum()).isEqualTo(1500);
  }

  @Test
  public void verdictsOfOneAccountShareOneAccountObject() {
    String a = store.add(format, hasher);
    String b = store.add(format, hasher);
    CachedKeyValidator v = start(builder());
    Verdict va = v.validate(a);
    Verdict vb = v.validate(b);
    assertThat(va.accountId()).isEqualTo(vb.accountId()).isSameAs(vb.accountId());
  }

  @Test
  public void aStoreThatCannotListItsKeysLeavesMadeUpKeysToTheBudgetAlone() {
    store.unlisted = true;
    String real = store.add(format, hasher);
    CachedKeyValidator v = start(builder().storeLookupsPerSecond(4));
    for (int i = 0; i < 4; i++) {
      assertThat(v.validate(format.generate()).status()).isEqualTo(Status.UNKNOWN);
    }
    assertThat(v.validate(format.generate()).status()).as("budget spent, nothing rules it out").isEqualTo(Status.UNAVAILABLE);
    assertThat(v.validate(real).status()).isEqualTo(Status.UNAVAILABLE);
    tasks.get("feed-poller").run();
    nanos.addAndGet(SECOND);
    assertThat(v.validate(real).status()).isEqualTo(Status.VALID);
  }

  @Test
  public void aListingThatFailsIsTriedAgainAtTheNextPoll() {
    String real = store.add(format, hasher);
    store.failListing = true;
    CachedKeyValidator v = start(builder().storeLookupsPerSecond(4));
    assertThat(v.validate(real).status()).as("the feed answers: the validator serves").isEqualTo(Status.VALID);
    for (int i = 0; i < 3; i++) {
      v.validate(format.generate());
    }
    assertThat(v.validate(format.generate()).status()).as("no listing yet: past the budget").isEqualTo(Status.UNAVAILABLE);
    store.failListing = false;
    tasks.get("feed-poller").run();
    assertThat(v.validate(format.generate()).status()).as("listed now: ruled out").isEqualTo(Status.UNKNOWN);
    assertThat(store.lookups.get()).isEqualTo(4);
  }

  @Test
  public void aKeyFoundByLookupButNotListedJoinsTheKnownHashes() {
    CachedKeyValidator v = start(builder().storeLookupsPerSecond(4));
    String late = store.add(format, hasher); // created after the listing, its event not read yet
    assertThat(v.validate(late).status()).isEqualTo(Status.VALID);
    for (int i = 0; i < 10; i++) {
      v.validate(format.generate());
    }
    // the budget is spent down to its reserve; the late key's cached entry goes stale by its stamp
    store.keys.values().forEach(k -> commits.publish(List.of(new dev.keyseat.spi.ChangeEvent(0,
        dev.keyseat.spi.ChangeEvent.Type.EDITED, k.accountId(), k.id(), List.of(), Instant.EPOCH))));
    assertThat(v.validate(late).status()).as("possible: served from the reserve").isEqualTo(Status.VALID);
  }

  @Test
  public void aThrowingMetricsReceiverCountsTheFailureAsUnavailable() {
    String real = store.add(format, hasher);
    AtomicInteger unavailable = new AtomicInteger();
    ValidatorMetrics metrics = new ValidatorMetrics() {
      @Override
      public void cacheHit() {
        throw new IllegalStateException("broken meter");
      }

      @Override
      public void verdict(Status status) {
        if (status == Status.UNAVAILABLE) {
          unavailable.incrementAndGet();
        }
      }
    };
    CachedKeyValidator v = start(builder().metrics(metrics));
    assertThat(v.validate(real).status()).isEqualTo(Status.VALID);
    assertThat(v.validate(real).status()).isEqualTo(Status.UNAVAILABLE);
    assertThat(unavailable.get()).isEqualTo(1);
  }

  @Test
  public void closingStopsListeningToCommitsDropsTheEntriesAndSaysSo() {
    String real = store.add(format, hasher);
    CachedKeyValidator v = start(builder());
    v.validate(real);
    assertThat(v.estimatedSize()).isEqualTo(1);
    assertThat(v.toString()).contains("entries=1").doesNotContain("closed").doesNotContain("preloaded");
    assertThat(open.size()).isEqualTo(1);
    v.close();
    assertThat(v.estimatedSize()).isZero();
    assertThat(v.toString()).contains("closed");
    assertThat(open.size()).isZero();
    assertThat(tasks).isEmpty();
    assertThat(v.validate(real).status()).isEqualTo(Status.UNAVAILABLE);
    int lookups = store.lookups.get();
    commits.publish(List.of(new dev.keyseat.spi.ChangeEvent(0, dev.keyseat.spi.ChangeEvent.Type.DELETED,
        dev.keyseat.AccountId.of("acme"), dev.keyseat.KeyId.of("key_00000001"),
        List.of(hasher.hash(real)), Instant.EPOCH)));
    assertThat(store.lookups.get()).as("a closed validator ignores commits").isEqualTo(lookups);
  }

  @Test
  public void aPreloadedValidatorCountsItsHashesAndSaysItIsPreloaded() {
    store.add(format, hasher);
    store.add(format, hasher);
    CachedKeyValidator v = start(builder().preloadAllKeys());
    assertThat(v.estimatedSize()).isEqualTo(2);
    assertThat(v.toString()).contains("preloaded");
    assertThat(v.validate(format.generate()).status()).isEqualTo(Status.UNKNOWN);
    assertThat(store.lookups.get()).isZero();
  }

  @Test
  public void aPreloadedKeyPastItsExpiryIsReadAgainOnceAndAnsweredExpired() {
    Instant expiry = Rig.NOW.plusSeconds(60);
    String real = store.add(format, hasher, expiry);
    CachedKeyValidator v = start(rig.builder(rig.movingClock(), CoarseTicker.precise(ticker)).preloadAllKeys());
    assertThat(v.validate(real).status()).isEqualTo(Status.VALID);
    nanos.addAndGet(60 * SECOND); // the clock reaches the expiry
    tasks.get("feed-poller").run();
    assertThat(v.validate(real).status()).isEqualTo(Status.EXPIRED);
    assertThat(v.validate(real).status()).isEqualTo(Status.EXPIRED);
    assertThat(store.lookups.get()).as("one re-read at the expiry").isEqualTo(1);
  }

  @Test
  public void theDefaultSchedulerRunsEachTaskOnItsOwnDaemonThreadAndCancelJoinsIt() throws InterruptedException {
    DaemonScheduler scheduler = new DaemonScheduler();
    AtomicInteger runs = new AtomicInteger();
    AtomicReference<Thread> ran = new AtomicReference<>();
    ValidatorScheduler.Cancellable c = scheduler.schedule("probe", Duration.ofMillis(1), () -> {
      ran.set(Thread.currentThread());
      runs.incrementAndGet();
    });
    await("the task ran twice", () -> runs.get() >= 2);
    Thread t = ran.get();
    assertThat(t.getName()).startsWith("keyseat-probe-");
    assertThat(t.isDaemon()).isTrue();
    c.cancel();
    assertThat(t.isAlive()).as("cancel waited for the thread to end").isFalse();
    int after = runs.get();
    c.cancel();
    assertThat(runs.get()).isEqualTo(after);
  }

  @Test
  public void aTaskMayCancelItselfWithoutWaitingForItself() throws InterruptedException {
    DaemonScheduler scheduler = new DaemonScheduler();
    AtomicReference<ValidatorScheduler.Cancellable> self = new AtomicReference<>();
    CountDownLatch scheduled = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    self.set(scheduler.schedule("selfish", Duration.ofMillis(1), () -> {
      try {
        scheduled.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      self.get().cancel();
      cancelled.countDown();
    }));
    scheduled.countDown();
    assertThat(cancelled.await(30, TimeUnit.SECONDS)).as("a self-cancel returns").isTrue();
  }

  @Test
  public void aValidatorBuiltWithoutASchedulerRunsItsTasksOnItsOwnThreadsAndStopsThem() {
    ValidationCacheBuilder b = new ValidationCacheBuilder(store, format, hasher,
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), commits, open).time(CoarseTicker.precise(ticker));
    Map<Thread, Boolean> before = new IdentityHashMap<>();
    Thread.getAllStackTraces().keySet().forEach(t -> before.put(t, true));
    CachedKeyValidator v = b.build();
    List<Thread> mine = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.containsKey(t) && t.getName().startsWith("keyseat-")).toList();
    assertThat(mine).extracting(Thread::getName).anyMatch(n -> n.startsWith("keyseat-feed-poller-"))
        .anyMatch(n -> n.startsWith("keyseat-usage-flusher-"));
    v.close();
    assertThat(mine).noneMatch(Thread::isAlive);
  }
}
