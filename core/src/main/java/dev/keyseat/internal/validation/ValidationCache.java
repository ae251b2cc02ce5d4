package dev.keyseat.internal.validation;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SharedRateLimiter;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder.Settings;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.ValidatorScheduler;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cached validator. The hot path (a cached, valid key) is: checksum, one SHA-256 into a
 * thread-local buffer, a cache lookup with a thread-local probe, a ticker read and a lock-free
 * usage count; it allocates nothing. Verdicts come from {@link Verdicts#judge}, computed
 * when an entry is loaded and again when a time it depends on (expiry, end of an overlap)
 * arrives.
 *
 * <p>Cache coherence: a load runs inside the cache's per-key computation, and invalidation of that
 * key waits for it, so a load that read the store before a commit is removed by the commit's
 * invalidation, never left behind it.
 */
final class ValidationCache implements CachedKeyValidator {
  private static final Logger log = LoggerFactory.getLogger(CachedKeyValidator.class);
  /** "Never", in ticker nanoseconds: far enough, and far from overflow. */
  private static final long FOREVER = 100L * 365 * 24 * 3600 * 1_000_000_000L;
  /** Subtracted from the ticker to mean "not synchronized": always older than any staleness bound. */
  private static final long ANCIENT = Long.MAX_VALUE / 4;
  private static final long WARN_EVERY = 10_000_000_000L;
  static final int FEED_PAGE = 500;
  static final int USAGE_BATCH = 1000;
  static final int MAX_SHARED_ACCOUNTS = 100_000;
  /** Preload answers unknown hashes with this, without storing it. */
  private static final CacheEntry UNKNOWN_ENTRY = new CacheEntry().fill(Verdict.UNKNOWN, 0, 0);

  private final CommitStream commits;
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Clock clock;
  private final Ticker ticker;
  private final ValidatorMetrics metrics;
  /**
   * Entries are their own keys: see {@link CacheEntry}. Replaced only when a preloaded cache is
   * reloaded after a feed gap.
   */
  private volatile Cache<CacheEntry, CacheEntry> cache;
  private final long maximumSize;
  private final boolean preload;
  private final long negativeTtl;
  private final long maxStaleness;
  private final LookupBudget budget;
  private final @Nullable KeyRateLimiter rateLimiter;
  private final Queue<CacheEntry> toFlush = new ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<AccountId, AccountId> accounts = new ConcurrentHashMap<>();
  private final int keyLength;
  private final boolean legacyShapes;
  private final int stagedOffset;
  private final ThreadLocal<Probe> probes;
  private final Function<CacheEntry, @Nullable CacheEntry> loader = this::load;
  private final Consumer<List<ChangeEvent>> onCommit = this::committedHere;
  private final List<ValidatorScheduler.Cancellable> tasks = new ArrayList<>();
  /** The store's push notifications, or null when it offers none or they are turned off. */
  private volatile @Nullable ChangeSubscription notifications;
  private final Object pollLock = new Object();
  private final Object flushLock = new Object();
  private final long startedAt;
  private final AtomicLong lastWarning;
  /** Ticker time at the start of the last poll that read the feed to its end. */
  private volatile long syncedAt;
  /** Sequence of the last change applied; negative before the first successful poll. Guarded by pollLock. */
  private long cursor = -1;
  private volatile boolean closed;
  /** Told once, when this validator closes: its Keyseat forgets it. */
  private final Consumer<CachedKeyValidator> onClose;

  /** The store cannot list its keys: a configuration error, reported by {@code build()}. */
  @SuppressWarnings("serial")
  private static final class PreloadUnsupported extends RuntimeException {
    final UnsupportedOperationException unsupported;

    PreloadUnsupported(UnsupportedOperationException cause) {
      super(cause);
      this.unsupported = cause;
    }
  }

  /** Per-thread scratch space of the hot path: one thread-local lookup per validation. */
  private static final class Probe {
    final char[] chars;
    final byte[] bytes;
    /** A legacy key's bytes, for hashing. */
    final byte[] legacy = new byte[dev.keyseat.LegacyKeyShape.MAX_LENGTH];
    final KeyHasher.State digester;
    final byte[] digest = new byte[KeyHash.LENGTH];
    final CacheEntry key = new CacheEntry();

    Probe(int keyLength, KeyHasher hasher) {
      this.chars = new char[KeyFormat.STAGING_LENGTH];
      this.bytes = new byte[KeyFormat.STAGING_LENGTH];
      this.digester = hasher.newState();
    }
  }

  ValidationCache(Settings b, Ticker ticker, ValidatorScheduler scheduler, ValidationCacheBuilder.Parts parts,
      @Nullable SharedRateLimiter shared, Consumer<CachedKeyValidator> onClose) {
    this.onClose = onClose;
    this.commits = parts.commits();
    this.store = parts.store();
    this.format = parts.format();
    this.hasher = parts.hasher();
    this.keyLength = format.length();
    this.legacyShapes = format.hasLegacyShapes();
    this.stagedOffset = format.stagedOffset();
    this.probes = ThreadLocal.withInitial(() -> new Probe(keyLength, hasher));
    this.clock = parts.clock();
    this.ticker = ticker;
    this.metrics = b.metrics();
    this.preload = b.preloadAllKeys();
    this.negativeTtl = b.negativeEntryTtl().toNanos();
    this.maxStaleness = b.maxStaleness().toNanos();
    this.maximumSize = b.maximumSize();
    this.cache = newCache();
    this.startedAt = ticker.read();
    this.syncedAt = startedAt - ANCIENT;
    this.lastWarning = new AtomicLong(startedAt - WARN_EVERY);
    this.budget = new LookupBudget(b.storeLookupsPerSecond(), startedAt);
    Duration ratePeriod = b.rateLimitPeriod();
    this.rateLimiter = ratePeriod == null ? null
        : shared != null ? shared::tryAcquire
        : new Bucket4jRateLimiter(b.rateLimitRequests(), ratePeriod, ticker);

    commits.subscribe(onCommit);
    try {
      poll();
    } catch (PreloadUnsupported e) {
      commits.unsubscribe(onCommit);
      throw new IllegalStateException("cannot preload all keys: " + e.unsupported.getMessage(), e.unsupported);
    }
    tasks.add(scheduler.schedule("feed-poller", b.feedPollInterval(), () -> quietly("poll the change feed", this::poll)));
    tasks.add(scheduler.schedule("usage-flusher", b.usageFlushInterval(), () -> quietly("flush usage", this::flushUsage)));
    if (b.changeNotifications()) {
      this.notifications = subscribe();
    }
  }

  /**
   * Listens for the store's notifications: each one reads the feed at once (on the store's
   * listening thread), so that another node's revocation needs no wait for the next poll.
   */
  private @Nullable ChangeSubscription subscribe() {
    try {
      return store.subscribeToChanges(() -> quietly("read the change feed after a notification", this::poll));
    } catch (UnsupportedOperationException e) {
      return null; // polling alone
    } catch (RuntimeException e) {
      warn("could not subscribe to the store's change notifications; polling alone", e);
      return null;
    }
  }

  // ------------------------------------------------------------------ validation

  @Override
  public Verdict validate(String key) {
    return validate(key, null);
  }

  @Override
  public Verdict validate(String key, @Nullable String deviceSerial) {
    try {
      Verdict verdict = decide(key, deviceSerial);
      metrics.verdict(verdict.status());
      return verdict;
    } catch (RuntimeException | Error e) {
      warn("key validation failed", e);
      try {
        metrics.verdict(Status.UNAVAILABLE);
      } catch (RuntimeException ignored) {
        // the metrics failed already; the answer stays UNAVAILABLE
      }
      return Verdict.UNAVAILABLE;
    }
  }

  private Verdict decide(@Nullable String key, @Nullable String deviceSerial) {
    if (key == null) {
      return Verdict.MALFORMED;
    }
    Probe probe;
    byte[] staged;
    int offset;
    int n;
    if (key.length() == keyLength && format.isWellFormed(key, (probe = probes.get()).chars, probe.bytes)) {
      // native keys first: the path is the same whether legacy shapes are declared or not
      staged = probe.bytes;
      offset = stagedOffset;
      n = keyLength;
    } else if (legacyShapes && format.isLegacyShaped(key)) {
      // only inputs that fail the native shape are tried against the declared legacy shapes
      probe = probes.get();
      n = key.length();
      for (int i = 0; i < n; i++) {
        probe.legacy[i] = (byte) key.charAt(i); // printable ASCII, checked by the shape
      }
      staged = probe.legacy;
      offset = 0;
    } else {
      return Verdict.MALFORMED;
    }
    long now = ticker.read();
    if (now - syncedAt > maxStaleness) {
      return Verdict.UNAVAILABLE;
    }
    KeyHasher.hashInto(probe.digester, staged, offset, n, probe.digest);
    probe.key.set(probe.digest);
    CacheEntry entry = cache.getIfPresent(probe.key);
    if (entry != null && entry.freshAt(now)) {
      metrics.cacheHit();
    } else {
      metrics.cacheMiss();
      entry = miss(probe.key, entry);
      if (entry == null) {
        return Verdict.UNAVAILABLE;
      }
    }
    Verdict verdict = entry.filledVerdict();
    if (!entry.valid) {
      return verdict;
    }
    if (deviceSerial != null && !deviceSerial.equals(verdict.deviceSerial())) {
      return Verdicts.forDevice(verdict, deviceSerial);
    }
    if (rateLimiter != null) {
      long wait = rateLimiter.tryAcquire(Objects.requireNonNull(verdict.keyId()));
      if (wait > 0) {
        return new Verdict(Status.RATE_LIMITED, verdict.accountId(), verdict.deviceSerial(), verdict.keyId(),
            Duration.ofNanos(wait));
      }
    }
    entry.used(now, toFlush);
    return verdict;
  }

  /**
   * A miss, or an entry whose deadline passed: load, one load per hash however many threads ask.
   * An outdated entry is replaced atomically (unless another thread replaced it already) and stays
   * in place if the reload is refused or fails, so that the next call tries again; a preloaded
   * cache answers a hash it does not hold at all with UNKNOWN, without the store.
   *
   * @return the entry, or null when the lookup budget is spent
   */
  private @Nullable CacheEntry miss(CacheEntry probe, @Nullable CacheEntry outdated) {
    CacheEntry fresh = probe.copyHash();
    if (outdated == null) {
      return preload ? UNKNOWN_ENTRY : cache.get(fresh, loader);
    }
    CacheEntry result = cache.asMap().compute(fresh, (k, current) -> {
      if (current != null && current != outdated) {
        return current;
      }
      CacheEntry loaded = load(fresh);
      return loaded != null ? loaded : current;
    });
    return result == outdated ? null : result;
  }

  /**
   * Runs inside the cache's computation for {@code entry} (a fresh entry that becomes its own
   * value): concurrent misses on the hash wait for this one.
   */
  private @Nullable CacheEntry load(CacheEntry entry) {
    if (!budget.tryAcquire(ticker.read())) {
      metrics.storeLookupRefused();
      return null;
    }
    metrics.storeLookup();
    KeyHash hash = entry.toKeyHash();
    return fill(entry, hash, store.findKeyByHash(hash).orElse(null));
  }

  /** Fills an entry given what the store holds for its hash: the verdict and until when it holds. */
  private CacheEntry fill(CacheEntry entry, KeyHash presented, @Nullable StoredKey found) {
    long now = ticker.read();
    if (found == null) {
      return entry.fill(Verdict.UNKNOWN, now + negativeTtl, now);
    }
    Instant wall = clock.instant();
    Verdict verdict = shareAccount(Verdicts.judge(found, presented, null, wall));
    if (verdict.status() == Status.UNKNOWN) {
      return entry.fill(verdict, now + negativeTtl, now);
    }
    long deadline = earliest(now + FOREVER, found.expiresAt(), wall, now);
    if (!found.hash().equals(presented)) {
      deadline = earliest(deadline, found.previousValidUntil(), wall, now);
    }
    return entry.fill(verdict, deadline, now);
  }

  /**
   * The verdict with one shared {@link AccountId} object per account: stores that read rows make a
   * new one per key, and a cache of a million keys of a few thousand accounts would hold a
   * million copies. Sharing stops at {@link #MAX_SHARED_ACCOUNTS} accounts.
   */
  private Verdict shareAccount(Verdict verdict) {
    AccountId id = verdict.accountId();
    if (id == null) {
      return verdict;
    }
    AccountId shared = accounts.get(id);
    if (shared == null) {
      if (accounts.size() >= MAX_SHARED_ACCOUNTS) {
        return verdict;
      }
      shared = accounts.computeIfAbsent(id, k -> k);
    }
    return shared == id ? verdict
        : new Verdict(verdict.status(), shared, verdict.deviceSerial(), verdict.keyId(), verdict.retryAfter());
  }

  /** The earlier of {@code deadline} and the ticker time of {@code at}, if {@code at} is still ahead. */
  private static long earliest(long deadline, @Nullable Instant at, Instant wall, long now) {
    if (at == null || !at.isAfter(wall)) {
      return deadline;
    }
    Duration ahead = Duration.between(wall, at);
    long nanos = ahead.getSeconds() >= FOREVER / 1_000_000_000L ? FOREVER : ahead.toNanos();
    long candidate = now + nanos;
    return candidate - deadline < 0 ? candidate : deadline;
  }

  // ------------------------------------------------------------------ coherence

  /** Management calls of this JVM, after their commit: forget (or, preloaded, re-read) their keys. */
  private void committedHere(List<ChangeEvent> events) {
    try {
      for (ChangeEvent e : events) {
        apply(e);
      }
    } catch (RuntimeException failure) {
      warn("could not re-read changed keys; invalidating them", failure);
      for (ChangeEvent e : events) {
        for (KeyHash h : e.hashes()) {
          cache.invalidate(CacheEntry.of(h));
        }
      }
    }
  }

  private void apply(ChangeEvent event) {
    for (KeyHash hash : event.hashes()) {
      CacheEntry key = CacheEntry.of(hash);
      if (!preload) {
        cache.invalidate(key);
        continue;
      }
      // the mapping keeps its first key object (an older entry with the same hash) as key
      cache.asMap().compute(key, (k, old) -> {
        metrics.storeLookup();
        StoredKey found = store.findKeyByHash(hash).orElse(null);
        return found == null ? null : fill(CacheEntry.of(hash), hash, found);
      });
    }
  }

  private Cache<CacheEntry, CacheEntry> newCache() {
    Caffeine<Object, Object> caffeine = Caffeine.newBuilder();
    if (!preload) {
      caffeine.maximumSize(maximumSize);
    }
    return caffeine.build();
  }

  /**
   * Reads the change feed to its end (or, the first time, its position and any preload).
   *
   * <p>The feed is gapless (see {@link KeyStore#changesSince}), so a hole between the cursor and
   * the next event means entries were purged before this validator read them, during an outage
   * longer than the store's retention for example. What it cached may then be wrong in ways no
   * event will announce, so it {@linkplain #resynchronize starts over}. A hole is seen as an
   * event numbered above the one expected, or as an empty page while the feed's latest sequence
   * is above the cursor (every entry after the cursor purged).
   */
  void poll() {
    synchronized (pollLock) {
      if (closed) {
        return;
      }
      long start = ticker.read();
      try {
        if (cursor < 0) {
          long latest = store.latestChangeSequence();
          if (preload) {
            preloadInto(cache);
          }
          cursor = latest;
        } else {
          readFeedToItsEnd();
        }
        syncedAt = start;
      } catch (PreloadUnsupported e) {
        throw e;
      } catch (RuntimeException e) {
        warn("could not read the change feed", e);
      }
      long since = syncedAt - startedAt < 0 ? startedAt : syncedAt;
      quietly("report the feed lag", () -> metrics.feedLag(Duration.ofNanos(Math.max(0, ticker.read() - since))));
    }
  }

  /** Applies the feed from the cursor on; guarded by pollLock. */
  private void readFeedToItsEnd() {
    for (;;) {
      List<ChangeEvent> events = store.changesSince(cursor, FEED_PAGE);
      if (events.isEmpty()) {
        if (store.latestChangeSequence() <= cursor) {
          return;
        }
        // something above the cursor: either it committed just now, or it was purged
        List<ChangeEvent> next = store.changesSince(cursor, 1);
        if (next.isEmpty() || next.get(0).sequence() != cursor + 1) {
          resynchronize(cursor + 1, next.isEmpty() ? store.latestChangeSequence() : next.get(0).sequence() - 1);
        }
        continue;
      }
      long before = cursor;
      boolean gap = false;
      for (ChangeEvent e : events) {
        if (e.sequence() <= cursor) {
          continue; // not newer: a store that repeats itself changes nothing here
        }
        if (e.sequence() != cursor + 1) {
          resynchronize(cursor + 1, e.sequence() - 1);
          gap = true;
          break;
        }
        apply(e);
        cursor = e.sequence();
      }
      if (!gap && (events.size() < FEED_PAGE || cursor == before)) {
        return;
      }
    }
  }

  /**
   * After a feed gap: forget every cached entry (a bounded cache reloads on demand), or reload a
   * preloaded cache into a new one and swap it in, so that keys are never answered UNKNOWN for
   * want of a reload; then go on from the feed's position taken before, so that changes committed
   * meanwhile (this JVM's too) are applied to what was reloaded. Guarded by pollLock.
   */
  private void resynchronize(long firstMissing, long lastMissing) {
    metrics.feedGap();
    log.warn("change feed entries {} to {} were purged before this validator read them (was it cut off longer"
        + " than the store's change retention?); dropping every cached entry and starting over", firstMissing,
        lastMissing);
    long latest = store.latestChangeSequence();
    if (preload) {
      Cache<CacheEntry, CacheEntry> fresh = newCache();
      preloadInto(fresh);
      cache = fresh;
    } else {
      cache.invalidateAll();
    }
    cursor = latest;
  }

  private void preloadInto(Cache<CacheEntry, CacheEntry> target) {
    try {
      store.forEachKey(key -> preload(target, key));
    } catch (UnsupportedOperationException e) {
      throw new PreloadUnsupported(e);
    }
  }

  private void preload(Cache<CacheEntry, CacheEntry> target, StoredKey key) {
    for (KeyHash hash : key.hashes()) {
      CacheEntry entry = fill(CacheEntry.of(hash), hash, key);
      target.put(entry, entry);
    }
  }

  // ------------------------------------------------------------------ usage

  private record Drained(CacheEntry entry, long count) {}

  /** Writes the counted usage in batches; on failure keeps the counts for the next flush. */
  void flushUsage() {
    synchronized (flushLock) {
      long tick = ticker.read();
      Instant wall = clock.instant();
      Map<KeyId, UsageDelta> batch = new LinkedHashMap<>();
      List<Drained> drained = new ArrayList<>();
      CacheEntry e;
      while ((e = toFlush.poll()) != null) {
        long n = e.drain();
        if (n <= 0) {
          continue;
        }
        KeyId id = Objects.requireNonNull(e.filledVerdict().keyId()); // only valid keys are counted
        Instant last = wall.minusNanos(Math.max(0, tick - e.lastUsed));
        batch.merge(id, new UsageDelta(id, last, n), (a, b) -> new UsageDelta(id,
            a.lastUsedAt().isAfter(b.lastUsedAt()) ? a.lastUsedAt() : b.lastUsedAt(), a.count() + b.count()));
        drained.add(new Drained(e, n));
        if (batch.size() >= USAGE_BATCH) {
          if (!write(batch, drained)) {
            return;
          }
          batch = new LinkedHashMap<>();
          drained = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        write(batch, drained);
      }
    }
  }

  private boolean write(Map<KeyId, UsageDelta> batch, List<Drained> drained) {
    try {
      store.recordUsage(List.copyOf(batch.values()));
    } catch (RuntimeException failure) {
      warn("could not record usage of " + batch.size() + " keys; will retry", failure);
      for (Drained d : drained) {
        d.entry().restore(d.count(), toFlush);
      }
      return false;
    }
    metrics.usageFlushed(batch.size());
    return true;
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public long estimatedSize() {
    return cache.estimatedSize();
  }

  @Override
  public void close() {
    synchronized (pollLock) {
      if (closed) {
        return;
      }
      closed = true;
      syncedAt = ticker.read() - ANCIENT;
    }
    commits.unsubscribe(onCommit);
    ChangeSubscription push = notifications;
    if (push != null) {
      quietly("stop listening for change notifications", push::close);
    }
    for (ValidatorScheduler.Cancellable task : tasks) {
      quietly("stop a background task", task::cancel);
    }
    quietly("flush usage", this::flushUsage);
    cache.invalidateAll();
    quietly("leave the Keyseat's open validators", () -> onClose.accept(this));
  }

  private void quietly(String what, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException e) {
      warn("could not " + what, e);
    }
  }

  /** Logs at most one warning per 10 seconds, so that an outage does not flood the log. */
  private void warn(String what, Throwable e) {
    try {
      long now = ticker.read();
      long last = lastWarning.get();
      if (now - last >= WARN_EVERY && lastWarning.compareAndSet(last, now)) {
        log.warn("{}: {}", what, e.toString());
      } else {
        log.debug("{}: {}", what, e.toString());
      }
    } catch (RuntimeException loggingFailed) {
      // nothing sensible is left to do; the caller answers UNAVAILABLE or retries later
    }
  }

  @Override
  public String toString() {
    return "CachedKeyValidator[entries=" + cache.estimatedSize() + (preload ? ", preloaded" : "")
        + (closed ? ", closed" : "") + "]";
  }
}
