package dev.keyseat.internal.validation;

import dev.keyseat.validation.Verdict;
import dev.keyseat.spi.KeyHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Queue;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One cache entry, which is also its own key: the 32-byte hash as four longs (equality and hash
 * code), the verdict ready to return, until when it holds, and the usage counted since the last
 * flush. Being key and value at once saves an object and a dependent memory access per lookup;
 * the validating thread reuses one instance per thread as a lookup probe, so that a hit
 * allocates nothing.
 *
 * <p>It extends {@link LongAdder} (the use count) instead of holding one for the same reason; the
 * adder stays uncontended and allocation-free until two threads validate the same key at once,
 * and then spreads out.
 *
 * <p>Entries are created with their hash, filled by the loader ({@link #fill}) and only then
 * published through the cache, which orders the writes before any reader's reads. Probes are
 * never stored.
 */
@SuppressWarnings("serial")
final class CacheEntry extends LongAdder {
  /** Last-use times closer than this are not rewritten, so that hot keys do not share a hot cache line. */
  static final long LAST_USE_GRANULARITY_NANOS = 1_000_000L;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle DIRTY;

  static {
    try {
      DIRTY = MethodHandles.lookup().findVarHandle(CacheEntry.class, "dirty", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private long h0;
  private long h1;
  private long h2;
  private long h3;
  /** The verdict for the hash, without the device check, which depends on the request. */
  @Nullable Verdict verdict;
  /** Whether {@link #verdict} is VALID, readable without touching the verdict. */
  boolean valid;
  /** Ticker time from which the verdict may be wrong (expiry, end of overlap, negative TTL). */
  long deadline;
  /** Ticker time of the last counted use, to within {@link #LAST_USE_GRANULARITY_NANOS}. */
  volatile long lastUsed;
  /** Whether the entry sits in the flusher's queue. */
  @SuppressWarnings("unused")
  private volatile boolean dirty;

  /** A probe, to be {@link #set}. */
  CacheEntry() {}

  private CacheEntry(long h0, long h1, long h2, long h3) {
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  /** @return an entry for {@code hash}, to be filled */
  static CacheEntry of(KeyHash hash) {
    CacheEntry e = new CacheEntry();
    e.set(hash.toBytes());
    return e;
  }

  /** Makes this probe stand for the hash in the first 32 bytes of {@code digest}. */
  void set(byte[] digest) {
    h0 = (long) LONGS.get(digest, 0);
    h1 = (long) LONGS.get(digest, 8);
    h2 = (long) LONGS.get(digest, 16);
    h3 = (long) LONGS.get(digest, 24);
  }

  /** @return a new entry for this probe's hash, to be filled and stored */
  CacheEntry copyHash() {
    return new CacheEntry(h0, h1, h2, h3);
  }

  KeyHash toKeyHash() {
    byte[] b = new byte[KeyHash.LENGTH];
    LONGS.set(b, 0, h0);
    LONGS.set(b, 8, h1);
    LONGS.set(b, 16, h2);
    LONGS.set(b, 24, h3);
    return KeyHash.of(b);
  }

  /** Sets what the entry knows, before it is published. */
  CacheEntry fill(Verdict verdict, long deadline, long now) {
    this.verdict = verdict;
    this.valid = verdict.isValid();
    this.deadline = deadline;
    this.lastUsed = now - LAST_USE_GRANULARITY_NANOS;
    return this;
  }

  /**
   * @return the verdict of an entry that was {@linkplain #fill filled}: every entry in the cache
   *     and in the flusher's queue is; only a probe has none
   */
  Verdict filledVerdict() {
    Verdict v = verdict;
    if (v == null) {
      throw new IllegalStateException("a probe has no verdict");
    }
    return v;
  }

  /** @return whether the entry still holds at ticker time {@code now} */
  boolean freshAt(long now) {
    return deadline - now > 0;
  }

  /**
   * Counts one use without locking: adds to the count, moves the last use forward if it is older
   * than the granularity, and queues the entry for the flusher on its first use since a flush.
   */
  void used(long now, Queue<CacheEntry> toFlush) {
    increment();
    if (now - lastUsed >= LAST_USE_GRANULARITY_NANOS) {
      lastUsed = now;
    }
    if (!dirty && DIRTY.compareAndSet(this, false, true)) {
      toFlush.offer(this);
    }
  }

  /**
   * Takes the count for a flush: clears the queued mark first, so that a use racing with the
   * flush either is in the returned count or queues the entry again.
   */
  long drain() {
    dirty = false;
    return sumThenReset();
  }

  /** Gives a count back after a failed flush and queues the entry again. */
  void restore(long count, Queue<CacheEntry> toFlush) {
    add(count);
    if (DIRTY.compareAndSet(this, false, true)) {
      toFlush.offer(this);
    }
  }

  /** Equal hashes, compared in full without early exit. */
  @Override
  public boolean equals(Object o) {
    return o instanceof CacheEntry k && ((h0 ^ k.h0) | (h1 ^ k.h1) | (h2 ^ k.h2) | (h3 ^ k.h3)) == 0;
  }

  /** The first four bytes of the hash, as {@link KeyHash#hashCode()}: uniformly distributed already. */
  @Override
  public int hashCode() {
    return (int) (h0 >>> 32);
  }

  @Override
  public String toString() {
    Verdict v = verdict;
    return "CacheEntry[" + Long.toHexString(h0 >>> 32) + "…, " + (v == null ? "probe" : v.status() + ", keyId=" + v.keyId()) + "]";
  }
}
