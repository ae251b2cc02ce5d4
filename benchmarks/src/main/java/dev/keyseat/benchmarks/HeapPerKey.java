package dev.keyseat.benchmarks;

import dev.keyseat.AccountId;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.KeyId;
import dev.keyseat.Keyseat;
import dev.keyseat.validation.ValidatorScheduler;
import dev.keyseat.validation.Verdict;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.vm.VM;

/**
 * Heap per cached key: the heap growth (after full GCs) from filling a validator's cache with
 * every key of a store, divided by the number of keys. Three set-ups:
 *
 * <ul>
 *   <li>{@code bounded}: the default size-bounded cache; {@code preloaded}: {@code
 *       preloadAllKeys()} (an unbounded cache);
 *   <li>{@code shared}: over the in-memory store, whose loaded keys share their id, account and
 *       serial objects with the store, so only the validator's own structures count; {@code
 *       fresh}: over a store that returns new objects on every read, as a JDBC store does, so the
 *       key's id, account and serial objects that each verdict holds count too.
 * </ul>
 *
 * Then the first again, broken down with JOL instance sizes of the per-key objects.
 *
 * <p>{@code java -Xmx8g -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true -cp
 * benchmarks/target/benchmarks.jar dev.keyseat.benchmarks.HeapPerKey [keys]}
 */
public final class HeapPerKey {
  /** Keys validated between two runs of the feed poller, which the captured scheduler never runs by itself. */
  private static final int POLL_EVERY = 10_000;

  private HeapPerKey() {}

  /** Captures the validator's background tasks so that the flusher runs when we say. */
  static final class Tasks implements ValidatorScheduler {
    final Map<String, Runnable> byName = new HashMap<>();

    @Override
    public Cancellable schedule(String name, Duration period, Runnable task) {
      byName.put(name, task);
      return () -> byName.remove(name);
    }
  }

  /**
   * @param args keys (default 1,000,000)
   */
  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    long t0 = System.nanoTime();
    Fleet fleet = new Fleet(n);
    System.out.printf("created %,d keys in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);

    Keyseat shared = Keyseat.builder(new Wrapper(fleet.store, false)).build();
    Keyseat fresh = Keyseat.builder(new Wrapper(fleet.store, true)).build();
    measure("bounded, shared", fleet, shared, false, n, false);
    measure("bounded, fresh", fleet, fresh, false, n, false);
    measure("preloaded, shared", fleet, shared, true, n, false);
    measure("preloaded, fresh", fleet, fresh, true, n, false);
    measure("bounded, shared", fleet, shared, false, n, true);
  }

  private static void measure(String what, Fleet fleet, Keyseat keyseat, boolean preload, int n, boolean breakdown) {
    long before = usedAfterGc();
    Tasks tasks = new Tasks();
    CachedKeyValidatorBuilder b = keyseat.validator().scheduler(tasks).storeLookupsPerSecond(100_000_000);
    CachedKeyValidator v = (preload ? b.preloadAllKeys() : b.maximumSize(n + n / 10)).build();
    Runnable poll = tasks.byName.get("feed-poller");
    for (int i = 0; i < n; i++) {
      if (i % POLL_EVERY == 0) {
        poll.run(); // as the scheduler would: filling a million entries outlasts the staleness bound
      }
      Verdict verdict = v.validate(fleet.secrets[i]);
      if (!verdict.isValid()) {
        throw new IllegalStateException("key " + i + " did not validate: " + verdict.status());
      }
    }
    tasks.byName.get("usage-flusher").run();
    long after = usedAfterGc();
    System.out.printf("%-18s %,12d entries  %,15d bytes  %6.1f bytes per cached key%n",
        what, v.estimatedSize(), after - before, (after - before) / (double) n);
    if (breakdown) {
      breakdown(v, (after - before) / (double) n);
    }
    Reference.reachabilityFence(v);
    v.close();
  }

