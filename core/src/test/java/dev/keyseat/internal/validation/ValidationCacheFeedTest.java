package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeEvent.Type;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Verdict.Status;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Coherence of the cached validator with what other nodes change: the change feed read to its end
 * page by page, a hole in it (entries purged unread) dropping everything cached, a store that
 * repeats itself, the feed lag reported, push notifications, and this JVM's commits when re-reading
 * them fails. The feed is {@link StubStore}'s, written by the test; the poller runs by hand.
 */
class ValidationCacheFeedTest extends RigTest {
  /** A stored key, the one each test watches. */
  private final String key = rig.key();

  private CachedKeyValidator start() {
    return rig.start(rig.builder().metrics(metrics));
  }

  /** @return a started validator that holds {@code key} as valid */
  private CachedKeyValidator cachedWith(String key) {
    CachedKeyValidator v = start();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    return v;
  }

  private void assertAfterPoll(CachedKeyValidator v, String key, Status expected) {
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(expected);
  }

  /** Suspends the stored key of {@code secret}, as another node would, and appends its change to the feed. */
  private ChangeEvent suspendElsewhere(String secret) {
    KeyHash h = hashOf(secret);
    store.keys.put(h, Objects.requireNonNull(store.keys.get(h)).withSuspended(true));
    return store.change(Type.SUSPENDED, h);
  }

  /** Appends {@code n} changes of keys this validator never saw. */
  private void otherChanges(int n) {
    for (int i = 0; i < n; i++) {
      store.change(Type.EDITED, rig.hasher.hash(rig.format.generate()));
    }
  }

