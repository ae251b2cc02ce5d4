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
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict.Status;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Coherence of the cached validator with what other nodes change: the change feed read to its end
 * page by page, a hole in it (entries purged unread) dropping everything cached, a store that
 * repeats itself, the feed lag reported, push notifications, and this JVM's commits when re-reading
 * them fails. The feed is {@link StubStore}'s, written by the test; the poller runs by hand.
 */
class ValidationCacheFeedTest {
  private static final long SECOND = Rig.SECOND;
  private final Rig rig = new Rig();
  private final StubStore store = rig.store;
  private final ValidatorMetrics metrics = mock(ValidatorMetrics.class);

  @AfterEach
  void close() {
    rig.close();
  }

  private CachedKeyValidator start() {
    return rig.start(rig.builder().metrics(metrics));
  }

  private KeyHash hashOf(String secret) {
    return rig.hasher.hash(secret);
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
    String key = rig.key();
    CachedKeyValidator v = start();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    suspendElsewhere(key);
    assertThat(v.validate(key).status()).as("not polled yet: cached").isEqualTo(Status.VALID);
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aFeedLongerThanAPageIsReadToItsEndInOnePoll() {
    String key = rig.key();
    CachedKeyValidator v = start();
    v.validate(key);
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
    String key = rig.key();
    otherChanges(3);
    CachedKeyValidator v = start(); // the cursor starts at the feed's latest, 3
    v.validate(key);
    rig.run("feed-poller");
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("still cached").isEqualTo(1);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aStoreThatRepeatsTheEventAtTheCursorChangesNothing() {
    String key = rig.key();
    CachedKeyValidator v = start();
    v.validate(key);
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
    String key = rig.key();
    CachedKeyValidator v = start();
    v.validate(key);
    suspendElsewhere(key);
    store.emptyReads.set(1); // the first page misses it; the feed's latest sequence already counts it
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    verify(metrics, never()).feedGap();
  }

  @Test
  public void aHoleInTheFeedDropsEveryCachedEntryCountsAGapAndGoesOnFromTheLatest() {
    String key = rig.key();
    CachedKeyValidator v = start();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    otherChanges(3);
    store.purgeUpTo(2); // changes 1 and 2 were purged unread; 3 is left
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    assertThat(store.lookups.get()).as("dropped: read again").isEqualTo(2);
    rig.run("feed-poller");
    verify(metrics, times(1)).feedGap();
    suspendElsewhere(key); // change 4 follows the cursor (3) without a hole
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    verify(metrics, times(1)).feedGap();
  }

  @Test
  public void anEmptyFeedBelowItsLatestSequenceMeansEverythingUnreadWasPurged() {
    String key = rig.key();
    CachedKeyValidator v = start();
    v.validate(key);
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
    String key = rig.key();
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
    String key = rig.key();
    CachedKeyValidator v = start();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
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
    String key = rig.key();
    CachedKeyValidator v = start();
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    suspendElsewhere(key);
    rig.run("feed-poller");
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
  }

  @Test
  public void aPreloadedValidatorReReadsEachCommittedKeyOnceAndCountsTheLookup() {
    String key = rig.key();
    CachedKeyValidator v = rig.start(rig.builder().metrics(metrics).preloadAllKeys());
    assertThat(v.validate(key).status()).isEqualTo(Status.VALID);
    rig.commits.publish(List.of(suspendElsewhere(key)));
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    assertThat(store.lookups.get()).isEqualTo(1);
    verify(metrics, times(1)).storeLookup();
  }

  @Test
  public void aCommitThatCannotBeReReadIsForgottenUntilTheFeedBringsItBack() {
    String key = rig.key();
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
    String key = rig.key();
    CachedKeyValidator v = start();
    v.validate(key);
    rig.commits.publish(List.of(suspendElsewhere(key)));
    assertThat(v.validate(key).status()).isEqualTo(Status.SUSPENDED);
    verify(metrics, times(2)).storeLookup();
  }

  /** A row whose hashes no longer include the presented one (it rotated meanwhile). */
  @Test
  public void aRowThatNoLongerCarriesThePresentedHashIsUnknownForTheNegativeTtlOnly() {
    String key = rig.key();
    String stale = rig.format.generate();
    StoredKey row = Objects.requireNonNull(store.keys.get(hashOf(key)));
    store.keys.put(hashOf(stale), row);
    CachedKeyValidator v = rig.start(rig.builder().negativeEntryTtl(Duration.ofSeconds(5)));
    assertThat(v.validate(stale).status()).isEqualTo(Status.UNKNOWN);
    rig.nanos.addAndGet(4 * SECOND);
    assertThat(v.validate(stale).status()).isEqualTo(Status.UNKNOWN);
    assertThat(store.lookups.get()).as("within the negative TTL: remembered").isEqualTo(1);
    rig.nanos.addAndGet(2 * SECOND);
    assertThat(v.validate(stale).status()).isEqualTo(Status.UNKNOWN);
    assertThat(store.lookups.get()).as("past it: read again").isEqualTo(2);
  }
}
