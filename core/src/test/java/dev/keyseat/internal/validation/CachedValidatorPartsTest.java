package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.validation.Verdict;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The small parts of the cached validator: hash keys, the lookup budget, usage counting. */
class CachedValidatorPartsTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  public void aProbeEqualsTheStoredEntryOfTheSamePrfValueAndNoOther() {
    Random r = new Random(1);
    long p0 = r.nextLong();
    long p1 = r.nextLong();
    CacheEntry probe = new CacheEntry();
    probe.set(p0, p1);
    CacheEntry stored = probe.copyKey().fill(Verdict.UNKNOWN, 0, 0);

    assertThat(probe).isEqualTo(stored).hasSameHashCodeAs(stored);
    assertThat(stored.hashCode()).isEqualTo((int) p0);
    for (int bit = 0; bit < 64; bit++) {
      probe.set(p0 ^ (1L << bit), p1);
      assertThat(probe).as("bit %d of the first word differs", bit).isNotEqualTo(stored);
      probe.set(p0, p1 ^ (1L << bit));
      assertThat(probe).as("bit %d of the second word differs", bit).isNotEqualTo(stored);
    }
    CacheEntry copy = probe.copyKey();
    probe.set(p0 + 1, p1);
    assertThat(copy).as("a copy does not follow the probe").isNotEqualTo(probe);
    assertThat(stored.toString()).doesNotContain(Long.toHexString(p0)).contains("UNKNOWN");
  }

  @Test
  public void aHashedRecordEqualsTheProbeOfTheSameHashAndNoOther() {
    Random r = new Random(2);
    byte[] bytes = new byte[32];
    r.nextBytes(bytes);
    KeyHash hash = KeyHash.of(bytes);
    HashedVerdict stored = HashedVerdict.of(hash).fill(Verdict.UNKNOWN, 0);
    HashedVerdict probe = new HashedVerdict();
    probe.set(bytes);
    assertThat(probe).isEqualTo(stored).hasSameHashCodeAs(stored);
    assertThat(stored.hashCode()).isEqualTo(hash.hashCode());
    for (int i = 0; i < 32; i++) {
      byte[] other = bytes.clone();
      other[i] ^= 1;
      probe.set(other);
      assertThat(probe).as("byte %d differs", i).isNotEqualTo(stored);
    }
  }

  @Test
  public void aStampMovesForItsHashAndEntriesRememberTheOneTheySaw() {
    Stamps stamps = new Stamps(400_000);
    int header = Tables.HEADER_INTS;
    assertThat(stamps.slots()).as("a slot per two entries, rounded up to a power of two, less the header")
        .isEqualTo(262_144 - header);
    assertThat(new Stamps(262_144).slots()).isEqualTo(131_072 - header);
    assertThat(new Stamps(262_146).slots()).isEqualTo(262_144 - header);
    assertThat(new Stamps(10).slots()).isEqualTo(Stamps.MIN_SLOTS - header);
    assertThat(new Stamps(Long.MAX_VALUE).slots()).isEqualTo(Stamps.MAX_SLOTS - header);
    byte[] digest = new byte[32];
    new Random(3).nextBytes(digest);
    KeyHash hash = KeyHash.of(digest);
    int slot = stamps.slotOf(hash);
    assertThat(stamps.slotOf(digest)).isEqualTo(slot);
    int before = stamps.read(slot);
    stamps.bump(slot);
    assertThat(stamps.read(slot)).isEqualTo(before + 1);
    byte[] other = digest.clone();
    other[4] ^= (byte) 0x80; // the slot comes from bytes 4..7, highest bits first
    assertThat(stamps.slotOf(other)).isNotEqualTo(slot);
    assertThat(stamps.read(stamps.slotOf(other))).isZero();
  }

  @Test
  public void knownHashesHoldEveryAddedPrefixAcrossGrowthAndAlmostNoOther() {
    KnownHashes known = new KnownHashes(16);
    Random r = new Random(4);
    int[] added = new int[10_000];
    for (int i = 0; i < added.length; i++) {
      byte[] d = new byte[32];
      r.nextBytes(d);
      added[i] = KnownHashes.prefix(d);
      known.add(added[i]);
      known.add(added[i]);
    }
    assertThat(known.size()).isEqualTo(10_000);
    for (int p : added) {
      assertThat(known.mightContain(p)).isTrue();
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      falsePositives += known.mightContain(r.nextInt() | 1) ? 1 : 0;
    }
    assertThat(falsePositives).as("10,000 of 2^32 prefixes").isLessThan(5);
    assertThat(KnownHashes.prefix(new byte[32])).as("zero marks an empty slot").isEqualTo(1);
    assertThat(known.ready()).isFalse();
    known.markReady();
    assertThat(known.ready()).isTrue();
  }

  /** Makes {@code attempt} {@code tries} times and returns how many of them were granted. */
  private static int granted(int tries, BooleanSupplier attempt) {
    int granted = 0;
    for (int i = 0; i < tries; i++) {
      granted += attempt.getAsBoolean() ? 1 : 0;
    }
    return granted;
  }

  @Test
  public void theReserveLeavesPermitsForOthers() {
    long t = 7 * SECOND;
    LookupBudget budget = new LookupBudget(8, t);
    int flood = granted(100, () -> budget.tryAcquire(t, 2));
    assertThat(flood).isEqualTo(6);
    assertThat(budget.tryAcquire(t)).isTrue();
    assertThat(budget.tryAcquire(t)).isTrue();
    assertThat(budget.tryAcquire(t)).isFalse();
  }

  @Test
  public void theLookupBudgetAllowsItsRatePerSecondInBursts() {
    long t = 123 * SECOND;
    LookupBudget budget = new LookupBudget(5, t);
    int allowed = granted(100, () -> budget.tryAcquire(t));
    assertThat(allowed).isEqualTo(5);
    assertThat(budget.tryAcquire(t + SECOND / 5 - 1)).isFalse();
    assertThat(budget.tryAcquire(t + SECOND / 5)).isTrue();

    int overTenSeconds = 0;
    for (long now = t + SECOND; now < t + 11 * SECOND; now += SECOND / 100) {
      overTenSeconds += budget.tryAcquire(now) ? 1 : 0;
    }
    assertThat(overTenSeconds).as("the rate, plus at most one burst saved up").isBetween(50, 55);
  }

  @Test
  public void theLookupBudgetWorksWithNegativeTickerValues() {
    long t = -50 * SECOND;
    LookupBudget budget = new LookupBudget(1, t);
    assertThat(budget.tryAcquire(t)).isTrue();
    assertThat(budget.tryAcquire(t)).isFalse();
    assertThat(budget.tryAcquire(t + SECOND)).isTrue();
  }

  @Test
  public void usageIsDrainedOnceAndRequeuedAfterADrain() {
    java.util.Queue<CacheEntry> queue = new java.util.ArrayDeque<>();
    CacheEntry e = new CacheEntry().fill(Verdict.UNKNOWN, Long.MAX_VALUE, 0);
    e.used(10, queue);
    e.used(20, queue);
    assertThat(queue).containsExactly(e);
    assertThat(e.lastUsed()).as("within the granularity").isEqualTo(10);
    assertThat(e.valid()).isFalse();
    e.used(10 + CacheEntry.LAST_USE_GRANULARITY_NANOS, queue);
    assertThat(e.lastUsed()).isEqualTo(10 + CacheEntry.LAST_USE_GRANULARITY_NANOS);

    assertThat(queue.poll().drain()).isEqualTo(3);
    e.used(30, queue);
    assertThat(queue).containsExactly(e);
    e.restore(4, queue);
    assertThat(queue).as("queued once").hasSize(1);
    assertThat(queue.poll().drain()).isEqualTo(5);
  }

  @Test
  public void anEntryKeepsItsSlotAndWhetherItIsValidApartWhateverTheOrderTheyAreSet() {
    Verdict valid = Verdict.of(Verdict.Status.VALID, new dev.keyseat.AccountId("acme"), "SN-1",
        new dev.keyseat.KeyId("key_abcdefgh1234"));
    int slot = Stamps.MAX_SLOTS - 1;
    CacheEntry stampedFirst = new CacheEntry().stamped(slot, 7).fill(valid, 1, 0);
    assertThat(stampedFirst.valid()).isTrue();
    assertThat(stampedFirst.slot()).isEqualTo(slot);
    assertThat(stampedFirst.stamp).isEqualTo(7);
    CacheEntry filledFirst = new CacheEntry().fill(valid, 1, 0).stamped(slot, 7);
    assertThat(filledFirst.valid()).isTrue();
    assertThat(filledFirst.slot()).isEqualTo(slot);
    CacheEntry refilled = filledFirst.fill(Verdict.UNKNOWN, 1, 0);
    assertThat(refilled.valid()).as("a verdict that is not VALID clears the mark").isFalse();
    assertThat(refilled.slot()).isEqualTo(slot);
    assertThat(new CacheEntry().stamped(0, 0).fill(valid, 1, 0).slot()).isZero();
  }

  @Test
  public void aRestoredCountQueuesAnEntryThatIsNotQueuedAndAddsToItsNextDrain() {
    java.util.Queue<CacheEntry> queue = new java.util.ArrayDeque<>();
    CacheEntry e = new CacheEntry().fill(Verdict.UNKNOWN, Long.MAX_VALUE, 0);
    assertThat(e.drain()).as("nothing counted yet").isZero();
    e.restore(6, queue);
    assertThat(queue).containsExactly(e);
    e.used(1, queue);
    assertThat(queue).as("queued once").hasSize(1);
    assertThat(queue.poll().drain()).isEqualTo(7);
    assertThat(e.drain()).as("a drain takes everything").isZero();
    e.used(2, queue);
    assertThat(queue).as("a use after the drain queues it again").containsExactly(e);
  }

  @Test
  public void largeTablesFillWholeHeapRegionsAndPickEverySlotUniformly() {
    assertThat(Tables.lengthFor(1 << 20)).as("header and data: exactly 4 MB").isEqualTo((1 << 20) - 4);
    assertThat(Tables.doubled((1 << 20) - 4)).isEqualTo((1 << 21) - 4);
    int length = 1000;
    assertThat(Tables.slot(0, length)).isZero();
    assertThat(Tables.slot(-1, length)).as("the largest value, read unsigned").isEqualTo(length - 1);
    assertThat(Tables.slot(Integer.MIN_VALUE, length)).as("half way").isEqualTo(length / 2);
    int[] hits = new int[length];
    Random r = new Random(5);
    for (int i = 0; i < 1_000_000; i++) {
      hits[Tables.slot(r.nextInt(), length)]++;
    }
    assertThat(java.util.Arrays.stream(hits).min().orElseThrow()).as("about 1,000 each").isGreaterThan(850);
    assertThat(java.util.Arrays.stream(hits).max().orElseThrow()).as("about 1,000 each").isLessThan(1150);
  }

  @Test
  public void theKnownHashesGrowPastHalfFullAndKeepEveryPrefixAcrossTheWrapOfTheirTable() {
    KnownHashes known = new KnownHashes(16);
    // prefixes whose slots are all the last one of the table: their probe sequences wrap to slot 0
    int[] last = new int[5];
    for (int i = 0; i < last.length; i++) {
      last[i] = -1 - i;
      known.add(last[i]);
    }
    for (int p : last) {
      assertThat(known.mightContain(p)).as("%x", p).isTrue();
    }
    assertThat(known.mightContain(-100)).isFalse();
    Random r = new Random(9);
    int[] added = new int[5000];
    for (int i = 0; i < added.length; i++) {
      added[i] = r.nextInt() | 1;
      known.add(added[i]);
    }
    for (int p : added) {
      assertThat(known.mightContain(p)).isTrue();
    }
    for (int p : last) {
      assertThat(known.mightContain(p)).isTrue();
    }
    assertThat(known.size()).isEqualTo(5000 + last.length);
  }
}
