package dev.keyseat.testkit;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.ApiKey;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NotFoundException;
import dev.keyseat.UserId;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fuzz test of the real {@link KeyManager} over a store: several administrators of one account
 * create, delete and regenerate keys at once while an observer reads the keys table and the
 * license usage. The quota (R1: keys never exceed the contracted licenses) and one key per device
 * (R2: no device has two keys, every key's device belongs to the account) must hold at every
 * observation and at the end, and the only refusals may be the ones a caller can act on
 * ({@link LicenseLimitException}, {@link DeviceAlreadyHasKeyException}, {@link NotFoundException}).
 * It fails if the store does not serialize writers of one account, or if its read snapshots mix
 * two transactions.
 *
 * <p>To run it against a store, extend this class in the store's test sources:
 *
 * <pre>{@code
 * class MyKeyManagerConcurrencyTest extends KeyManagerConcurrencyContract {
 *   @Override
 *   protected KeyStore createStore() {
 *     return MyKeyStore.builder(dataSource).build();   // fresh and empty
 *   }
 *
 *   @Override
 *   protected int operationsPerThread() {
 *     return 100;   // a slower store may lower the default of 250
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #createStore()} is called before every test and must return a store holding no
 * account. The run is bounded: {@link #threads()} × {@link #operationsPerThread()} management
 * calls, every wait limited by {@link #timeout()}; nothing sleeps. Each failure message carries the
 * random seed of the run.
 */
public abstract class KeyManagerConcurrencyContract extends StoreSuite {


  /** The account the administrators share. */
  protected static final AccountId ACCOUNT = AccountId.of("fuzz");
  /** Licenses the account contracts. */
  protected static final int LICENSES = 10;
  /** Devices of the account, three per license. */
  protected static final int DEVICES = 30;

  private static final Set<Class<? extends RuntimeException>> EXPECTED_REFUSALS =
      Set.of(LicenseLimitException.class, DeviceAlreadyHasKeyException.class, NotFoundException.class);

  private ExecutorService pool;
  private KeyStore store;
  private KeyManager manager;

  /**
   * Returns the store under test. Called before every test.
   *
   * @return a store holding no account
   */
  @Override
  protected abstract KeyStore createStore();

  /** @return concurrent administrators, 8 by default */
  protected int threads() {
    return 8;
  }

  /** @return management calls per administrator, 250 by default; lower it for slow stores */
  protected int operationsPerThread() {
    return 250;
  }

  /** @return the bound on the whole run and on every wait, 60 seconds by default */
  protected Duration timeout() {
    return Duration.ofSeconds(60);
  }

  @BeforeEach
  final void setUpConcurrencyContract() {
    pool = daemonPool("key-manager-fuzz");
    store = freshStore();
    manager = Keyseat.builder(store).clock(clock).build().manager();
  }

  @AfterEach
  final void tearDownConcurrencyContract() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(timeout().toMillis(), MILLISECONDS);
  }

  @Test
  void concurrentAdministratorsNeverExceedTheLicensesNorGiveADeviceTwoKeys() throws Exception {
    long seed = new Random().nextLong();
    manager.createAccount(OPERATOR, ACCOUNT, new NewAccount("Fuzz", UserId.of("alice"), LICENSES));
    List<String> serials = IntStream.rangeClosed(1, DEVICES).mapToObj(i -> String.format("DEV-%04d", i)).toList();
    for (String serial : serials) {
      manager.associateDevice(ADMIN, ACCOUNT, new NewDevice(serial, "Monitor " + serial));
    }
    Set<String> devices = Set.copyOf(serials);

    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writing = new AtomicBoolean(true);
    Problems problems = new Problems();
    LongAdder created = new LongAdder();
    LongAdder deleted = new LongAdder();
    LongAdder regenerated = new LongAdder();
    Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();

    Future<Integer> observer = pool.submit(() -> {
      await(start);
      int observations = 0;
      boolean last = false;
      while (!last) {
        last = !writing.get();
        try {
          List<ApiKey> keys = manager.keys(ADMIN, ACCOUNT);
          LicenseUsage usage = manager.licenseUsage(ADMIN, ACCOUNT);
          checkInvariants("observation " + observations, keys, usage, devices, problems);
        } catch (RuntimeException e) {
          problems.add("observer failed: " + stackTrace(e));
        }
        observations++;
      }
      return observations;
    });

    List<Future<?>> admins = new ArrayList<>();
    for (int t = 0; t < threads(); t++) {
      Random random = new Random(seed + t);
      admins.add(pool.submit(() -> {
        await(start);
        for (int i = 0; i < operationsPerThread(); i++) {
          try {
            int op = random.nextInt(4);
            if (op < 2) {
              List<String> batch = pick(serials, 1 + random.nextInt(3), random);
              created.add(manager.createKeys(ADMIN, ACCOUNT, NewKeys.forDevices(batch)).size());
            } else {
              List<ApiKey> keys = manager.keys(ADMIN, ACCOUNT);
              if (keys.isEmpty()) {
                continue;
              }
              KeyId target = keys.get(random.nextInt(keys.size())).id();
              if (op == 2) {
                manager.deleteKey(ADMIN, ACCOUNT, target);
                deleted.increment();
              } else {
                manager.regenerateKey(ADMIN, ACCOUNT, target);
                regenerated.increment();
              }
            }
          } catch (RuntimeException e) {
            if (EXPECTED_REFUSALS.contains(e.getClass())) {
              refusals.computeIfAbsent(e.getClass().getSimpleName(), c -> new AtomicInteger()).incrementAndGet();
            } else {
              problems.add("unexpected " + stackTrace(e));
            }
          }
        }
        return null;
      }));
    }

    start.countDown();
    long deadline = System.nanoTime() + timeout().toNanos();
    try {
      for (Future<?> admin : admins) {
        get(admin, deadline, "an administrator");
      }
    } finally {
      writing.set(false);
    }
    int observations = get(observer, deadline, "the observer");

    String context = "seed " + seed + ", created " + created + ", deleted " + deleted + ", regenerated "
        + regenerated + ", refusals " + refusals + ", observations " + observations;
    List<ApiKey> keys = manager.keys(ADMIN, ACCOUNT);
    LicenseUsage usage = manager.licenseUsage(ADMIN, ACCOUNT);
    checkInvariants("the end", keys, usage, devices, problems);
    assertThat(problems.all()).as(context).isEmpty();
    assertThat(observations).as(context).isPositive();
    assertThat(created.sum()).as(context).isPositive();
    assertThat(deleted.sum()).as(context).isPositive();
    assertThat(keys).as("keys at the end: created - deleted; " + context)
        .hasSize((int) (created.sum() - deleted.sum()));

    List<ChangeEvent> feed = store.changesSince(0, Integer.MAX_VALUE);
    long createdEvents = feed.stream().filter(e -> e.type() == ChangeEvent.Type.CREATED).count();
    long deletedEvents = feed.stream().filter(e -> e.type() == ChangeEvent.Type.DELETED).count();
    long regeneratedEvents = feed.stream().filter(e -> e.type() == ChangeEvent.Type.REGENERATED).count();
    assertThat(List.of(createdEvents, deletedEvents, regeneratedEvents)).as("change feed; " + context)
        .containsExactly(created.sum(), deleted.sum(), regenerated.sum());
    Set<KeyId> alive = feed.stream().filter(e -> e.type() == ChangeEvent.Type.CREATED).map(ChangeEvent::keyId)
        .collect(Collectors.toCollection(HashSet::new));
    feed.stream().filter(e -> e.type() == ChangeEvent.Type.DELETED).map(ChangeEvent::keyId).forEach(alive::remove);
    assertThat(keys).extracting(ApiKey::id).as("keys created and not deleted per the feed; " + context)
        .containsExactlyInAnyOrderElementsOf(alive);
  }

  private static void checkInvariants(String when, List<ApiKey> keys, LicenseUsage usage, Set<String> devices,
      Problems problems) {
    if (keys.size() > LICENSES) {
      problems.add("R1 broken at " + when + ": " + keys.size() + " keys under " + LICENSES + " licenses");
    }
    if (usage.total() != LICENSES || usage.used() > usage.total()) {
      problems.add("R1 broken at " + when + ": usage " + usage);
    }
    Set<String> keyed = new HashSet<>();
    for (ApiKey key : keys) {
      if (!keyed.add(key.deviceSerial())) {
        problems.add("R2 broken at " + when + ": device " + key.deviceSerial() + " has two keys");
      }
      if (!devices.contains(key.deviceSerial()) || !key.accountId().equals(ACCOUNT)) {
        problems.add("R2 broken at " + when + ": key " + key.id() + " is bound to " + key.deviceSerial()
            + " of " + key.accountId());
      }
    }
  }

  private static List<String> pick(List<String> from, int n, Random random) {
    List<String> picked = new ArrayList<>(n);
    while (picked.size() < n) {
      String s = from.get(random.nextInt(from.size()));
      if (!picked.contains(s)) {
        picked.add(s);
      }
    }
    return picked;
  }

  private void await(CountDownLatch latch) throws InterruptedException {
    if (!latch.await(timeout().toMillis(), MILLISECONDS)) {
      throw new AssertionError("the start signal did not come within " + timeout());
    }
  }

  private static <T> T get(Future<T> future, long deadlineNanos, String what) throws Exception {
    try {
      return future.get(Math.max(0, deadlineNanos - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new AssertionError(what + " did not finish in time", e);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed", e.getCause());
    }
  }

  private static String stackTrace(Throwable e) {
    StringWriter out = new StringWriter();
    e.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  /** Problems seen by any thread, kept bounded so a broken store does not flood the report. */
  private static final class Problems {
    private final ConcurrentLinkedQueue<String> items = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();

    void add(String problem) {
      if (count.incrementAndGet() <= 20) {
        items.add(problem);
      }
    }

    List<String> all() {
      List<String> all = new ArrayList<>(items);
      if (count.get() > all.size()) {
        all.add("... and " + (count.get() - all.size()) + " more");
      }
      return all;
    }
  }
}
