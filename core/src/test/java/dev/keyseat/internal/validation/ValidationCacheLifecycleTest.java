package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.keyseat.KeyId;
import dev.keyseat.LegacyKeyShape;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeEvent.Type;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.RateLimitMode;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The cached validator's life around the hot path: what building and closing start and stop, the
 * usage it writes (when last used, one delta per key), its metrics, the builder's choices (cluster
 * rate limits, the hot path's time) and an expiry too far ahead for nanoseconds.
 */
class ValidationCacheLifecycleTest extends RigTest {
  /** @return a change of the key of {@code secret}, appended to the feed */
  private ChangeEvent edited(String secret) {
    return store.change(Type.EDITED, hashOf(secret));
  }

  @Test
  public void closingStopsTheHotPathClockWritesTheCountedUsageAndIsDoneOnce() {
    String key = rig.key();
    CoarseTicker time = CoarseTicker.over(rig.ticker);
    time.publish();
    CachedKeyValidator v = rig.start(rig.builder(Clock.fixed(Rig.NOW, ZoneOffset.UTC), time).metrics(metrics));
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    v.close();
    assertThat(time.publishing()).as("the clock is stopped").isFalse();
    assertThat(store.usage).extracting(UsageDelta::count).containsExactly(1L);
    verify(metrics).usageFlushed(1);
    v.close();
    assertThat(store.usageWrites.get()).as("a second close does nothing").isEqualTo(1);
    assertThat(v.validate(key).status()).isEqualTo(Status.UNAVAILABLE);
  }

  @Test
  public void aClosedPreloadedValidatorNoLongerReReadsCommittedKeys() {
    String key = rig.key();
    CachedKeyValidator v = rig.start(rig.builder().preloadAllKeys());
    assertThat(v.estimatedSize()).isEqualTo(1);
    v.close();
    assertThat(v.estimatedSize()).as("its hashes dropped").isZero();
    rig.commits.publish(List.of(edited(key)));
    assertThat(store.lookups.get()).isZero();
  }

  @Test
  public void aPreloadOfAStoreThatCannotListFailsTheBuildAndLeavesNothingRunning() {
    store.unlisted = true;
    String key = rig.key();
    CoarseTicker time = CoarseTicker.over(rig.ticker);
    time.publish();
    assertThatThrownBy(() -> rig.builder(Clock.fixed(Rig.NOW, ZoneOffset.UTC), time).preloadAllKeys().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot preload all keys")
        .hasMessageContaining("no listing here");
    assertThat(time.publishing()).as("its clock stopped").isFalse();
    assertThat(rig.tasks).as("nothing scheduled").isEmpty();
    assertThat(rig.open.size()).isZero();
    rig.commits.publish(List.of(edited(key)));
    assertThat(store.lookups.get()).as("not listening to commits").isZero();
  }

  @Test
  public void usageCarriesTheLastUseMeasuredOnTheTickerAndOneDeltaPerKey() {
    String key = rig.key();
    String other = rig.key();
    CachedKeyValidator v = rig.start(rig.builder().metrics(metrics));
    v.validate(key);
    v.validate(other);
    rig.nanos.addAndGet(SECOND);
    rig.commits.publish(List.of(edited(key))); // a new entry for the key: two entries count its uses
    v.validate(key);
    v.validate(key);
    rig.nanos.addAndGet(2 * SECOND);
    rig.run("usage-flusher");
    Map<KeyId, UsageDelta> byKey = store.usage.stream().collect(Collectors.toMap(UsageDelta::keyId, d -> d));
    assertThat(byKey).hasSize(2);
    UsageDelta k = byKey.get(Objects.requireNonNull(store.keys.get(hashOf(key))).id());
    assertThat(k.count()).isEqualTo(3);
    assertThat(k.lastUsedAt()).as("the later of its entries' last uses").isEqualTo(Rig.NOW.minusSeconds(2));
    UsageDelta o = byKey.get(Objects.requireNonNull(store.keys.get(hashOf(other))).id());
    assertThat(o.count()).isEqualTo(1);
    assertThat(o.lastUsedAt()).isEqualTo(Rig.NOW.minusSeconds(3));
    verify(metrics).usageFlushed(2);
    assertThat(store.usageWrites.get()).isEqualTo(1);
  }

  @Test
  public void aFlushWritesTheUsageCountedBeforeItStartedAndLeavesUsesCountedMeanwhileForTheNext() {
    // more keys than one batch, so that the flush writes while it still drains its queue
    int n = ValidationCache.USAGE_BATCH + 1;
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(rig.key());
    }
    CachedKeyValidator v = rig.start(rig.builder());
    keys.forEach(v::validate);
    // every key is used once more while each write runs, as on a busy gateway (at most 3 times,
    // so that a flush that never ends shows as extra writes instead of hanging the test)
    AtomicInteger busyWrites = new AtomicInteger();
    store.duringUsageWrite = () -> {
      if (busyWrites.incrementAndGet() <= 3) {
        keys.forEach(v::validate);
      }
    };

    rig.run("usage-flusher");
    assertThat(store.usageWrites.get()).as("one flush: a batch of 1,000 and one of the rest").isEqualTo(2);
    assertThat(usesWritten()).as("the uses counted before the flush, and one key's use during the first write")
        .isEqualTo(n + 1);

    store.duringUsageWrite = null;
    rig.run("usage-flusher");
    assertThat(usesWritten()).as("the uses counted during the first flush's two writes, in the next").isEqualTo(3L * n);
    assertThat(store.usageWrites.get()).isEqualTo(4);
  }

