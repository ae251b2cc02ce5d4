package dev.keyseat.internal.validation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;

/**
 * SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012; the reference implementation's {@code siphash.c} with {@code outlen == 16}), under a key of
 * its own. It keys the validator's in-memory index: the index holds the PRF of each presented key,
 * not its SHA-256, so that a cache hit costs one SipHash (tens of nanoseconds) instead of a SHA-256.
 * The validator hashes a native key's 27-character body alone (its prefix is fixed and its
 * checksum a function of the body, so the body determines the key), and legacy keys under a
 * second, independent key, so that a legacy key spelling some native key's body has a PRF value
 * of its own.
 *
 * <p><b>Why this is safe.</b> SipHash-2-4 is a pseudorandom function: to anyone who does not know
 * the key, its outputs are indistinguishable from random 128-bit values. The key is 128 bits drawn
 * from {@link SecureRandom} when the validator is built, held in two private fields of this object
 * and nowhere else: never stored, logged, printed ({@link #toString()} does not show it) or sent.
 * So:
 *
 * <ul>
 *   <li><b>Forgery.</b> A presented key is accepted from the index only if its PRF equals the PRF of
 *       a key that the store validated before. Without the PRF key an attacker's best strategy is
 *       guessing: each attempt matches one of {@code n} cached entries with probability at most
 *       {@code n / 2^128} (with a million cached keys, below 3 × 10^-33 per attempt), far below the
 *       chance of guessing a key's 160-bit body outright, which the store's SHA-256 lookup allows
 *       anyway. Inputs that fail the format's checksum never reach the PRF.
 *   <li><b>Heap dump.</b> An attacker who can read the process memory sees, per cached key, a PRF
 *       value and the store's row (ids, the verdict); and the PRF key. With the PRF key, the PRF
 *       values let them test guesses offline, exactly as the store's SHA-256 hashes (held by the
 *       store, and in every heap that loaded them) already do: a key body carries 160 bits, so
 *       neither is a shortcut. Nothing in the index is reversible to a key, and no plaintext key
 *       is kept beyond the request that presents it.
 *   <li><b>Across processes.</b> Each validator draws its own key, so PRF values mean nothing
 *       outside the process and never need to be revoked.
 * </ul>
 *
 * Thread-safe and allocation-free. Public (in a package the module does not export) only so that
 * the benchmarks' PRF floor measures this very implementation.
 */
public final class SipHash {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private final long k0;
  private final long k1;

  /** @param random draws the 128-bit key */
  public SipHash(SecureRandom random) {
    this(random.nextLong(), random.nextLong());
  }

  /** A fixed key: for the reference test vectors only. */
  SipHash(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  /**
   * The 128-bit SipHash-2-4 of {@code in[off..off+len)}: the first output word is returned, the
   * second written to {@code high[0]} (in the reference implementation's byte output both are
   * little-endian, first word first).
   *
   * @param in the message
   * @param off where it starts
   * @param len its length in bytes
   * @param high receives the second 64-bit word
   * @return the first 64-bit word
   */
  public long hash(byte[] in, int off, int len, long[] high) {
    long v0 = k0 ^ 0x736f6d6570736575L;
    long v1 = k1 ^ 0x646f72616e646f6dL ^ 0xee;
    long v2 = k0 ^ 0x6c7967656e657261L;
    long v3 = k1 ^ 0x7465646279746573L;
    int end = off + (len & ~7);
    for (int i = off; i < end; i += 8) {
      long m = (long) LONGS.get(in, i);
      v3 ^= m;
      // two compression rounds
      v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
      v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
      v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
      v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
      v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
      v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
      v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      v0 ^= m;
    }
    long b = ((long) len) << 56;
    for (int i = (len & 7) - 1; i >= 0; i--) {
      b |= (in[end + i] & 0xffL) << (8 * i);
    }
    v3 ^= b;
    for (int r = 0; r < 2; r++) {
      v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
      v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
      v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
      v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
    }
    v0 ^= b;
    v2 ^= 0xee;
    // two output words, four finalization rounds each; the second after v1 ^= 0xdd
    long first = 0;
    for (int word = 0; word < 2; word++) {
      for (int r = 0; r < 4; r++) {
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      }
      if (word == 0) {
        first = v0 ^ v1 ^ v2 ^ v3;
        v1 ^= 0xdd;
      }
    }
    high[0] = v0 ^ v1 ^ v2 ^ v3;
    return first;
  }

  /** Says what it is, never the key. */
  @Override
  public String toString() {
    return "SipHash-2-4-128[key hidden]";
  }
}
