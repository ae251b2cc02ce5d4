package dev.keyseat.internal.validation;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
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
import java.security.SecureRandom;
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
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cached validator. The hot path (a cached, valid key) is: checksum (a mistyped key is rejected
 * there, before anything is staged), one SipHash-2-4-128 of the key's body under this validator's
 * secret {@link SipHash PRF key} into a thread-local probe, one index lookup, a stamp check, a time
 * read and a lock-free usage count; no SHA-256, no allocation.
 * SHA-256 is computed only on a miss, to look the key up in the store (or in the preloaded index by
 * hash). Verdicts come from {@link Verdicts#judge}, computed when an entry is loaded and again when
 * a time it depends on (expiry, end of an overlap) arrives.
 *
 * <p>Two indexes serve two modes. Bounded (the default): a Caffeine cache keyed by PRF, whose
 * W-TinyLFU policy earns its cost here: it bounds positive and negative entries and keeps the
 * frequently used ones when a flood of one-off keys passes through. Preloaded: every stored hash in
 * a {@link ConcurrentHashMap} by SHA-256 ({@link HashedVerdict}), and the keys presented since in a
 * plain {@link ConcurrentHashMap} by PRF: nothing is evicted, so no policy is needed on the hot
 * path.
 *
 * <p>Coherence: changes arrive as hashes (this JVM's commits, the change feed). Entries keyed by
 * PRF are outdated through {@link Stamps}: an entry remembers its hash slot's stamp, read before
 * the store was, and a change bumps it; so a load that read the store before a commit never
 * outlives that commit.
 *
 * <p>Misses: in the bounded mode, {@link KnownHashes} (four bytes of every stored hash, listed at
 * start and kept by commits and the feed) tells a made-up key from a possible one. Made-up keys may
 * use the lookup budget only down to a reserve kept for possible ones, and past it are answered
 * UNKNOWN without the store; so a flood of distinct made-up keys never starves a real key seen for
 * the first time.
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
  /** Unknown hashes answered without the store (preloaded, or ruled out by the known hashes), never stored. */
  private static final CacheEntry UNKNOWN_ENTRY = new CacheEntry().fill(Verdict.UNKNOWN, 0, 0);
  /** One hit in this many (per thread, a power of two) is recorded by the bounded cache's policy. */
  static final int RECORDED_HIT_EVERY = 8;
  /** The share of the lookup budget kept for keys whose hash may be known: a quarter. */
  static final int RESERVE_DIVISOR = 4;

  private final CommitStream commits;
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Clock clock;
  private final Ticker ticker;
  /** The hot path's time: published by a helper thread for the system ticker, see {@link CoarseTicker}. */
  private final CoarseTicker time;
  private final ValidatorMetrics metrics;
  /** The bounded cache by PRF (entries are their own keys: see {@link CacheEntry}); null when preloaded. */
  private final @Nullable Cache<CacheEntry, CacheEntry> cache;
  /**
   * The bounded cache's reads without side effects, or null when preloaded. A thread's hits read
   * through it but for one in {@link #RECORDED_HIT_EVERY}, which reads through the cache and so
   * counts for W-TinyLFU: see {@link #lookup}.
   */
  private final @Nullable Policy<CacheEntry, CacheEntry> quiet;
  /**
   * What the hot path reads: the bounded cache's map view, or the preloaded keys presented so far
   * by PRF. Replaced only when a preloaded cache is reloaded after a feed gap.
   */
  private volatile ConcurrentMap<CacheEntry, CacheEntry> index;
  /** Preloaded: every stored hash with its verdict; empty in the bounded mode. Replaced with {@link #index}. */
  private volatile ConcurrentHashMap<HashedVerdict, HashedVerdict> byHash = new ConcurrentHashMap<>();
  /** Bounded: the hashes the store holds, once listed; null when preloaded or the store cannot list. */
  private volatile @Nullable KnownHashes known;
  /** Whether the store declined to list its keys: no known hashes then, the budget alone protects it. */
  private volatile boolean unlisted;
  private final Stamps stamps;
  /** The PRF of native keys' bodies. */
  private final SipHash prf;
  /** The PRF of legacy keys, under a key of its own (see {@link #decide}). */
  private final SipHash legacyPrf;
  private final int reserve;
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
    final byte[] bytes;
    /** A legacy key's bytes, for hashing. */
    final byte[] legacy = new byte[dev.keyseat.LegacyKeyShape.MAX_LENGTH];
    final KeyHasher.State digester;
    final byte[] digest = new byte[KeyHash.LENGTH];
    final CacheEntry key = new CacheEntry();
    final long[] high = new long[1];
    final HashedVerdict hashed = new HashedVerdict();
    /**
     * This thread's xorshift state, which picks the lookups the cache's policy records: at random,
     * so that no pattern of requests (keys taken in turn, say) is sampled with a bias.
     */
    int sample = ThreadLocalRandom.current().nextInt() | 1;
    /** Set by a load that the budget refused for a hash the known hashes rule out: the answer is UNKNOWN. */
    boolean ruledOut;

    /** @return the next value of this thread's xorshift32 (never zero) */
    int nextSample() {
      int x = sample;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      sample = x;
      return x;
    }

    Probe(KeyFormat format, KeyHasher hasher) {
      this.bytes = new byte[KeyFormat.STAGING_LENGTH];
      format.stagePrefix(bytes);
      this.digester = hasher.newState();
    }
  }

  ValidationCache(Settings b, CoarseTicker time, ValidatorScheduler scheduler, ValidationCacheBuilder.Parts parts,
      @Nullable SharedRateLimiter shared, Consumer<CachedKeyValidator> onClose) {
    this.onClose = onClose;
    this.time = time;
    Ticker ticker = time::precise;
    this.commits = parts.commits();
    this.store = parts.store();
    this.format = parts.format();
    this.hasher = parts.hasher();
    this.keyLength = format.length();
    this.legacyShapes = format.hasLegacyShapes();
    this.stagedOffset = format.stagedOffset();
    this.probes = ThreadLocal.withInitial(() -> new Probe(format, hasher));
    this.clock = parts.clock();
    this.ticker = ticker;
    this.metrics = b.metrics();
    this.preload = b.preloadAllKeys();
    this.negativeTtl = b.negativeEntryTtl().toNanos();
    this.maxStaleness = b.maxStaleness().toNanos();
    this.maximumSize = b.maximumSize();
    SecureRandom random = new SecureRandom();
    this.prf = new SipHash(random);
    this.legacyPrf = new SipHash(random);
    if (preload) {
      this.cache = null;
      this.quiet = null;
      this.index = new ConcurrentHashMap<>();
      this.stamps = new Stamps(Stamps.MIN_SLOTS);
    } else {
      // Caffeine's maintenance (replaying recorded reads into its policy, evicting) runs on the
      // thread that fills a read buffer or writes, instead of being handed to ForkJoinPool's common
      // pool: waking a pool thread cost more per hit (about 30 ns amortized, one thread, one key)
      // than the drain itself, which is a few hundred nanoseconds once per 16 recorded reads.
      Cache<CacheEntry, CacheEntry> bounded = Caffeine.newBuilder().maximumSize(maximumSize)
          .executor(Runnable::run).build();
      this.cache = bounded;
      this.quiet = bounded.policy();
      this.index = bounded.asMap();
      this.stamps = new Stamps(maximumSize);
    }
    this.startedAt = ticker.read();
    this.syncedAt = startedAt - ANCIENT;
    this.lastWarning = new AtomicLong(startedAt - WARN_EVERY);
    this.budget = new LookupBudget(b.storeLookupsPerSecond(), startedAt);
    this.reserve = b.storeLookupsPerSecond() / RESERVE_DIVISOR;
    Duration ratePeriod = b.rateLimitPeriod();
    this.rateLimiter = ratePeriod == null ? null
        : shared != null ? shared::tryAcquire
        : new Bucket4jRateLimiter(b.rateLimitRequests(), ratePeriod, ticker);

    commits.subscribe(onCommit);
    try {
      poll();
    } catch (PreloadUnsupported e) {
      commits.unsubscribe(onCommit);
      time.stop();
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
    SipHash keyed;
    int prfFrom;
    int prfLength;
    if (key.length() == keyLength && format.passesChecksum(key) && format.stage(key, (probe = probes.get()).bytes)) {
      // native keys first: the path is the same whether legacy shapes are declared or not; a
      // mistyped key is rejected before the probe is fetched
      staged = probe.bytes;
      offset = stagedOffset;
      n = keyLength;
      // the PRF of the body alone: the prefix is fixed and the checksum a function of the body
      keyed = prf;
      prfFrom = KeyFormat.BODY_AT;
      prfLength = KeyFormat.BODY_LENGTH;
    } else if (legacyShapes && format.isLegacyShaped(key)) {
      // only inputs that fail the native shape are tried against the declared legacy shapes
      probe = probes.get();
      n = key.length();
      for (int i = 0; i < n; i++) {
        probe.legacy[i] = (byte) key.charAt(i); // printable ASCII, checked by the shape
      }
      staged = probe.legacy;
      offset = 0;
      // a PRF key of their own: a legacy key whose characters are some native key's body never
      // shares its entry
      keyed = legacyPrf;
      prfFrom = 0;
      prfLength = n;
    } else {
      return Verdict.MALFORMED;
    }
    long now = time.read();
    if (now - syncedAt > maxStaleness) {
      return Verdict.UNAVAILABLE;
    }
    long p0 = keyed.hash(staged, prfFrom, prfLength, probe.high);
    probe.key.set(p0, probe.high[0]);
    CacheEntry entry = lookup(probe);
    if (entry != null && entry.freshAt(now) && stamps.read(entry.slot()) == entry.stamp) {
      metrics.cacheHit();
    } else {
      metrics.cacheMiss();
      entry = miss(probe, staged, offset, n, entry);
      if (entry == null) {
        return Verdict.UNAVAILABLE;
      }
    }
    Verdict verdict = entry.filledVerdict();
    if (!entry.valid()) {
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
   * The index's entry for the probe's PRF value. A preloaded index is a plain map. The bounded
   * cache's reads cost most when they are recorded: Caffeine puts each in a striped buffer that its
   * maintenance replays into the W-TinyLFU policy (the frequency sketch and the access order). So a
   * thread records one lookup in {@link #RECORDED_HIT_EVERY}, chosen at random ({@link
   * Cache#getIfPresent}), and makes the others without side effects ({@link Policy#getIfPresentQuietly}).
   *
   * <p>What the policy still sees: every insertion (a miss loads through the cache, and Caffeine
   * counts a write in the sketch as a use), and a random sample of the hits, the same share of
   * every key's hits on every thread whatever the order of requests: frequencies are scaled, not reordered, and W-TinyLFU's
   * decisions (a newcomer replaces the eviction candidate only if its estimated frequency is
   * higher) compare frequencies. A flood of one-off keys is as powerless as before: each such key
   * is inserted once and never hit again, so it is never estimated above a resident key that was
   * hit at all, and ties keep the resident. What changes is resolution at the low end: a key needs
   * about {@value #RECORDED_HIT_EVERY} hits, not one, to be known as more frequent than a newcomer;
   * such keys are cheap to reload (one store lookup) and memory stays bounded by {@code
   * maximumSize} whatever the sampling, as Caffeine evicts by size on every write.
   */
  private @Nullable CacheEntry lookup(Probe probe) {
    Policy<CacheEntry, CacheEntry> policy = quiet;
    if (policy != null && (probe.nextSample() & (RECORDED_HIT_EVERY - 1)) != 0) {
      return policy.getIfPresentQuietly(probe.key);
    }
    return index.get(probe.key);
  }

  /**
   * A miss, or an entry that is outdated (its deadline passed, or its hash's stamp moved): the
   * presented key's SHA-256, then the preloaded index by hash, or the store (one load per key
   * however many threads ask). An outdated entry is replaced atomically (unless another thread
   * replaced it already) and stays in place if the reload is refused or fails, so that the next
   * call tries again.
   *
   * @return the entry, or null when the lookup budget is spent
   */
  private @Nullable CacheEntry miss(Probe probe, byte[] staged, int offset, int n, @Nullable CacheEntry outdated) {
    KeyHasher.hashInto(probe.digester, staged, offset, n, probe.digest);
    int slot = stamps.slotOf(probe.digest);
    CacheEntry fresh = probe.key.copyKey();
    return preload ? preloadedMiss(probe, fresh, slot) : boundedMiss(probe, fresh, slot, outdated);
  }

  private @Nullable CacheEntry boundedMiss(Probe probe, CacheEntry fresh, int slot, @Nullable CacheEntry outdated) {
    KeyHash hash = KeyHash.of(probe.digest);
    KnownHashes k = known;
    boolean possible = k == null || !k.ready() || k.mightContain(KnownHashes.prefix(probe.digest));
    probe.ruledOut = false;
    CacheEntry result = index.compute(fresh, (key, current) -> {
      if (current != null && current != outdated) {
        return current;
      }
      CacheEntry loaded = load(fresh, hash, slot, possible, probe);
      return loaded != null ? loaded : current;
    });
    if (result == null || result == outdated) {
      return probe.ruledOut ? UNKNOWN_ENTRY : null;
    }
    return result;
  }

  /**
   * Runs inside the cache's computation for {@code entry} (a fresh entry that becomes its own
   * value): concurrent misses on the key wait for this one. A hash that the known hashes rule out
   * may take a permit only while {@link #reserve} remain for possible ones.
   */
  private @Nullable CacheEntry load(CacheEntry entry, KeyHash hash, int slot, boolean possible, Probe probe) {
    if (!budget.tryAcquire(ticker.read(), possible ? 0 : reserve)) {
      metrics.storeLookupRefused();
      probe.ruledOut = !possible;
      return null;
    }
    metrics.storeLookup();
    entry.stamped(slot, stamps.read(slot)); // before the store is read: a later commit outdates the entry
    StoredKey found = store.findKeyByHash(hash).orElse(null);
    KnownHashes k = known;
    if (found != null && k != null) {
      k.add(KnownHashes.prefix(hash));
    }
    return fill(entry, hash, found);
  }

  /**
   * Preloaded: the hash's record, without the store, unless a time it depends on has come (then
   * it is read again, within the budget). The entry made from it joins the index by PRF.
   */
  private @Nullable CacheEntry preloadedMiss(Probe probe, CacheEntry fresh, int slot) {
    int stamp = stamps.read(slot); // before the record is read: a later change outdates the entry
    probe.hashed.set(probe.digest);
    ConcurrentHashMap<HashedVerdict, HashedVerdict> hashes = byHash;
    HashedVerdict record = hashes.get(probe.hashed);
    if (record == null) {
      return UNKNOWN_ENTRY;
    }
    long now = ticker.read();
    if (record.deadline - now <= 0) {
      HashedVerdict outdated = record;
      KeyHash hash = KeyHash.of(probe.digest);
      record = hashes.computeIfPresent(outdated, (k, current) -> {
        if (current != outdated) {
          return current;
        }
        if (!budget.tryAcquire(ticker.read())) {
          metrics.storeLookupRefused();
          return current;
        }
        metrics.storeLookup();
        return fillHashed(hash, store.findKeyByHash(hash).orElse(null));
      });
      if (record == null) {
        return UNKNOWN_ENTRY;
      }
      if (record == outdated) {
        return null;
      }
    }
    CacheEntry entry = fresh.stamped(slot, stamp).fill(record.filledVerdict(), record.deadline, now);
    index.put(entry, entry);
    return entry;
  }

  /** A preloaded record of {@code hash} given what the store holds for it. */
  private HashedVerdict fillHashed(KeyHash hash, @Nullable StoredKey found) {
    CacheEntry filled = fill(new CacheEntry(), hash, found);
    return HashedVerdict.of(hash).fill(filled.filledVerdict(), filled.deadline);
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

  /** Management calls of this JVM, after their commit: outdate (or, preloaded, re-read) their keys. */
  private void committedHere(List<ChangeEvent> events) {
    try {
      for (ChangeEvent e : events) {
        apply(e);
      }
    } catch (RuntimeException failure) {
      warn("could not re-read changed keys; forgetting them", failure);
      for (ChangeEvent e : events) {
        for (KeyHash h : e.hashes()) {
          byHash.remove(HashedVerdict.of(h));
          stamps.bump(stamps.slotOf(h));
        }
      }
    }
  }

  /**
   * One change: its hashes become known (bounded), are re-read (preloaded), and every entry made
   * for them before is outdated. The stamp moves last, after the new record is in place.
   */
  private void apply(ChangeEvent event) {
    for (KeyHash hash : event.hashes()) {
      KnownHashes k = known;
      if (k != null) {
        k.add(KnownHashes.prefix(hash));
      }
      if (preload) {
        byHash.compute(HashedVerdict.of(hash), (key, old) -> {
          metrics.storeLookup();
          StoredKey found = store.findKeyByHash(hash).orElse(null);
          return found == null ? null : fillHashed(hash, found);
        });
      }
      stamps.bump(stamps.slotOf(hash));
    }
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
            byHash = preloaded();
          }
          cursor = latest;
        } else {
          readFeedToItsEnd();
        }
        syncedAt = start;
        // after the sync: listing a large store may take longer than the staleness bound, and the
        // known hashes only filter made-up keys, they answer nothing the cache serves
        if (!preload && !unlisted && (known == null || !known.ready())) {
          listKnownHashes();
        }
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
      ConcurrentHashMap<HashedVerdict, HashedVerdict> fresh = preloaded();
      byHash = fresh;
      index = new ConcurrentHashMap<>();
    } else {
      index.clear();
      known = null;
      listKnownHashes();
    }
    cursor = latest;
  }

  /** Every stored hash with its verdict. */
  private ConcurrentHashMap<HashedVerdict, HashedVerdict> preloaded() {
    ConcurrentHashMap<HashedVerdict, HashedVerdict> target = new ConcurrentHashMap<>();
    try {
      store.forEachKey(key -> {
        for (KeyHash hash : key.hashes()) {
          HashedVerdict record = fillHashed(hash, key);
          target.put(record, record);
        }
      });
    } catch (UnsupportedOperationException e) {
      throw new PreloadUnsupported(e);
    }
    return target;
  }

  /**
   * Lists the store's hashes into a new {@link KnownHashes}, published before the listing starts so
   * that changes committed meanwhile land in it too, and trusted only once the listing is complete.
   * A store that cannot list is remembered as such; a failing one is tried again at the next poll.
   * Guarded by pollLock.
   */
  private void listKnownHashes() {
    KnownHashes fresh = new KnownHashes(1024);
    known = fresh;
    try {
      store.forEachKey(key -> {
        for (KeyHash hash : key.hashes()) {
          fresh.add(KnownHashes.prefix(hash));
        }
      });
      fresh.markReady();
    } catch (UnsupportedOperationException e) {
      unlisted = true;
      known = null;
    } catch (RuntimeException e) {
      known = null;
      warn("could not list the store's keys; made-up keys take lookups until it can", e);
    }
  }

  // ------------------------------------------------------------------ usage

  private record Drained(CacheEntry entry, long count) {}

  /**
   * Writes the usage counted before this flush started, in batches; on failure keeps the counts
   * for the next flush. Entries queued while it runs wait for the next flush: hits go on queueing
   * entries during each write, and on a busy validator with more keys than one batch a flush that
   * drained until the queue was empty never ended, writing usage continuously instead of once per
   * interval.
   */
  void flushUsage() {
    synchronized (flushLock) {
      long tick = ticker.read();
      Instant wall = clock.instant();
      Map<KeyId, UsageDelta> batch = new LinkedHashMap<>();
      List<Drained> drained = new ArrayList<>();
      // The queue is FIFO: what was queued before this mark is this flush's. A mark left behind by
      // a failed flush counts no use, so a later flush skips it.
      CacheEntry end = new CacheEntry();
      toFlush.offer(end);
      CacheEntry e;
      while ((e = toFlush.poll()) != null && e != end) {
        long n = e.drain();
        if (n <= 0) {
          continue;
        }
        KeyId id = Objects.requireNonNull(e.filledVerdict().keyId()); // only valid keys are counted
        Instant last = wall.minusNanos(Math.max(0, tick - e.lastUsed()));
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
    Cache<CacheEntry, CacheEntry> bounded = cache;
    return bounded != null ? bounded.estimatedSize() : byHash.size();
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
    quietly("stop the clock", time::stop);
    quietly("flush usage", this::flushUsage);
    index.clear();
    byHash.clear();
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
    return "CachedKeyValidator[entries=" + estimatedSize() + (preload ? ", preloaded" : "")
        + (closed ? ", closed" : "") + "]";
  }
}
