package dev.keyseat.internal.validation;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.validation.Verdict;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * A preloaded cache's record of one stored hash (its own key: the 32-byte hash as four longs) with
 * the verdict it earns and until when. The preloaded index by hash holds one per hash the store
 * knows; the index by PRF then holds a {@link CacheEntry} for each key presented since, made from
 * it. Public (in a package the module does not export) only so that the benchmarks' SHA-256 floor
 * probes its map with this very key class.
 */
public final class HashedVerdict {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private long h0;
  private long h1;
  private long h2;
  private long h3;
  @Nullable Verdict verdict;
  long deadline;

  /** A probe, to be {@link #set}. */
  public HashedVerdict() {}

  /**
   * @param hash a stored hash
   * @return a record for {@code hash}, to be {@link #fill}ed
   */
  public static HashedVerdict of(KeyHash hash) {
    HashedVerdict h = new HashedVerdict();
    h.set(hash.toBytes());
    return h;
  }

  /**
   * Makes this probe stand for the hash in {@code digest[0..32)}.
   *
   * @param digest a SHA-256 hash in its first 32 bytes
   */
  public void set(byte[] digest) {
    h0 = (long) LONGS.get(digest, 0);
    h1 = (long) LONGS.get(digest, 8);
    h2 = (long) LONGS.get(digest, 16);
    h3 = (long) LONGS.get(digest, 24);
  }

  HashedVerdict fill(Verdict verdict, long deadline) {
    this.verdict = verdict;
    this.deadline = deadline;
    return this;
  }

  Verdict filledVerdict() {
    return Verdicts.filled(verdict);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HashedVerdict k && ((h0 ^ k.h0) | (h1 ^ k.h1) | (h2 ^ k.h2) | (h3 ^ k.h3)) == 0;
  }

  /** The first four bytes of the hash, as {@link KeyHash#hashCode()}. */
  @Override
  public int hashCode() {
    return (int) (h0 >>> 32);
  }

  @Override
  public String toString() {
    Verdict v = verdict;
    return "HashedVerdict[" + (v == null ? "probe" : v.status() + ", keyId=" + v.keyId()) + "]";
  }
}