  private long usesWritten() {
    synchronized (store) {
      return store.usage.stream().mapToLong(UsageDelta::count).sum();
    }
  }

  @Test
  public void theBoundedCacheDoesItsMaintenanceOnTheCallingThreadSoItNeverHoldsMoreThanItsMaximum() {
    // Maintenance handed to another thread (Caffeine's default, ForkJoinPool's common pool) lets
    // the size run past the maximum until that thread gets to it.
    CachedKeyValidator v = rig.start(rig.builder().maximumSize(100));
    for (int i = 0; i < 2_000; i++) {
      assertThat(v.validate(rig.key()).status()).isEqualTo(Status.VALID);
      assertThat(v.estimatedSize()).as("after key %d", i).isLessThanOrEqualTo(100);
    }
  }

  @Test
  public void metricsCountEachHitMissLookupAndVerdict() {
    String key = rig.key();
    CachedKeyValidator v = rig.start(rig.builder().metrics(metrics));
    v.validate(key);
    v.validate(key);
    v.validate(key, "another device");
    v.validate("nope");
    verify(metrics, times(1)).cacheMiss();
    verify(metrics, times(2)).cacheHit();
    verify(metrics, times(1)).storeLookup();
    verify(metrics, times(2)).verdict(Status.VALID);
    verify(metrics, times(1)).verdict(Status.DEVICE_MISMATCH);
    verify(metrics, times(1)).verdict(Status.MALFORMED);
  }

  @Test
  public void aKeyExpiringCenturiesAheadIsValid() {
    String key = store.add(rig.format, rig.hasher, Rig.NOW.plus(Duration.ofDays(365L * 400)));
    CachedKeyValidator v = rig.start(rig.builder());
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
  }

