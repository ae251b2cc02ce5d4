package dev.keyseat.internal.validation;

import dev.keyseat.spi.KeyHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Invalidation by SHA-256 hash for an index keyed by something else (the PRF of the presented key):
 * a table of counters, one per slot, a slot being chosen by four bytes of the hash. A change to a
 * key bumps the stamp of each of its hashes' slots; an entry remembers the stamp of its hash's slot
 * read <em>before</em> its verdict was looked up, and holds only while the slot still has that
 * stamp. So a commit that lands after the lookup read the store always outdates the entry, and an
 * entry never outlives a change announced for its hash.
 *
 * <p>Two hashes may share a slot: a change to one then also outdates the other's entry, which is
 * looked up again (a store lookup in a bounded cache, none in a preloaded one). The table has at
 * least one slot per {@link #ENTRIES_PER_SLOT} entries, so a change outdates at most about one
 * other entry on average (changes are rare next to validations, and a reload is one lookup), for
 * half the memory of a slot per entry: 2 bytes per cached key instead of 4.
 * Thread-safe; a reader's check is one plain load.
 */
final class Stamps {
  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  static final int MIN_SLOTS = 1 << 16;
  static final int MAX_SLOTS = 1 << 24;
  /** Entries per slot, at most (slots rounded up to a power of two, less the array header: see {@link Tables}). */
  static final int ENTRIES_PER_SLOT = 2;
  private final int[] table;

  /** @param entries how many entries the index may hold: the table gets a slot per {@link #ENTRIES_PER_SLOT} */
  Stamps(long entries) {
    long wanted = Math.max(MIN_SLOTS, Math.min(MAX_SLOTS, entries / ENTRIES_PER_SLOT));
    int slots = Integer.highestOneBit((int) wanted - 1) << 1;
    this.table = new int[Tables.lengthFor(slots)];
  }

  /** @return the slot of the hash whose bytes are {@code digest[0..32)} */
  int slotOf(byte[] digest) {
    return Tables.slot((digest[4] & 0xff) << 24 | (digest[5] & 0xff) << 16 | (digest[6] & 0xff) << 8 | (digest[7] & 0xff),
        table.length);
  }

  /** @return the slot of {@code hash} */
  int slotOf(KeyHash hash) {
    return slotOf(hash.toBytes());
  }

  /** @return the slot's stamp now */
  int read(int slot) {
    return (int) INTS.getAcquire(table, slot);
  }

  /** Outdates every entry of the slot's hashes loaded before now. */
  void bump(int slot) {
    INTS.getAndAdd(table, slot, 1);
  }

  /** @return the number of slots */
  int slots() {
    return table.length;
  }
}