  @Test
  public void anotherNodesChangeReadFromTheFeedOutdatesTheCachedEntry() {
    CachedKeyValidator v = cachedWith(key);
    suspendElsewhere(key);
    assertThat(v.validate(key).status()).as("not polled yet: cached").isEqualTo(Status.VALID);
    assertAfterPoll(v, key, Status.SUSPENDED);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aFeedLongerThanAPageIsReadToItsEndInOnePoll() {
    CachedKeyValidator v = cachedWith(key);
    otherChanges(ValidationCache.FEED_PAGE);
    suspendElsewhere(key); // the 501st change: on the second page
    store.pagesAsked.clear();
    rig.run("feed-poller");
    assertThat(store.pagesAsked).as("a full page, then the rest").containsExactly(ValidationCache.FEED_PAGE,
        ValidationCache.FEED_PAGE);
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    store.pagesAsked.clear();
    rig.run("feed-poller");
    assertThat(store.pagesAsked).as("read to its end before: one empty page").containsExactly(ValidationCache.FEED_PAGE);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aPollThatFindsNothingNewKeepsTheCacheAndCountsNoGap() {
    otherChanges(3);
    CachedKeyValidator v = cachedWith(key); // the cursor starts at the feed's latest, 3
    rig.run("feed-poller");
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("still cached").isEqualTo(1);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aStoreThatRepeatsTheEventAtTheCursorChangesNothing() {
    CachedKeyValidator v = cachedWith(key);
    otherChanges(2);
    store.repeating = true;
    rig.run("feed-poller");
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("nothing dropped").isEqualTo(1);
    suspendElsewhere(key);
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).as("a new event still applies").isEqualTo(Status.SUSPENDED);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void anEventReadJustAfterAnEmptyPageIsAppliedWithoutAGap() {
    CachedKeyValidator v = cachedWith(key);
    suspendElsewhere(key);
    store.emptyReads.set(1); // the first page misses it; the feed's latest sequence already counts it
    assertAfterPoll(v, key, Status.SUSPENDED);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aHoleInTheFeedDropsEveryCachedEntryCountsAGapAndGoesOnFromTheLatest() {
    CachedKeyValidator v = cachedWith(key);
    otherChanges(3);
    store.purgeUpTo(2); // changes 1 and 2 were purged unread; 3 is left
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("dropped: read again").isEqualTo(2);
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    suspendElsewhere(key); // change 4 follows the cursor (3) without a hole
    assertAfterPoll(v, key, Status.SUSPENDED);
    verify(metrics, times(1)).feedGap();
  }

  @Test
  public void anEmptyFeedBelowItsLatestSequenceMeansEverythingUnreadWasPurged() {
    CachedKeyValidator v = cachedWith(key);
    otherChanges(2);
    store.purgeUpTo(2);
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    v.validate(key);
    assertThat(store.lookups.get()).as("dropped: read again").isEqualTo(2);
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
  }

  @Test
  public void aHoleInAPreloadedFeedReloadsEveryKey() {
    CachedKeyValidator v = rig.start(rig.builder().metrics(metrics).preloadAllKeys());
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    KeyHash h = hashOf(key);
    store.keys.put(h, Objects.requireNonNull(store.keys.get(h)).withSuspended(true));
    store.change(Type.SUSPENDED, h);
    otherChanges(1);
    store.purgeUpTo(1); // the suspension's change is gone; only a reload can tell
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    assertThat(store.lookups.get()).as("reloaded by listing, not by lookups").isZero();
  }

  @Test
  public void theFeedLagIsTheTimeSinceThePollThatLastReadTheFeed() {
    rig.nanos.set(-1000 * SECOND); // a ticker may run below zero, as System.nanoTime may
    CachedKeyValidator v = start();
    verify(metrics).feedLag(Duration.ZERO);
    rig.nanos.addAndGet(3 * SECOND);
    rig.run("feed-poller");
    verify(metrics, times(2)).feedLag(Duration.ZERO);
    store.failing = true;
    rig.nanos.addAndGet(2 * SECOND);
    rig.run("feed-poller");
    verify(metrics).feedLag(Duration.ofSeconds(2));
    assertThat(v.validate(rig.format.generate()).status()).isEqualTo(Status.UNAVAILABLE);
  }

  @Test
  public void beforeTheFirstSuccessfulPollTheLagCountsFromTheStart() {
    store.failing = true;
    start();
    verify(metrics).feedLag(Duration.ZERO);
    rig.nanos.addAndGet(4 * SECOND);
    rig.run("feed-poller");
    verify(metrics).feedLag(Duration.ofSeconds(4));
  }

  @Test
  public void aNotificationReadsTheFeedAtOnceAndClosingEndsTheSubscription() {
    ChangeSubscription subscription = mock(ChangeSubscription.class);
    store.subscription = subscription;
    CachedKeyValidator v = cachedWith(key);
    suspendElsewhere(key);
    Objects.requireNonNull(store.listener).run();
    assertThat(v.validate(key).status()).as("no poll: the notification read the feed").isEqualTo(Status.SUSPENDED);
    verify(subscription, never()).close();
    v.close();
    v.close();
    verify(subscription, times(1)).close();
  }

  @Test
  public void withNotificationsTurnedOffTheValidatorDoesNotSubscribe() {
    store.subscription = mock(ChangeSubscription.class);
    rig.start(rig.builder().changeNotifications(false));
    assertThat(store.listener).isNull();
  }

  @Test
  public void aStoreThatCannotSubscribeLeavesTheValidatorPolling() {
    store.subscribeFailure = new IllegalStateException("listener connection refused");
    CachedKeyValidator v = cachedWith(key);
    suspendElsewhere(key);
    assertAfterPoll(v, key, Status.SUSPENDED);
  }

  @Test
  public void aPreloadedValidatorReReadsEachCommittedKeyOnceAndCountsTheLookup() {
    CachedKeyValidator v = rig.start(rig.builder().metrics(metrics).preloadAllKeys());
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    rig.commits.publish(List.of(suspendElsewhere(key)));
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    assertThat(store.lookups.get()).isEqualTo(1);
    verify(metrics, times(1)).storeLookup();
  }

  @Test
  public void aCommitThatCannotBeReReadIsForgottenUntilTheFeedBringsItBack() {
    CachedKeyValidator v = rig.start(rig.builder().preloadAllKeys());
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    ChangeEvent change = store.change(Type.EDITED, hashOf(key));
    store.failing = true;
    rig.commits.publish(List.of(change));
    assertThat(v.validate(key).status()).as("forgotten, not served from before the change").isEqualTo(Status.UNKNOWN);
    store.failing = false;
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
  }

  @Test
  public void aBoundedValidatorOutdatesACommittedKeyAndReadsItAgain() {
    CachedKeyValidator v = cachedWith(key);
    rig.commits.publish(List.of(suspendElsewhere(key)));
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    verify(metrics, times(2)).storeLookup();
  }

  @Test
  public void theStoreIsListedOnceAndAgainOnlyAfterAHole() {
    CachedKeyValidator v = cachedWith(key);
    rig.run("feed-poller");
    rig.run("feed-poller");
    assertThat(store.listings.get()).as("listed at the start only").isEqualTo(1);
    otherChanges(2);
    store.purgeUpTo(1);
    rig.run("feed-poller");
    assertThat(store.listings.get()).as("listed again after the hole").isEqualTo(2);
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
  }

  @Test
  public void aStoreThatCannotListIsNotAskedAgain() {
    store.unlisted = true;
    cachedWith(key);
    rig.run("feed-poller");
    rig.run("feed-poller");
    assertThat(store.listings.get()).isEqualTo(1);
  }

  @Test
  public void aKeyCreatedAfterTheListingJoinsTheKnownHashesByItsCommit() {
    CachedKeyValidator v = rig.start(rig.builder().storeLookupsPerSecond(4)); // a reserve of 1
    String late = rig.key();
    rig.commits.publish(List.of(store.change(Type.CREATED, hashOf(late))));
    for (int i = 0; i < 5; i++) {
      assertThat(v.validate(rig.format.generate()).status()).isEqualTo(Status.UNKNOWN);
    }
    assertThat(store.lookups.get()).as("made-up keys leave the reserve").isEqualTo(3);
    assertThat(v.validate(late).status()).as("known by its commit: served from the reserve").isEqualTo(Status.VALID);
  }

  @Test
  public void anOldSecretInItsOverlapIsValidUntilTheOverlapEndsThenRevoked() {
    String renewed = rig.format.generate();
    KeyHash old = hashOf(key);
    StoredKey row = Objects.requireNonNull(store.keys.get(old)).regenerated(hashOf(renewed), rig.format.hint(renewed),
        null, Rig.NOW, Rig.NOW.plusSeconds(10));
    store.keys.put(old, row);
    store.keys.put(hashOf(renewed), row);
    CachedKeyValidator v = rig.start(rig.builder(rig.movingClock(), CoarseTicker.precise(rig.ticker)));
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(v.validate(renewed).status()).isEqualTo(Status.VALID);
    rig.nanos.addAndGet(9 * SECOND);
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("cached until the overlap ends").isEqualTo(2);
    rig.nanos.addAndGet(2 * SECOND);
    assertThat(v.validate(key).status()).isEqualTo(Status.REVOKED);
    assertThat(v.validate(renewed).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("only the old secret read again").isEqualTo(3);
  }

  /** A made-up key, and a row whose hashes no longer include the presented one (it rotated meanwhile). */
  @Test
  public void anUnknownKeyIsRememberedForTheNegativeTtlOnlyEvenWhenTheStoreAnsweredARow() {
    String stale = rig.format.generate();
    store.keys.put(hashOf(stale), Objects.requireNonNull(store.keys.get(hashOf(key))));
    CachedKeyValidator v = rig.start(rig.builder().negativeEntryTtl(Duration.ofSeconds(5)));
    for (String unknown : List.of(rig.format.generate(), stale)) {
      int before = store.lookups.get();
      assertThat(v.validate(unknown).status()).isEqualTo(Status.UNKNOWN);
      rig.nanos.addAndGet(4 * SECOND);
      assertThat(v.validate(unknown).status()).isEqualTo(Status.UNKNOWN);
      assertThat(store.lookups.get() - before).as("within the negative TTL: remembered").isEqualTo(1);
      rig.nanos.addAndGet(2 * SECOND);
      assertThat(v.validate(unknown).status()).isEqualTo(Status.UNKNOWN);
      assertThat(store.lookups.get() - before).as("past it: read again").isEqualTo(2);
    }
  }

  @Test
  public void aKeyFoundByLookupJoinsTheKnownHashesSoThatItsReloadMayUseTheReserve() {
    CachedKeyValidator v = rig.start(rig.builder(rig.movingClock(), CoarseTicker.precise(rig.ticker))
        .storeLookupsPerSecond(4)); // a permit each 250 ms, a reserve of 1
    String late = store.add(rig.format, rig.hasher, Rig.NOW.plusMillis(100)); // after the listing, no event read
    assertThat(v.validate(late).status()).isEqualTo(Status.VALID);
    for (int i = 0; i < 3; i++) {
      assertThat(v.validate(rig.format.generate()).status()).isEqualTo(Status.UNKNOWN);
    }
    assertThat(store.lookups.get()).as("made-up keys left the reserve").isEqualTo(3);
    rig.nanos.addAndGet(101_000_000L); // past the expiry; a refill of less than one permit
    assertThat(v.validate(late).status()).as("known since its lookup: read again from the reserve")
        .isEqualTo(Status.EXPIRED);
  }
}
