package dev.keyseat.internal.validation;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SharedRateLimiter;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A store of keys by hash for the mechanism's unit tests: lookups, listing, a feed the test writes
 * (and purges), usage kept, push notifications and shared rate limits when a test sets them.
 * Public for the API's tests that need a store with nothing in it.
 */
public final class StubStore implements KeyStore {
  final Map<KeyHash, StoredKey> keys = new ConcurrentHashMap<>();
  /** The change feed, in sequence order; a purge removes its head, {@link #latest} stays. */
  final List<ChangeEvent> feed = new CopyOnWriteArrayList<>();
  volatile long latest;
  /** Set: every page starts again at the event the cursor names, as a store that repeats itself. */
  volatile boolean repeating;
  /** How many of the next feed reads find nothing yet (an event committed just after the read). */
  final AtomicInteger emptyReads = new AtomicInteger();
  /** Feed pages read, with their size asked for. */
  final List<Integer> pagesAsked = new CopyOnWriteArrayList<>();
  /** Set: {@link #subscribeToChanges} hands this out and keeps the listener in {@link #listener}. */
  volatile @Nullable ChangeSubscription subscription;
  volatile @Nullable RuntimeException subscribeFailure;
  volatile @Nullable Runnable listener;
  volatile @Nullable SharedRateLimiter shared;
  final AtomicInteger lookups = new AtomicInteger();
  /** Calls of {@link #forEachKey}. */
  final AtomicInteger listings = new AtomicInteger();
  final List<UsageDelta> usage = new ArrayList<>();
  volatile boolean failing;
  volatile boolean failListing;
  volatile boolean unlisted;
  final AtomicInteger usageWrites = new AtomicInteger();
  /** Run inside each {@link #recordUsage}, after the batch is kept: hits arriving while a flush writes. */
  volatile @Nullable Runnable duringUsageWrite;
  private final AtomicInteger ids = new AtomicInteger();

  /** @return a new key's secret, stored by its hash */
  String add(KeyFormat format, KeyHasher hasher) {
    return add(format, hasher, null);
  }

  /** @return a new key's secret, stored by its hash, expiring at {@code expiresAt} (null: never) */
  String add(KeyFormat format, KeyHasher hasher, @Nullable Instant expiresAt) {
    return add(format.generate(), format, hasher, expiresAt);
  }

  /** @return {@code secret}, stored by its hash (a key imported in its own shape, for example) */
  String add(String secret, KeyFormat format, KeyHasher hasher, @Nullable Instant expiresAt) {
    KeyHash hash = hasher.hash(secret);
    int n = ids.incrementAndGet();
    // a new AccountId object per key, as a store reading rows makes
    keys.put(hash, new StoredKey(KeyId.of(String.format("key_%08d", n)), new AccountId(new String("acme".toCharArray())),
        "AQ-" + n, hash, format.hint(secret), "label", Instant.EPOCH, null, expiresAt, false, null, null, null));
    return secret;
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    throw new UnsupportedOperationException();
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    lookups.incrementAndGet();
    if (failing) {
      throw new IllegalStateException("store down");
    }
    return Optional.ofNullable(keys.get(hash));
  }

  @Override
  public void forEachKey(Consumer<? super StoredKey> action) {
    listings.incrementAndGet();
    if (unlisted) {
      throw new UnsupportedOperationException("no listing here");
    }
    if (failing || failListing) {
      throw new IllegalStateException("store down");
    }
    keys.values().forEach(action);
  }

  /** Appends a change of the stored key of {@code secret}'s hash (its hashes), numbered after {@link #latest}. */
  ChangeEvent change(ChangeEvent.Type type, KeyHash hash) {
    StoredKey k = keys.get(hash);
    ChangeEvent e = new ChangeEvent(++latest, type, k != null ? k.accountId() : AccountId.of("acme"),
        k != null ? k.id() : KeyId.of("key_00000000"), k != null ? k.hashes() : List.of(hash), Instant.EPOCH);
    feed.add(e);
    return e;
  }

  /** Removes the feed's entries up to {@code sequence}, as a store's retention does. */
  void purgeUpTo(long sequence) {
    feed.removeIf(e -> e.sequence() <= sequence);
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (failing) {
      throw new IllegalStateException("store down");
    }
    pagesAsked.add(max);
    if (emptyReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return List.of();
    }
    long from = repeating ? afterSequence : afterSequence + 1;
    return feed.stream().filter(e -> e.sequence() >= from).limit(max).toList();
  }

  @Override
  public long latestChangeSequence() {
    if (failing) {
      throw new IllegalStateException("store down");
    }
    return latest;
  }

  @Override
  public ChangeSubscription subscribeToChanges(Runnable onChange) {
    RuntimeException failure = subscribeFailure;
    if (failure != null) {
      throw failure;
    }
    ChangeSubscription s = subscription;
    if (s == null) {
      return KeyStore.super.subscribeToChanges(onChange);
    }
    listener = onChange;
    return s;
  }

  @Override
  public SharedRateLimiter sharedRateLimiter(long requests, Duration period) {
    SharedRateLimiter s = shared;
    return s != null ? s : KeyStore.super.sharedRateLimiter(requests, period);
  }

  @Override
  public synchronized void recordUsage(Collection<UsageDelta> batch) {
    usageWrites.incrementAndGet();
    if (failing) {
      throw new IllegalStateException("store down");
    }
    usage.addAll(batch);
    Runnable during = duringUsageWrite;
    if (during != null) {
      during.run();
    }
  }

  @Override
  public List<dev.keyseat.DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, java.time.LocalDate from,
      java.time.LocalDate to) {
    return List.of();
  }

  @Override
  public List<AccountSummary> accounts(@Nullable AccountId after, int limit) {
    return List.of();
  }
}
