package dev.keyseat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Queue;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the cache knows about one hash: the verdict ready to return, until when it holds, and the
 * usage counted since the last flush. It extends {@link LongAdder} (the use count) instead of
 * holding one to save an object and a reference per cached key; the adder stays uncontended and
 * allocation-free until two threads validate the same key at once, and then spreads out.
 */
@SuppressWarnings("serial")
final class CacheEntry extends LongAdder {
  /** Last-use times closer than this are not rewritten, so that hot keys do not share a hot cache line. */
  static final long LAST_USE_GRANULARITY_NANOS = 1_000_000L;
  private static final VarHandle DIRTY;

  static {
    try {
      DIRTY = MethodHandles.lookup().findVarHandle(CacheEntry.class, "dirty", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The verdict for the hash, without the device check, which depends on the request. */
  final Verdict verdict;
  /** Ticker time from which the verdict may be wrong (expiry, end of overlap, negative TTL). */
  final long deadline;
  /** Ticker time of the last counted use, to within {@link #LAST_USE_GRANULARITY_NANOS}. */
  volatile long lastUsed;
  /** Whether the entry sits in the flusher's queue. */
  @SuppressWarnings("unused")
  private volatile boolean dirty;

  CacheEntry(Verdict verdict, long deadline, long now) {
    this.verdict = verdict;
    this.deadline = deadline;
    this.lastUsed = now - LAST_USE_GRANULARITY_NANOS;
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

  @Override
  public String toString() {
    return "CacheEntry[" + verdict.status() + ", keyId=" + verdict.keyId() + "]";
  }
}
