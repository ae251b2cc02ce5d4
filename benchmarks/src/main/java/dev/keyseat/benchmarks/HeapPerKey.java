package dev.keyseat.benchmarks;

import dev.keyseat.AccountId;
import dev.keyseat.CachedKeyValidator;
import dev.keyseat.KeyId;
import dev.keyseat.Keyseat;
import dev.keyseat.ValidatorScheduler;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.openjdk.jol.info.GraphLayout;

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
 * Then a JOL footprint, by class, of the objects only the cache reaches, for a smaller fleet.
 *
 * <p>{@code java -Xmx8g -cp benchmarks/target/benchmarks.jar dev.keyseat.benchmarks.HeapPerKey [keys] [jolSample]}
 */
public final class HeapPerKey {
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
   * @param args keys (default 1,000,000), JOL sample size (default 100,000)
   */
  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int sample = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    long t0 = System.nanoTime();
    Fleet fleet = new Fleet(n);
    System.out.printf("created %,d keys in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);

    Keyseat shared = Keyseat.builder(new Wrapper(fleet.store, false)).build();
    Keyseat fresh = Keyseat.builder(new Wrapper(fleet.store, true)).build();
    measure("bounded, shared", fleet, shared, false, n);
    measure("bounded, fresh", fleet, fresh, false, n);
    measure("preloaded, shared", fleet, shared, true, n);
    measure("preloaded, fresh", fleet, fresh, true, n);
    footprint(Math.min(sample, n));
  }

  private static void measure(String what, Fleet fleet, Keyseat keyseat, boolean preload, int n) {
    long before = usedAfterGc();
    Tasks tasks = new Tasks();
    CachedKeyValidator.Builder b = keyseat.validator().scheduler(tasks).storeLookupsPerSecond(100_000_000);
    CachedKeyValidator v = (preload ? b.preloadAllKeys() : b.maximumSize(n + n / 10)).build();
    for (String secret : fleet.secrets) {
      if (!v.validate(secret).isValid()) {
        throw new IllegalStateException("a key did not validate");
      }
    }
    tasks.byName.get("usage-flusher").run();
    long after = usedAfterGc();
    System.out.printf("%-18s %,12d entries  %,15d bytes  %6.1f bytes per cached key%n",
        what, v.estimatedSize(), after - before, (after - before) / (double) n);
    Reference.reachabilityFence(v);
    v.close();
  }

  private static void footprint(int sample) {
    Fleet fleet = new Fleet(sample);
    Tasks tasks = new Tasks();
    CachedKeyValidator v = fleet.keyseat.validator().scheduler(tasks).storeLookupsPerSecond(100_000_000)
        .maximumSize(sample + sample / 10).build();
    for (int i = 0; i < sample; i++) {
      v.validate(fleet.secrets[i]);
    }
    tasks.byName.get("usage-flusher").run();
    Object cache = field(v, "cache");
    GraphLayout own = GraphLayout.parseInstance(cache).subtract(GraphLayout.parseInstance(fleet.store));
    System.out.printf("%nJOL: classes taking at least 1 byte per key in the graph of the cache of a validator"
        + " holding %,d keys, without what it shares with the in-memory store%n", sample);
    System.out.printf("%12s %8s %14s %10s  %s%n", "COUNT", "AVG", "SUM", "PER KEY", "CLASS");
    long counted = 0;
    for (Class<?> c : own.getClasses()) {
      long size = own.getClassSizes().count(c);
      long count = own.getClassCounts().count(c);
      if (size >= sample) {
        counted += size;
        System.out.printf("%,12d %8d %,14d %10.1f  %s%n", count, size / count, size, size / (double) sample, c.getName());
      }
    }
    System.out.printf("%12s %8s %,14d %10.1f  (these classes)%n", "", "", counted, counted / (double) sample);
    v.close();
  }

  /** Reads a field of the validator's implementation: this is a measuring tool. */
  private static Object field(Object o, String name) {
    try {
      java.lang.reflect.Field f = o.getClass().getDeclaredField(name);
      f.setAccessible(true);
      return f.get(o);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + name + " of " + o.getClass(), e);
    }
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
  static final class Wrapper implements KeyStore {
    private final KeyStore store;
    private final boolean fresh;

    Wrapper(KeyStore store, boolean fresh) {
      this.store = store;
      this.fresh = fresh;
    }

    @Override
    public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
      return store.inAccount(accountId, work);
    }

    @Override
    public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
      return store.readAccount(accountId, work);
    }

    @Override
    public Optional<StoredKey> findKeyByHash(KeyHash hash) {
      return fresh ? store.findKeyByHash(hash).map(Wrapper::copy) : store.findKeyByHash(hash);
    }

    @Override
    public void forEachKey(Consumer<? super StoredKey> action) {
      store.forEachKey(k -> action.accept(fresh ? copy(k) : k));
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

    @Override
    public List<ChangeEvent> changesSince(long afterSequence, int max) {
      return store.changesSince(afterSequence, max);
    }

    @Override
    public long latestChangeSequence() {
      return store.latestChangeSequence();
    }

    @Override
    public void recordUsage(Collection<UsageDelta> batch) {
      // dropped: see above
    }
  }
}