  @Test
  public void aClusterRateLimitAsksTheStoresSharedLimiterPerValidation() {
    String key = rig.key();
    List<KeyId> asked = new CopyOnWriteArrayList<>();
    store.shared = id -> {
      asked.add(id);
      return asked.size() == 1 ? 0 : 5_000_000L; // the second request waits 5 ms
    };
    CachedKeyValidator v = rig.start(rig.builder().rateLimit(10, Duration.ofSeconds(1)).rateLimitMode(RateLimitMode.CLUSTER));
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    Verdict limited = v.validate(key);
    assertThat(limited.status()).isEqualTo(Status.RATE_LIMITED);
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofMillis(5));
    KeyId id = Objects.requireNonNull(store.keys.get(hashOf(key))).id();
    assertThat(asked).containsExactly(id, id);
  }

  @Test
  public void aClusterRateLimitOnAStoreWithoutSharedLimitsFailsTheBuild() {
    assertThatThrownBy(() -> rig.builder().rateLimit(10, Duration.ofSeconds(1)).rateLimitMode(RateLimitMode.CLUSTER)
        .build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rateLimitMode(CLUSTER) needs a store that holds shared rate limits")
        .hasCauseInstanceOf(UnsupportedOperationException.class);
    assertThat(rig.open.size()).isZero();
  }

  @Test
  public void aLocalRateLimitCountsOnThisNode() {
    String key = rig.key();
    CachedKeyValidator v = rig.start(rig.builder().rateLimit(2, Duration.ofSeconds(1)));
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(v.validate(key).status()).isEqualTo(Status.RATE_LIMITED);
    rig.nanos.addAndGet(SECOND);
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
  }

  @Test
  public void onTheSystemClockTheHotPathTimeIsPublishedByHelperThreadsThatCloseStops() {
    Set<Thread> before = Rig.threadsNamed("keyseat-clock-");
    ValidationCacheBuilder b = new ValidationCacheBuilder(store, rig.format, rig.hasher, Clock.systemUTC(), rig.commits,
        rig.open);
    b.scheduler(rig.byHand);
    CachedKeyValidator v = b.build();
    Set<Thread> helpers = Rig.threadsNamed("keyseat-clock-");
    helpers.removeAll(before);
    assertThat(helpers).as("a publisher and a watchdog").hasSize(2).allMatch(Thread::isDaemon);
    v.close();
    assertThat(helpers).noneMatch(Thread::isAlive);
  }

  @Test
  public void onAnyOtherClockTheTickerIsReadOnEveryCallWithoutHelperThreads() {
    Set<Thread> before = Rig.threadsNamed("keyseat-clock-");
    ValidationCacheBuilder b = new ValidationCacheBuilder(store, rig.format, rig.hasher,
        Clock.fixed(Rig.NOW, ZoneOffset.UTC), rig.commits, rig.open);
    b.scheduler(rig.byHand);
    rig.start(b);
    Set<Thread> after = Rig.threadsNamed("keyseat-clock-");
    after.removeAll(before);
    assertThat(after).isEmpty();
    assertThat(ValidationCacheBuilder.defaultTicker(Clock.systemUTC())).isSameAs(Ticker.system());
    assertThat(ValidationCacheBuilder.defaultTicker(Clock.fixed(Rig.NOW, ZoneOffset.UTC))).isNotSameAs(Ticker.system());
    Instant later = Rig.NOW.plusSeconds(1);
    assertThat(ValidationCacheBuilder.defaultTicker(Clock.fixed(later, ZoneOffset.UTC)).read()
        - ValidationCacheBuilder.defaultTicker(Clock.fixed(Rig.NOW, ZoneOffset.UTC)).read()).isEqualTo(SECOND);
  }

  @Test
  public void aKeyOfADeclaredLegacyShapeIsLoadedOnceAndServedFromTheCache() {
    try (Rig legacy = new Rig(new KeyFormat("ks", new SecureRandom(), List.of(LegacyKeyShape.uuid())))) {
      String imported = legacy.store.add(UUID.randomUUID().toString(), legacy.format, legacy.hasher, null);
      String nativeKey = legacy.key();
      CachedKeyValidator v = legacy.start(legacy.builder());
      assertThat(v.validate(imported).status()).isEqualTo(Status.VALID);
      assertThat(v.validate(imported).status()).isEqualTo(Status.VALID);
      assertThat(v.validate(nativeKey).status()).isEqualTo(Status.VALID);
      assertThat(legacy.store.lookups.get()).as("each loaded once").isEqualTo(2);
      assertThat(v.validate(UUID.randomUUID().toString()).status()).as("the shape, not a stored key")
          .isEqualTo(Status.UNKNOWN);
      assertThat(v.validate("not-a-uuid-and-not-a-key").status()).isEqualTo(Status.MALFORMED);
    }
  }

  /**
   * Native keys are indexed by the PRF of their body alone (the prefix is fixed, the checksum a
   * function of the body). A legacy shape may accept exactly such a body, so legacy keys have a
   * PRF key of their own: a cached native key's body, presented as a legacy key, is looked up as
   * the different key it is.
   */
  @Test
  public void aLegacyKeyThatSpellsACachedNativeKeysBodyIsNotAnsweredFromItsEntry() {
    LegacyKeyShape bodies = LegacyKeyShape.pattern("[0-9A-Za-z]{27}", KeyFormat.BODY_LENGTH, KeyFormat.BODY_LENGTH);
    try (Rig legacy = new Rig(new KeyFormat("ks", new SecureRandom(), List.of(bodies)))) {
      String nativeKey = legacy.key();
      String otherNative = legacy.key();
      String imported = legacy.store.add(otherNative.substring(3, 3 + KeyFormat.BODY_LENGTH), legacy.format,
          legacy.hasher, null);
      CachedKeyValidator v = legacy.start(legacy.builder());
      assertThat(v.validate(nativeKey).status()).isEqualTo(Status.VALID);
      assertThat(v.validate(otherNative).status()).isEqualTo(Status.VALID);
      String nativeBody = nativeKey.substring(3, 3 + KeyFormat.BODY_LENGTH);
      assertThat(v.validate(nativeBody).status()).as("the cached native key's body, a legacy key nobody stored")
          .isEqualTo(Status.UNKNOWN);
      Verdict importedVerdict = v.validate(imported);
      assertThat(importedVerdict.status()).isEqualTo(Status.VALID);
      assertThat(importedVerdict.deviceSerial()).as("its own row, not the native key's")
          .isNotEqualTo(v.validate(otherNative).deviceSerial());
      assertThat(legacy.store.lookups.get()).as("four keys, each loaded once").isEqualTo(4);
    }
  }

  @Test
  public void aPreloadedKeyPastItsExpiryIsReReadWithinTheBudgetAndCountedEitherWay() {
    String first = store.add(rig.format, rig.hasher, Rig.NOW.plusSeconds(60));
    String second = store.add(rig.format, rig.hasher, Rig.NOW.plusSeconds(60));
    CachedKeyValidator v = rig.start(rig.builder(rig.movingClock(), CoarseTicker.precise(rig.ticker)).metrics(metrics)
        .storeLookupsPerSecond(1).preloadAllKeys());
    rig.nanos.addAndGet(60 * SECOND);
    rig.run("feed-poller");
    assertThat(v.validate(first).status()).isEqualTo(Status.EXPIRED);
    verify(metrics, times(1)).storeLookup();
    assertThat(v.validate(second).status()).as("the budget is spent").isEqualTo(Status.UNAVAILABLE);
    verify(metrics, times(1)).storeLookupRefused();
    rig.nanos.addAndGet(SECOND);
    rig.run("feed-poller");
    assertThat(v.validate(second).status()).isEqualTo(Status.EXPIRED);
    verify(metrics, times(2)).storeLookup();
  }
}
