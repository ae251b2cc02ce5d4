package dev.keyseat.internal.validation;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A store of keys by hash for the mechanism's unit tests: lookups, listing, an empty feed, usage kept.
 * Public for the API's tests that need a store with nothing in it.
 */
public final class StubStore implements KeyStore {
  final Map<KeyHash, StoredKey> keys = new ConcurrentHashMap<>();
  final AtomicInteger lookups = new AtomicInteger();
  final List<UsageDelta> usage = new ArrayList<>();
  volatile boolean failing;
  volatile boolean failListing;
  volatile boolean unlisted;
  final AtomicInteger usageWrites = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  /** @return a new key's secret, stored by its hash */
  String add(KeyFormat format, KeyHasher hasher) {
    return add(format, hasher, null);
  }

  /** @return a new key's secret, stored by its hash, expiring at {@code expiresAt} (null: never) */
  String add(KeyFormat format, KeyHasher hasher, @Nullable Instant expiresAt) {
    String secret = format.generate();
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
    if (unlisted) {
      throw new UnsupportedOperationException("no listing here");
    }
    if (failing || failListing) {
      throw new IllegalStateException("store down");
    }
    keys.values().forEach(action);
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (failing) {
      throw new IllegalStateException("store down");
    }
    return List.of();
  }

  @Override
  public long latestChangeSequence() {
    if (failing) {
      throw new IllegalStateException("store down");
    }
    return 0;
  }

  @Override
  public synchronized void recordUsage(Collection<UsageDelta> batch) {
    usageWrites.incrementAndGet();
    if (failing) {
      throw new IllegalStateException("store down");
    }
    usage.addAll(batch);
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