  /**
   * What one cached key costs, object by object (JOL sizes of one instance of each per-key object),
   * and what is left for the arrays that grow with the cache: the hash table, Caffeine's
   * frequency sketch and buffers.
   */
  private static void breakdown(CachedKeyValidator v, double measuredPerKey) {
    Object manual = field(v, "cache");
    Object local = field(manual, "cache");
    Map<?, ?> data = (Map<?, ?>) field(local, "data");
    Object node = data.values().iterator().next();
    Object entry = ((Map<?, ?>) ((com.github.benmanes.caffeine.cache.Cache<?, ?>) manual).asMap()).keySet().iterator().next();
    Object verdict = field(entry, "verdict");
    long entrySize = VM.current().sizeOf(entry);
    long nodeSize = VM.current().sizeOf(node);
    long verdictSize = VM.current().sizeOf(verdict);
    long mapNodeSize = ClassLayout.parseClass(mapNodeClass()).instanceSize();
    long objects = entrySize + nodeSize + verdictSize + mapNodeSize;
    int[] knownTable = (int[]) field(field(v, "known"), "table");
    int[] stampTable = (int[]) field(field(v, "stamps"), "table");
    double known = knownTable.length * 4.0 / data.size();
    double stamps = stampTable.length * 4.0 / data.size();
    System.out.printf("%nper cached key, bounded, shared (JOL instance sizes):%n");
    System.out.printf("  %4d  %s (the entry, its own key: PRF value, stamp, verdict, deadline, usage)%n", entrySize, entry.getClass().getName());
    System.out.printf("  %4d  %s (Caffeine's node)%n", nodeSize, node.getClass().getName());
    System.out.printf("  %4d  %s (the ready VALID verdict)%n", verdictSize, verdict.getClass().getName());
    System.out.printf("  %4d  java.util.concurrent.ConcurrentHashMap$Node%n", mapNodeSize);
    System.out.printf("  %4.1f  known hashes (4 bytes of every stored hash, table at most half full)%n", known);
    System.out.printf("  %4.1f  stamps (invalidation by hash, one int per slot)%n", stamps);
    System.out.printf("  %4.0f  hash table, frequency sketch, buffers (the rest of the measured %.1f)%n",
        measuredPerKey - objects - known - stamps, measuredPerKey);
  }

  private static Class<?> mapNodeClass() {
    try {
      return Class.forName("java.util.concurrent.ConcurrentHashMap$Node");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a field of the validator's implementation: this is a measuring tool. */
  private static Object field(Object o, String name) {
    for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
      try {
        java.lang.reflect.Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + name + " of " + o.getClass(), e);
      }
    }
    throw new IllegalStateException("no field " + name + " in " + o.getClass());
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * The in-memory store, with usage writes dropped (they would grow the store, not the cache) and,
   * if {@code fresh}, new objects returned from every read, as a store reading rows does.
   */
  static final class Wrapper extends WithoutUsage {
    private final boolean fresh;

    Wrapper(KeyStore store, boolean fresh) {
      super(store);
      this.fresh = fresh;
    }

    @Override
    public Optional<StoredKey> findKeyByHash(KeyHash hash) {
      return fresh ? super.findKeyByHash(hash).map(Wrapper::copy) : super.findKeyByHash(hash);
    }

    @Override
    public void forEachKey(Consumer<? super StoredKey> action) {
      super.forEachKey(k -> action.accept(fresh ? copy(k) : k));
    }

    private static StoredKey copy(StoredKey k) {
      return new StoredKey(new KeyId(fresh(k.id().value())), new AccountId(fresh(k.accountId().value())),
          fresh(k.deviceSerial()), KeyHash.of(k.hash().toBytes()), fresh(k.hint()), fresh(k.label()),
          k.createdAt(), k.regeneratedAt(), k.expiresAt(), k.suspended(),
          k.previousHash() == null ? null : KeyHash.of(k.previousHash().toBytes()), k.previousValidUntil(),
          k.sealedSecret());
    }

    /** A string with its own character array, as a driver decoding a row makes. */
    private static String fresh(String s) {
      return new String(s.toCharArray());
    }
  }
}
