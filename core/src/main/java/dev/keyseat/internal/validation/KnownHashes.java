package dev.keyseat.internal.validation;

import dev.keyseat.spi.KeyHash;

/**
 * Four bytes of the SHA-256 hash of every key the store holds (current and previous secrets), in
 * an open-addressing table of {@code int}s at most half full ({@link Tables} sizes it): about 8
 * bytes per key. Filled from
 * the store's listing when the validator starts and kept current by this JVM's commits and the
 * change feed, it answers "certainly not a key" for almost every made-up key (a random hash matches
 * one of {@code n} prefixes with probability {@code n / 2^32}), so that a flood of them needs no
 * store lookup and cannot starve real keys of the lookup budget.
 *
 * <p>It only grows between full reloads: a deleted key's prefix stays until the next reload, which
 * costs at most a lookup for whoever presents that deleted key. Lock-free reads, synchronized
 * writes; an addition is visible to every reader that starts after {@link #add} returned.
 */
final class KnownHashes {
  private static final int EMPTY = 0;
  private volatile int[] table;
  private int count; // guarded by this
  private volatile boolean ready;

  /** @param expected how many hashes to size the table for */
  KnownHashes(long expected) {
    this.table = new int[capacityFor(Math.max(16, expected))];
  }

  private static int capacityFor(long n) {
    long slots = Long.highestOneBit(Math.max(16, n * 2 - 1)) << 1;
    if (slots > 1 << 30) {
      throw new IllegalStateException("too many keys for the known-hash table: " + n);
    }
    return Tables.lengthFor((int) slots);
  }

  /** The prefix of the hash in {@code digest[0..32)}, never {@link #EMPTY}. */
  static int prefix(byte[] digest) {
    int p = (digest[0] & 0xff) << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8 | (digest[3] & 0xff);
    return p == EMPTY ? 1 : p;
  }

  /** The prefix of {@code hash}: as {@link KeyHash#hashCode()}, which is its first four bytes. */
  static int prefix(KeyHash hash) {
    int p = hash.hashCode();
    return p == EMPTY ? 1 : p;
  }

  /** @return whether a hash with this {@linkplain #prefix prefix} may be known */
  boolean mightContain(int prefix) {
    int[] t = table;
    return t[find(t, prefix)] == prefix;
  }

  /** @param prefix a {@linkplain #prefix prefix} to remember */
  synchronized void add(int prefix) {
    int[] t = table;
    if (insert(t, prefix)) {
      count++;
      if (count * 2L > t.length) {
        int[] bigger = new int[Tables.doubled(t.length)];
        for (int v : t) {
          if (v != EMPTY) {
            insert(bigger, v);
          }
        }
        t = bigger;
      }
    }
    table = t; // publishes the slot written, for readers that start after this returns
  }

  /** @return whether the listing that fills it is complete: only then does a miss rule a hash out */
  boolean ready() {
    return ready;
  }

  /** Trusts the table from now on: the listing is complete. */
  void markReady() {
    ready = true;
  }

  /** @return the number of distinct prefixes held */
  synchronized int size() {
    return count;
  }

  private static boolean insert(int[] t, int prefix) {
    int i = find(t, prefix);
    if (t[i] == prefix) {
      return false;
    }
    t[i] = prefix;
    return true;
  }

  /** @return the slot holding {@code prefix}, or else the empty slot where its probe sequence ends */
  private static int find(int[] t, int prefix) {
    int n = t.length;
    int i = Tables.slot(prefix, n); // the prefix is uniform already
    while (t[i] != prefix && t[i] != EMPTY) {
      i = i + 1 == n ? 0 : i + 1;
    }
    return i;
  }
}
