package dev.keyseat;

import dev.keyseat.spi.KeyHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A 32-byte key hash as four longs: the cache's key. The validating thread reuses one mutable
 * instance per thread as a lookup probe, so that a cache hit allocates nothing; instances stored
 * in the cache are never changed. Equality compares all 32 bytes without early exit.
 */
final class HashKey {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private long h0;
  private long h1;
  private long h2;
  private long h3;

  /** A probe, to be {@link #set}. */
  HashKey() {}

  private HashKey(long h0, long h1, long h2, long h3) {
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  static HashKey of(KeyHash hash) {
    HashKey k = new HashKey();
    k.set(hash.toBytes());
    return k;
  }

  /** Makes this probe stand for the first 32 bytes of {@code digest}. */
  void set(byte[] digest) {
    h0 = (long) LONGS.get(digest, 0);
    h1 = (long) LONGS.get(digest, 8);
    h2 = (long) LONGS.get(digest, 16);
    h3 = (long) LONGS.get(digest, 24);
  }

  /** @return an immutable copy, to be stored */
  HashKey copy() {
    return new HashKey(h0, h1, h2, h3);
  }

  KeyHash toKeyHash() {
    byte[] b = new byte[KeyHash.LENGTH];
    LONGS.set(b, 0, h0);
    LONGS.set(b, 8, h1);
    LONGS.set(b, 16, h2);
    LONGS.set(b, 24, h3);
    return KeyHash.of(b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HashKey k && ((h0 ^ k.h0) | (h1 ^ k.h1) | (h2 ^ k.h2) | (h3 ^ k.h3)) == 0;
  }

  /** The first four bytes, as {@link KeyHash#hashCode()}: a uniformly distributed hash already. */
  @Override
  public int hashCode() {
    return (int) (h0 >>> 32);
  }

  @Override
  public String toString() {
    return "HashKey[" + Long.toHexString(h0 >>> 32) + "…]";
  }
}
