package dev.keyseat.internal.validation;

import dev.keyseat.validation.Verdict;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Queue;
import org.jspecify.annotations.Nullable;

/**
 * One entry of the validator's index, which is also its own key: the 128-bit {@link SipHash PRF}
 * of the presented key as two longs (equality and hash code), the verdict ready to return, until
 * when it holds, the {@link Stamps stamp} of its SHA-256 hash when it was loaded, and the usage
 * counted since the last flush. Being key and value at once saves an object and a dependent memory
 * access per lookup; the validating thread reuses one instance per thread as a lookup probe, so
 * that a hit allocates nothing.
 *
 * <p>The entry keeps no SHA-256: a hit needs none, a reload computes it from the presented key, and
 * invalidation by hash goes through the stamp of the hash's slot ({@link #slot}, {@link #stamp}).
 *
 * <p>Sixty-four bytes with compressed references (a million cached keys is 64 MB of entries): the
 * use count is one {@code long} with the "queued for the flusher" mark in its sign bit, counted
 * with one atomic add, and whether the verdict is VALID rides in the sign bit of the stamp slot.
 * (Until issue 13's heap target the entry extended {@code LongAdder}: 16 bytes more per key, for
 * counting that spreads out when two threads validate the same key at the same instant; with one
 * add the two threads then share the entry's cache line.)
 *
 * <p>Entries are created with their PRF, filled by the loader ({@link #fill}) and only then
 * published through the index, which orders the writes before any reader's reads; they are never
 * changed after (an outdated entry is replaced). Probes are never stored.
 */
final class CacheEntry {
  /** Last-use times closer than this are not rewritten, so that hot keys do not share a hot cache line. */
  static final long LAST_USE_GRANULARITY_NANOS = 1_000_000L;
  /** The sign bit of {@link #uses}: the entry sits in the flusher's queue. */
  private static final long QUEUED = Long.MIN_VALUE;
  /** The sign bit of {@link #slotAndValid}: the verdict is VALID. */
  private static final int VALID = Integer.MIN_VALUE;
  private static final VarHandle USES;
  private static final VarHandle LAST_USED;

  static {
    try {
      USES = MethodHandles.lookup().findVarHandle(CacheEntry.class, "uses", long.class);
      LAST_USED = MethodHandles.lookup().findVarHandle(CacheEntry.class, "lastUsed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private long p0;
  private long p1;
  /** Where the key's SHA-256 hash has its stamp (below 2^24), and {@link #VALID} if the verdict is. */
  private int slotAndValid;
  /** The stamp of {@link #slot} read before the store (or the preloaded index) was: see {@link Stamps}. */
  int stamp;
  /** The verdict for the key, without the device check, which depends on the request. */
  @Nullable Verdict verdict;
  /** Ticker time from which the verdict may be wrong (expiry, end of overlap, negative TTL). */
  long deadline;
  /**
   * Ticker time of the last counted use, to within {@link #LAST_USE_GRANULARITY_NANOS}. Read and
   * written opaquely ({@link #lastUsed()}): atomic and eventually seen by the flusher, without the
   * fence a volatile write costs on every hit of a key used less often than the granularity.
   */
  @SuppressWarnings("unused") // through LAST_USED
  private long lastUsed;
  /** Uses counted since the last flush, and {@link #QUEUED} while the entry sits in the flusher's queue. */
  @SuppressWarnings("unused") // through USES
  private volatile long uses;

  /** A probe, to be {@link #set}. */
  CacheEntry() {}

  private CacheEntry(long p0, long p1) {
    this.p0 = p0;
    this.p1 = p1;
  }

  /** Makes this probe stand for the PRF value {@code (p0, p1)}. */
  void set(long p0, long p1) {
    this.p0 = p0;
    this.p1 = p1;
  }

  /** @return a new entry for this probe's PRF value, to be filled and stored */
  CacheEntry copyKey() {
    return new CacheEntry(p0, p1);
  }

  /** Sets where the key's hash has its stamp, and the stamp read there, before the verdict is looked up. */
  CacheEntry stamped(int slot, int stamp) {
    this.slotAndValid = (slotAndValid & VALID) | slot;
    this.stamp = stamp;
    return this;
  }

  /** Sets what the entry knows, before it is published. */
  CacheEntry fill(Verdict verdict, long deadline, long now) {
    this.verdict = verdict;
    this.slotAndValid = verdict.isValid() ? slotAndValid | VALID : slotAndValid & ~VALID;
    this.deadline = deadline;
    LAST_USED.setOpaque(this, now - LAST_USE_GRANULARITY_NANOS);
    return this;
  }

  /**
   * @return the verdict of an entry that was {@linkplain #fill filled}: every entry in the index
   *     and in the flusher's queue is; only a probe has none
   */
  Verdict filledVerdict() {
    return Verdicts.filled(verdict);
  }

  /** @return where the key's hash has its stamp */
  int slot() {
    return slotAndValid & ~VALID;
  }

  /** @return whether the verdict is VALID, known without touching the verdict */
  boolean valid() {
    return slotAndValid < 0;
  }

  /** @return whether the entry still holds at ticker time {@code now} */
  boolean freshAt(long now) {
    return deadline - now > 0;
  }

  /** @return the ticker time of the last counted use */
  long lastUsed() {
    return (long) LAST_USED.getOpaque(this);
  }

  /**
   * Counts one use without locking: adds to the count, moves the last use forward if it is older
   * than the granularity, and queues the entry for the flusher on its first use since a flush.
   */
  void used(long now, Queue<CacheEntry> toFlush) {
    long before = (long) USES.getAndAdd(this, 1L);
    if (now - lastUsed() >= LAST_USE_GRANULARITY_NANOS) {
      LAST_USED.setOpaque(this, now);
    }
    if (before >= 0) {
      queue(toFlush);
    }
  }

  /** Sets the queued mark and queues the entry, unless another thread did first. */
  private void queue(Queue<CacheEntry> toFlush) {
    for (long u = uses; u >= 0; u = uses) {
      if (USES.compareAndSet(this, u, u | QUEUED)) {
        toFlush.offer(this);
        return;
      }
    }
  }

  /**
   * Takes the count for a flush: clears the count and the queued mark in one atomic step, so that
   * a use racing with the flush either is in the returned count or queues the entry again.
   */
  long drain() {
    return (long) USES.getAndSet(this, 0L) & ~QUEUED;
  }

  /** Gives a count back after a failed flush and queues the entry again. */
  void restore(long count, Queue<CacheEntry> toFlush) {
    if ((long) USES.getAndAdd(this, count) >= 0) {
      queue(toFlush);
    }
  }

  /** Equal PRF values, compared in full without early exit. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof CacheEntry k && ((p0 ^ k.p0) | (p1 ^ k.p1)) == 0;
  }

  /** The low half of the first PRF word: uniformly distributed already. */
  @Override
  public int hashCode() {
    return (int) p0;
  }

  /** Never the PRF value: the verdict and key id only. */
  @Override
  public String toString() {
    Verdict v = verdict;
    return "CacheEntry[" + (v == null ? "probe" : v.status() + ", keyId=" + v.keyId()) + "]";
  }
}
