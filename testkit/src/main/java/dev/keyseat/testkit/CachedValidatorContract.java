package dev.keyseat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyStore.Capability;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What {@link CachedKeyValidator} promises over a store: verdicts, coherence with local and remote
 * changes, bounded staleness, flood protection, usage, rate limits, metrics. Extend it with a
 * fresh store per test; every store shipped with Keyseat passes it unchanged.
 *
 * <p>Time is a {@link MutableClock} moved by a {@link ManualScheduler}, which also runs the
 * validators' poller and flusher; nothing sleeps. Store calls are counted and failed on demand by
 * an {@link InstrumentedKeyStore} around the store under test.
 */
public abstract class CachedValidatorContract extends StoreSuite {


  /** Serials of the account's devices. */
  protected static final List<String> DEVICES = List.of("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5", "AQ-6");
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Runs every validator's poller and flusher when the test advances time. */
  protected ManualScheduler scheduler;
  /** The store under test, counted and failed on demand. */
  protected InstrumentedKeyStore store;
  /** Node A: the Keyseat the validators are built from unless a test says otherwise. */
  protected Keyseat keyseat;
  /** Node A's management API. */
  protected KeyManager keys;
  /** Metrics of validators built with {@link #validator()}. */
  protected RecordingValidatorMetrics metrics;
  private final List<CachedKeyValidator> started = new ArrayList<>();
  /** The store under test without the instrumentation: reads and purges while the feed "fails". */
  private KeyStore raw;
  private final Random random = new Random(20260101);

  /**
   * @return a new, empty store of the kind under test; a store with a time source of its own (the
   *     feed purge's) must use {@link #clock}, set before this is called
   */
  @Override
  protected abstract KeyStore createStore();

  @BeforeEach
  void createAccountWithDevices() {
    raw = freshStore();
    scheduler = new ManualScheduler(clock);
    store = new InstrumentedKeyStore(raw);
    keyseat = Keyseat.builder(store).clock(clock).build();
    keys = keyseat.manager();
    metrics = new RecordingValidatorMetrics();
    keys.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 10));
    for (String serial : DEVICES) {
      keys.associateDevice(ADMIN, ACME, new NewDevice(serial, "Monitor " + serial, "Indoor Air Monitor"));
    }
  }

  @AfterEach
  void closeValidators() {
    started.forEach(CachedKeyValidator::close);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * @return node A's validator builder, on the manual scheduler, recording {@link #metrics}, and
   *     without the store's change notifications, so that the feed is read only when a test
   *     drives the poller (notifications have tests of their own)
   */
  protected CachedKeyValidatorBuilder validator() {
    return keyseat.validator().changeNotifications(false).scheduler(scheduler).metrics(metrics);
  }

  /**
   * Builds and remembers a validator, closed after the test.
   *
   * @param builder the configured builder
   * @return the running validator
   */
  protected CachedKeyValidator start(CachedKeyValidatorBuilder builder) {
    CachedKeyValidator v = builder.build();
    started.add(v);
    return v;
  }

  /** @return a new node: another Keyseat over the same store and clock */
  protected Keyseat anotherNode() {
    return Keyseat.builder(store).clock(clock).build();
  }

  /**
   * Creates a key for a device through node A.
   *
   * @param serial one of {@link #DEVICES}
   * @return the key with its secret
   */
  protected IssuedKey createKey(String serial) {
    return keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serial)).get(0);
  }

  /** @return a well-formed key no store issued */
  protected String unknownKey() {
    return TestKeys.wellFormed("ks", random);
  }

  /**
   * Asserts the verdict on a key's current secret, naming the rule that decides it.
   *
   * @param v the validator
   * @param name the key's name in the test, for the message
   * @param key the key
   * @param expected the verdict's status
   */
  private static void assertVerdict(KeyValidator v, String name, IssuedKey key, Status expected) {
    assertThat(v.validate(secret(key)).status()).as(RuleWords.verdict(name + "'s secret", expected))
        .isEqualTo(expected);
  }

  /**
   * Asserts the verdict on a key's current secret presented for a device.
   *
   * @param v the validator
   * @param name the key's name in the test, for the message
   * @param key the key
   * @param device the device serial presented with it
   * @param expected the verdict's status
   */
  private static void assertVerdict(KeyValidator v, String name, IssuedKey key, String device, Status expected) {
    assertThat(v.validate(secret(key), device).status())
        .as(RuleWords.verdict(name + "'s secret presented for " + device, expected)).isEqualTo(expected);
  }

  private static String secret(IssuedKey k) {
    return k.secret().reveal();
  }

  private ApiKey row(KeyId id) {
    return keys.keys(ADMIN, ACME).stream().filter(k -> k.id().equals(id)).findFirst().orElseThrow();
  }

  // Thread.yield(): on a loaded machine the waiter gives the thread it waits for its turn sooner
  @SuppressWarnings("ThreadPriorityCheck")
  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out waiting until " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  // ------------------------------------------------------------------ verdicts

  @Test
  void aValidKeyIsValidWithItsAccountDeviceAndKeyId() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());

    Verdict first = v.validate(secret(k));
    Verdict again = v.validate(secret(k), "AQ-1");

    assertThat(first.status()).as("a valid key is valid with its account device and key id: first.status()").isEqualTo(Status.VALID);
    assertThat(first.accountId()).as("a valid key is valid with its account device and key id: first.accountId()").isEqualTo(ACME);
    assertThat(first.deviceSerial()).as("a valid key is valid with its account device and key id: first.deviceSerial()").isEqualTo("AQ-1");
    assertThat(first.keyId()).as("a valid key is valid with its account device and key id: first.keyId()").isEqualTo(k.key().id());
    assertThat(again).as("a valid key is valid with its account device and key id: again").isEqualTo(first);
    assertThat(store.lookups()).as("the second call is answered from the cache").isEqualTo(1);
  }

  @Test
  void aKeyPresentedForAnotherDeviceIsADeviceMismatch() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());

    assertVerdict(v, "k", k, "AQ-2", Status.DEVICE_MISMATCH);
    assertThat(v.validate(secret(k), "AQ-2").keyId()).as("a key presented for another device is a device mismatch: v.validate(secret(k), \"AQ-2\").keyId()").isEqualTo(k.key().id());
    assertVerdict(v, "k", k, "AQ-1", Status.VALID);
  }

  @Test
  void everyVerdictAgreesWithTheStoreValidator() {
    IssuedKey valid = createKey("AQ-1");
    IssuedKey suspended = createKey("AQ-2");
    keys.editKey(ADMIN, ACME, suspended.key().id(), KeyEdit.suspend());
    IssuedKey expiring = keys.createKeys(ADMIN, ACME,
        NewKeys.forDevices("AQ-3").withExpiresAt(clock.instant().plusSeconds(5))).get(0);
    IssuedKey regenerated = createKey("AQ-4");
    IssuedKey replacement = keys.regenerateKey(ADMIN, ACME, regenerated.key().id());
    CachedKeyValidator v = start(validator());
    scheduler.advance(Duration.ofSeconds(5));

    List<String> presented = List.of(secret(valid), secret(suspended), secret(expiring), secret(regenerated),
        secret(replacement), unknownKey(), "ks_garbage");
    for (String key : presented) {
      for (String serial : new String[] {null, "AQ-1", "AQ-4"}) {
        Verdict expected = keyseat.storeValidator().validate(key, serial);
        assertThat(v.validate(key, serial)).as("%s for %s", expected.status(), serial).isEqualTo(expected);
      }
    }
    assertVerdict(v, "expiring", expiring, Status.EXPIRED);
    assertVerdict(v, "regenerated", regenerated, Status.REVOKED);
    assertVerdict(v, "suspended", suspended, Status.SUSPENDED);
  }

  @Test
  void garbageIsMalformedWithoutHashingOrLookupAndNothingThrows() {
    IssuedKey k = createKey("AQ-1");
    String good = secret(k);
    CachedKeyValidator v = start(validator());
    List<String> garbage = new ArrayList<>(List.of("", " ", "ks_", "ks", good + " ", " " + good, good + "\u0000",
        good.substring(1), good.toUpperCase(Locale.ROOT), "x".repeat(1 << 20), "ks_" + "é".repeat(33),
        "ks_" + "\uD83D\uDE00".repeat(16) + "A", good.replace('_', '-'), "\u0000".repeat(good.length()),
        "\n\r\t\b".repeat(10), good.substring(0, 10) + "\u0430" + good.substring(11)));
    for (int i = 0; i < good.length(); i++) {
      // every single-character change of a real key: CRC32 catches each one
      char c = good.charAt(i);
      char other = c == 'A' ? 'B' : 'A';
      garbage.add(good.substring(0, i) + other + good.substring(i + 1));
      garbage.add(good.substring(0, i) + '\u0007' + good.substring(i + 1));
      garbage.add(good.substring(0, i) + '\u00ff' + good.substring(i + 1));
    }
    Random r = new Random(42);
    for (int i = 0; i < 5000; i++) {
      char[] chars = new char[r.nextInt(3) == 0 ? r.nextInt(200) : good.length()];
      for (int j = 0; j < chars.length; j++) {
        chars[j] = r.nextBoolean() ? good.charAt(j % good.length()) : (char) r.nextInt(r.nextBoolean() ? 128 : 0x10000);
      }
      if (r.nextBoolean() && chars.length > 3) {
        chars[0] = 'k';
        chars[1] = 's';
        chars[2] = '_';
      }
      String s = new String(chars);
      if (!s.equals(good)) {
        garbage.add(s);
      }
    }

    for (String g : garbage) {
      assertThat(v.validate(g).status()).as("%s", g.length() > 80 ? g.length() + " chars" : g)
          .isEqualTo(Status.MALFORMED);
      assertThat(v.validate(g, "AQ-1").status()).as(RuleWords.verdict("g presented for AQ-1", Status.MALFORMED)).isEqualTo(Status.MALFORMED);
    }
    assertThat(v.validate(null)).as("garbage is malformed without hashing or lookup and nothing throws: v.validate(null)").isSameAs(Verdict.MALFORMED);
    assertThat(v.validate(null, null)).as("garbage is malformed without hashing or lookup and nothing throws: v.validate(null, null)").isSameAs(Verdict.MALFORMED);
    assertThat(v.validate(null, "AQ-1")).as("garbage is malformed without hashing or lookup and nothing throws: v.validate(null, \"AQ-1\")").isSameAs(Verdict.MALFORMED);
    assertThat(store.lookups()).as("garbage is malformed without hashing or lookup and nothing throws: store.lookups()").isZero();
    assertThat(metrics.misses() + metrics.hits()).as("no cache lookup, hence no hash").isZero();
    assertThat(v.validate(good, "\u0000\uD83D").status()).as(RuleWords.verdict("good presented for \\u0000\\uD83D", Status.DEVICE_MISMATCH)).isEqualTo(Status.DEVICE_MISMATCH);
  }

  @Test
  void aStoreFailingEverythingMakesWellFormedKeysUnavailableAndNothingThrows() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    store.failAll(true);

    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    assertThat(v.validate(unknownKey(), "AQ-1").status()).as(RuleWords.verdict("unknownKey() presented for AQ-1", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);
    assertThat(v.validate("nonsense").status()).as(RuleWords.verdict("\"nonsense\"", Status.MALFORMED)).isEqualTo(Status.MALFORMED);
    scheduler.advance(Duration.ofMinutes(2));
    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    v.close();
    assertVerdict(v, "k", k, Status.UNAVAILABLE);
  }

  @Test
  void throwingMetricsFailClosedInsteadOfThrowing() {
    IssuedKey k = createKey("AQ-1");
    AtomicBoolean broken = new AtomicBoolean();
    CachedKeyValidator v = start(keyseat.validator().changeNotifications(false).scheduler(scheduler).metrics(new ValidatorMetrics() {
      @Override
      public void cacheHit() {
        if (broken.get()) {
          throw new IllegalStateException("metrics backend down");
        }
      }
    }));
    assertVerdict(v, "k", k, Status.VALID);
    broken.set(true);

    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    broken.set(false);
    assertVerdict(v, "k", k, Status.VALID);
  }

  // ------------------------------------------------------------------ local changes

  @Test
  void aRegeneratedSecretFailsOnTheVeryNextCall() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    assertVerdict(v, "k", k, Status.VALID);

    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());

    assertVerdict(v, "k", k, Status.REVOKED);
    assertVerdict(v, "fresh", fresh, Status.VALID);
    assertThat(store.feedReads()).as("no poll was needed").isZero();
  }

  /** How a key is deleted: on its own (R5), or with its device (R10). */
  enum Deletion { ALONE, WITH_ITS_DEVICE }

  @ParameterizedTest(name = "deleted {0}")
  @EnumSource(Deletion.class)
  void aDeletedKeyFailsOnTheVeryNextCall(Deletion deletion) {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    assertVerdict(v, "k", k, Status.VALID);

    switch (deletion) {
      case ALONE -> keys.deleteKey(ADMIN, ACME, k.key().id());
      case WITH_ITS_DEVICE -> keys.dissociateDevice(ADMIN, ACME, "AQ-1");
    }

    assertVerdict(v, "k", k, Status.UNKNOWN);
  }

  @Test
  void suspendResumeAndRebindApplyOnTheVeryNextCall() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    assertVerdict(v, "k", k, "AQ-1", Status.VALID);

    keys.editKey(ADMIN, ACME, k.key().id(), KeyEdit.suspend());
    assertVerdict(v, "k", k, "AQ-1", Status.SUSPENDED);

    keys.editKey(ADMIN, ACME, k.key().id(), KeyEdit.resume());
    assertVerdict(v, "k", k, "AQ-1", Status.VALID);

    keys.editKey(ADMIN, ACME, k.key().id(), KeyEdit.rebindTo("AQ-2"));
    assertVerdict(v, "k", k, "AQ-1", Status.DEVICE_MISMATCH);
    assertVerdict(v, "k", k, "AQ-2", Status.VALID);
  }

  @Test
  void anExpiryTurnsACachedKeyExpiredWhenItsTimeComesWithoutAnyChange() {
    IssuedKey k = keys.createKeys(ADMIN, ACME,
        NewKeys.forDevices("AQ-1").withExpiresAt(clock.instant().plus(Duration.ofMinutes(10)))).get(0);
    CachedKeyValidator v = start(validator());
    assertVerdict(v, "k", k, Status.VALID);

    scheduler.advance(Duration.ofMinutes(10).minusMillis(1));
    assertVerdict(v, "k", k, Status.VALID);
    scheduler.advance(Duration.ofMillis(1));
    assertVerdict(v, "k", k, Status.EXPIRED);
  }

  @Test
  void anOldSecretInItsOverlapIsValidUntilTheOverlapEnds() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id(), Duration.ofHours(1));

    assertVerdict(v, "k", k, Status.VALID);
    assertVerdict(v, "fresh", fresh, Status.VALID);
    scheduler.advance(Duration.ofHours(1).minusMillis(1));
    assertVerdict(v, "k", k, Status.VALID);
    scheduler.advance(Duration.ofMillis(1));
    assertVerdict(v, "k", k, Status.REVOKED);
    assertVerdict(v, "fresh", fresh, Status.VALID);
  }

  @Test
  void noThreadSeesARegeneratedSecretValidAfterTheRegenerationReturned() throws InterruptedException {
    CachedKeyValidator v = start(validator().storeLookupsPerSecond(1_000_000));
    AtomicReference<String> current = new AtomicReference<>();
    AtomicReference<String> dead = new AtomicReference<>();
    AtomicInteger violations = new AtomicInteger();
    AtomicLong rounds = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Runnable validating = () -> {
      while (!stop.get()) {
        String mustFail = dead.get();
        String live = current.get();
        if (live != null) {
          v.validate(live);
        }
        if (mustFail != null && v.validate(mustFail).isValid()) {
          violations.incrementAndGet();
        }
        rounds.incrementAndGet();
      }
    };
    List<Thread> threads = List.of(new Thread(validating), new Thread(validating), new Thread(validating));
    threads.forEach(Thread::start);
    try {
      for (String serial : DEVICES) {
        IssuedKey k = createKey(serial);
        current.set(secret(k));
        for (int i = 0; i < 5; i++) {
          long seen = rounds.get();
          await("validators ran", () -> rounds.get() > seen + 50);
          IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());
          dead.set(current.get());
          current.set(secret(fresh));
        }
        long seen = rounds.get();
        await("validators ran", () -> rounds.get() > seen + 50);
        keys.deleteKey(ADMIN, ACME, k.key().id());
        dead.set(current.get());
      }
      long seen = rounds.get();
      await("validators ran", () -> rounds.get() > seen + 50);
    } finally {
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
    }
    assertThat(violations.get()).as("no thread sees a regenerated secret valid after the regeneration returned: violations.get()").isZero();
  }

  // ------------------------------------------------------------------ other nodes

  @Test
  void anotherNodesChangesArriveWithinOnePollInterval() {
    Keyseat nodeB = anotherNode();
    CachedKeyValidator a = start(validator());
    CachedKeyValidator b = start(nodeB.validator().changeNotifications(false).scheduler(scheduler));
    IssuedKey k = createKey("AQ-1");
    assertVerdict(a, "k", k, Status.VALID);
    assertVerdict(b, "k", k, Status.VALID);

    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());
    assertVerdict(a, "k", k, Status.REVOKED);
    assertThat(b.validate(secret(k)).status()).as("B has not polled yet").isEqualTo(Status.VALID);
    scheduler.advance(POLL);
    assertVerdict(b, "k", k, Status.REVOKED);
    assertVerdict(b, "fresh", fresh, Status.VALID);
    assertVerdict(a, "fresh", fresh, Status.VALID);

    nodeB.manager().editKey(ADMIN, ACME, k.key().id(), KeyEdit.suspend());
    assertVerdict(b, "fresh", fresh, Status.SUSPENDED);
    assertThat(a.validate(secret(fresh)).status()).as("A has not polled yet").isEqualTo(Status.VALID);
    scheduler.advance(POLL);
    assertVerdict(a, "fresh", fresh, Status.SUSPENDED);

    keys.deleteKey(ADMIN, ACME, k.key().id());
    assertVerdict(a, "fresh", fresh, Status.UNKNOWN);
    scheduler.advance(POLL);
    assertVerdict(b, "fresh", fresh, Status.UNKNOWN);
  }

  @Test
  void onePollAppliesAFeedLongerThanOnePage() {
    Keyseat nodeB = anotherNode();
    IssuedKey k = createKey("AQ-1");
    IssuedKey busy = createKey("AQ-2");
    CachedKeyValidator b = start(nodeB.validator().changeNotifications(false).scheduler(scheduler));
    assertVerdict(b, "k", k, Status.VALID);

    for (int i = 0; i < 1200; i++) {
      keys.editKey(ADMIN, ACME, busy.key().id(), KeyEdit.label("edit " + i));
    }
    keys.deleteKey(ADMIN, ACME, k.key().id());
    scheduler.advance(POLL);

    assertVerdict(b, "k", k, Status.UNKNOWN);
  }

  // ------------------------------------------------------------------ staleness

  @Test
  void cachedAnswersOutliveAFeedOutageUpToTheMaximumStalenessThenFailClosedAndRecover() {
    IssuedKey kept = createKey("AQ-1");
    IssuedKey deleted = createKey("AQ-2");
    CachedKeyValidator v = start(validator().feedPollInterval(POLL).maxStaleness(Duration.ofSeconds(5)));
    assertVerdict(v, "kept", kept, Status.VALID);
    assertVerdict(v, "deleted", deleted, Status.VALID);

    store.failFeed(true);
    anotherNode().manager().deleteKey(ADMIN, ACME, deleted.key().id());
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(v.validate(secret(kept)).status()).as("at the staleness bound").isEqualTo(Status.VALID);
    assertThat(v.validate(secret(deleted)).status()).as("the deletion is not known yet").isEqualTo(Status.VALID);
    assertThat(metrics.lags().get(metrics.lags().size() - 1)).as("cached answers outlive a feed outage up to the maximum staleness then fail closed and recover: metrics.lags().get(metrics.lags().size() - 1)").isEqualTo(Duration.ofSeconds(5));

    clock.advance(Duration.ofMillis(1));
    assertVerdict(v, "kept", kept, Status.UNAVAILABLE);
    assertVerdict(v, "deleted", deleted, Status.UNAVAILABLE);
    scheduler.advance(Duration.ofMinutes(1).minusMillis(1));
    assertVerdict(v, "kept", kept, Status.UNAVAILABLE);

    store.failFeed(false);
    scheduler.advance(POLL);
    assertVerdict(v, "kept", kept, Status.VALID);
    assertThat(v.validate(secret(deleted)).status()).as("caught up with the feed").isEqualTo(Status.UNKNOWN);
    assertThat(metrics.lags().get(metrics.lags().size() - 1)).as("cached answers outlive a feed outage up to the maximum staleness then fail closed and recover: metrics.lags().get(metrics.lags().size() - 1)").isZero();
  }

  // ------------------------------------------------------------------ push notifications (optional)

  @Test
  void aStoreThatNotifiesChangesMakesTheValidatorReadTheFeedWithoutWaitingForAPoll() {
    IssuedKey deleted = createKey("AQ-1");
    IssuedKey regenerated = createKey("AQ-2");
    Declared.require(store, Capability.NOTIFIES_ON_COMMIT, storeName());
    int reads = store.feedReads(); // a validator's start reads only the feed's position
    // a poll interval no test waits for: only a notification can make the validator read the feed
    CachedKeyValidator v = start(keyseat.validator().scheduler(scheduler).metrics(metrics)
        .feedPollInterval(Duration.ofHours(1))
        .maxStaleness(Duration.ofDays(1)));
    assertVerdict(v, "deleted", deleted, Status.VALID);
    assertVerdict(v, "regenerated", regenerated, Status.VALID);
    await("the validator listens (it reads the feed when it starts listening)", () -> store.feedReads() > reads);

    Keyseat nodeB = anotherNode();
    nodeB.manager().deleteKey(ADMIN, ACME, deleted.key().id());
    await("the deletion on another node is seen without a poll",
        () -> v.validate(secret(deleted)).status() == Status.UNKNOWN);
    IssuedKey fresh = nodeB.manager().regenerateKey(ADMIN, ACME, regenerated.key().id());
    await("the regeneration on another node is seen without a poll",
        () -> v.validate(secret(regenerated)).status() == Status.REVOKED);
    assertVerdict(v, "fresh", fresh, Status.VALID);
  }

  // ------------------------------------------------------------------ feed gaps

  @Test
  void aNodeCutOffPastThePurgeDropsWhatItCachedAndRefusesKeysDeletedMeanwhile() {
    IssuedKey kept = createKey("AQ-1");
    IssuedKey deleted = createKey("AQ-2");
    IssuedKey regenerated = createKey("AQ-3");
    CachedKeyValidator v = start(validator().feedPollInterval(POLL).maxStaleness(Duration.ofMinutes(10)));
    for (IssuedKey k : List.of(kept, deleted, regenerated)) {
      assertVerdict(v, "k", k, Status.VALID);
    }
    Keyseat nodeB = anotherNode();
    nodeB.manager().editKey(ADMIN, ACME, kept.key().id(), KeyEdit.label("read normally"));
    scheduler.advance(POLL);
    assertThat(metrics.feedGaps()).as("a caught-up poller sees no gap").isZero();

    store.failFeed(true);
    nodeB.manager().deleteKey(ADMIN, ACME, deleted.key().id());
    IssuedKey fresh = nodeB.manager().regenerateKey(ADMIN, ACME, regenerated.key().id());
    IssuedKey later = nodeB.manager().createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")).get(0);
    store.purgeFeedKeeping(1);
    scheduler.advance(POLL.multipliedBy(3));
    store.failFeed(false);
    scheduler.advance(POLL);

    assertThat(metrics.feedGaps()).as("the gap is reported once").isEqualTo(1);
    assertThat(v.validate(secret(deleted)).status()).as("deleted while cut off, its event purged")
        .isEqualTo(Status.UNKNOWN);
    assertThat(v.validate(secret(regenerated)).status()).as("replaced while cut off").isEqualTo(Status.REVOKED);
    assertVerdict(v, "fresh", fresh, Status.VALID);
    assertVerdict(v, "later", later, Status.VALID);
    assertVerdict(v, "kept", kept, Status.VALID);
    scheduler.advance(POLL);
    assertThat(metrics.feedGaps()).as("no gap once caught up again").isEqualTo(1);
  }

  @Test
  void aNodeCutOffWhileTheStoreItselfPurgesItsFeedSeesTheGapAndRefusesKeysDeletedMeanwhile() {
    Declared.require(store, Capability.PURGES_CHANGES, storeName());
    IssuedKey kept = createKey("AQ-1");
    IssuedKey deleted = createKey("AQ-2");
    CachedKeyValidator v = start(validator().feedPollInterval(POLL).maxStaleness(Duration.ofMinutes(10)));
    assertVerdict(v, "kept", kept, Status.VALID);
    assertVerdict(v, "deleted", deleted, Status.VALID);

    store.failFeed(true);
    scheduler.advance(POLL); // cut off: the poll fails
    Keyseat nodeB = anotherNode();
    nodeB.manager().deleteKey(ADMIN, ACME, deleted.key().id());
    raw.changesSince(0, 100); // a store numbering entries when they are read numbers them now
    clock.advance(Duration.ofMinutes(1));
    IssuedKey later = nodeB.manager().createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-3")).get(0);
    int purged = raw.purgeChanges(clock.instant().minusSeconds(30)); // the store's real purge, not a simulated one
    assertThat(purged).as("the deletion's entry, and what came before it").isPositive();
    store.failFeed(false);
    scheduler.advance(POLL);

    assertThat(metrics.feedGaps()).as("a node cut off while the store itself purges its feed sees the gap and refuses keys deleted meanwhile: metrics.feedGaps()").isEqualTo(1);
    assertThat(v.validate(secret(deleted)).status()).as("deleted while cut off, its entry purged")
        .isEqualTo(Status.UNKNOWN);
    assertVerdict(v, "kept", kept, Status.VALID);
    assertVerdict(v, "later", later, Status.VALID);
    scheduler.advance(POLL);
    assertThat(metrics.feedGaps()).as("once caught up, no more gaps").isEqualTo(1);
  }

  @Test
  void aFeedPurgedPastTheCursorWithNothingAfterItIsAGapToo() {
    IssuedKey deleted = createKey("AQ-1");
    CachedKeyValidator v = start(validator().feedPollInterval(POLL).maxStaleness(Duration.ofMinutes(10)));
    assertVerdict(v, "deleted", deleted, Status.VALID);

    store.failFeed(true);
    anotherNode().manager().deleteKey(ADMIN, ACME, deleted.key().id());
    store.purgeFeedKeeping(0);
    scheduler.advance(POLL);
    store.failFeed(false);
    scheduler.advance(POLL);

    assertThat(metrics.feedGaps()).as("a feed purged past the cursor with nothing after it is a gap too: metrics.feedGaps()").isEqualTo(1);
    assertVerdict(v, "deleted", deleted, Status.UNKNOWN);
  }

  @Test
  void aPreloadedNodeBackFromBeyondThePurgeReloadsEveryKeyAndGoesOn() {
    Declared.require(store, Capability.LISTS_KEYS, storeName());
    IssuedKey kept = createKey("AQ-1");
    IssuedKey deleted = createKey("AQ-2");
    CachedKeyValidator v = start(validator().preloadAllKeys().feedPollInterval(POLL)
        .maxStaleness(Duration.ofMinutes(10)));
    store.failFeed(true);
    Keyseat nodeB = anotherNode();
    nodeB.manager().deleteKey(ADMIN, ACME, deleted.key().id());
    IssuedKey created = nodeB.manager().createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-3")).get(0);
    store.purgeFeedKeeping(0);
    store.failFeed(false);
    scheduler.advance(POLL);

    assertThat(metrics.feedGaps()).as("a preloaded node back from beyond the purge reloads every key and goes on: metrics.feedGaps()").isEqualTo(1);
    int lookups = store.lookups();
    assertVerdict(v, "deleted", deleted, Status.UNKNOWN);
    assertThat(v.validate(secret(created)).status()).as("reloaded, not looked up").isEqualTo(Status.VALID);
    assertVerdict(v, "kept", kept, Status.VALID);
    assertThat(store.lookups()).as("answered from the reloaded cache").isEqualTo(lookups);

    keys.deleteKey(ADMIN, ACME, kept.key().id());
    assertThat(v.validate(secret(kept)).status()).as("local commits still invalidate the reloaded cache")
        .isEqualTo(Status.UNKNOWN);
  }

  @Test
  void theKeyseatClockDrivesStalenessUnlessTheValidatorHasItsOwnTicker() {
    IssuedKey k = createKey("AQ-1");
    Duration staleness = Duration.ofSeconds(5);
    CachedKeyValidator byClock = start(validator().feedPollInterval(POLL).maxStaleness(staleness));
    MutableClock tickerTime = new MutableClock();
    CachedKeyValidator byTicker = start(validator().feedPollInterval(POLL).maxStaleness(staleness)
        .ticker(Ticker.of(tickerTime)));
    assertVerdict(byClock, "k", k, Status.VALID);
    assertVerdict(byTicker, "k", k, Status.VALID);

    clock.advance(staleness.plusMillis(1)); // the management clock alone; no poll runs
    assertThat(byClock.validate(secret(k)).status()).as("the default ticker follows the Keyseat clock")
        .isEqualTo(Status.UNAVAILABLE);
    assertThat(byTicker.validate(secret(k)).status()).as("its own ticker has not moved").isEqualTo(Status.VALID);

    tickerTime.advance(staleness.plusMillis(1));
    assertThat(byTicker.validate(secret(k)).status()).as("its own ticker past maxStaleness")
        .isEqualTo(Status.UNAVAILABLE);
    scheduler.runNow("feed-poller");
    assertThat(byClock.validate(secret(k)).status()).as("a poll run by hand").isEqualTo(Status.VALID);
    assertThat(byTicker.validate(secret(k)).status()).as("a poll run by hand").isEqualTo(Status.VALID);
  }

  @Test
  void aValidatorBuiltDuringAnOutageIsUnavailableUntilTheStoreAnswers() {
    IssuedKey k = createKey("AQ-1");
    store.failFeed(true);
    CachedKeyValidator v = start(validator());

    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    scheduler.advance(Duration.ofSeconds(3));
    assertVerdict(v, "k", k, Status.UNAVAILABLE);

    store.failFeed(false);
    scheduler.advance(POLL);
    assertVerdict(v, "k", k, Status.VALID);
  }

  @Test
  void aFailedLookupIsUnavailableAndNotRemembered() {
    IssuedKey k = createKey("AQ-1");
    String unknown = unknownKey();
    CachedKeyValidator v = start(validator());
    store.failLookups(true);

    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    assertThat(v.validate(unknown).status()).as(RuleWords.verdict("unknown", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);

    store.failLookups(false);
    assertVerdict(v, "k", k, Status.VALID);
    assertThat(v.validate(unknown).status()).as(RuleWords.verdict("unknown", Status.UNKNOWN)).isEqualTo(Status.UNKNOWN);
    assertThat(store.lookups()).as("a failed lookup is unavailable and not remembered: store.lookups()").isEqualTo(4);
  }

  // ------------------------------------------------------------------ flood protection

  @Test
  void distinctUnknownKeysCauseAtMostTheLookupBudgetPerSecond() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator().storeLookupsPerSecond(5));
    boolean listed = store.capabilities().contains(Capability.LISTS_KEYS);

    List<Status> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(v.validate(unknownKey()).status());
    }
    if (listed) {
      // made-up keys use the budget down to its reserve (a quarter: 1 of 5), then the store's
      // listed hashes answer them without a lookup; the reserve serves a real key at once
      assertThat(store.lookups()).isEqualTo(4);
      assertThat(answers).as("ruled out by the known hashes").containsOnly(Status.UNKNOWN);
      assertThat(metrics.refused()).as("metrics count verdicts, hits, misses and lookups: refused()")
        .isEqualTo(16);
      assertThat(v.validate(secret(k)).status()).as("a valid key not cached yet, on its first try")
          .isEqualTo(Status.VALID);
      assertThat(store.lookups()).isEqualTo(5);
    } else {
      assertThat(store.lookups()).isEqualTo(5);
      assertThat(answers.subList(0, 5)).containsOnly(Status.UNKNOWN);
      assertThat(answers.subList(5, 20)).as("the key may exist: not UNKNOWN").containsOnly(Status.UNAVAILABLE);
      assertThat(v.validate(secret(k)).status()).as("a valid key not cached yet waits too")
          .isEqualTo(Status.UNAVAILABLE);
      assertThat(metrics.refused()).as("metrics count verdicts, hits, misses and lookups: refused()")
        .isEqualTo(16);
    }

    scheduler.advance(Duration.ofSeconds(1));
    assertThat(v.validate(secret(k)).status()).isEqualTo(Status.VALID);
    int before = store.lookups();
    for (int i = 0; i < 20; i++) {
      v.validate(unknownKey());
    }
    assertThat(store.lookups() - before).as("the budget refilled, less the reserve or the valid key's lookup").isEqualTo(4);
  }

  @Test
  void aFloodOfDistinctMadeUpKeysNeverStarvesAValidKeySeenForTheFirstTime() throws InterruptedException {
    Declared.require(store, Capability.LISTS_KEYS, storeName());
    AccountId fleet = AccountId.of("fleet");
    Actor bob = Actor.user("bob");
    keys.createAccount(OPERATOR, fleet, new NewAccount("Fleet Co", UserId.of("bob"), 100));
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      serials.add("FL-" + i);
      keys.associateDevice(bob, fleet, new NewDevice("FL-" + i, "Monitor " + i, "Indoor Air Monitor"));
    }
    List<IssuedKey> real = new ArrayList<>(keys.createKeys(bob, fleet, NewKeys.forDevices(serials.subList(0, 50))));
    CachedKeyValidator v = start(validator()); // default budget: 1,000 lookups per second, 250 of them reserved
    // half listed when the validator started, half created since (known from this JVM's commits)
    real.addAll(keys.createKeys(bob, fleet, NewKeys.forDevices(serials.subList(50, 100))));
    int lookupsBefore = store.lookups();
    int threads = 4;
    int perThread = 50_000;
    AtomicInteger flooded = new AtomicInteger();
    AtomicInteger wronglyValid = new AtomicInteger();
    AtomicInteger unavailable = new AtomicInteger();
    List<Thread> flood = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Random own = new Random(20260202L + t);
      Thread th = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          Status s = v.validate(TestKeys.wellFormed("ks", own)).status();
          if (s == Status.VALID) {
            wronglyValid.incrementAndGet();
          } else if (s == Status.UNAVAILABLE) {
            unavailable.incrementAndGet();
          }
          flooded.incrementAndGet();
        }
      }, "flood-" + t);
      flood.add(th);
      th.start();
    }
    await("the flood has spent the budget's unreserved part", () -> metrics.refused() > 0);
    List<Status> firstTries = new ArrayList<>();
    for (IssuedKey k : real) {
      firstTries.add(v.validate(secret(k)).status());
    }
    int floodedMeanwhile = flooded.get();
    for (Thread th : flood) {
      th.join(TimeUnit.MINUTES.toMillis(2));
    }

    assertThat(flooded.get()).isEqualTo(threads * perThread);
    assertThat(floodedMeanwhile).as("the real keys were tried during the flood").isLessThan(threads * perThread);
    assertThat(firstTries).as("100 never-seen valid keys, each on its first try").hasSize(100)
        .containsOnly(Status.VALID);
    assertThat(wronglyValid.get()).isZero();
    assertThat(store.lookups() - lookupsBefore).as("store lookups, the clock standing still: within one burst")
        .isLessThanOrEqualTo(CachedKeyValidatorBuilder.DEFAULT_LOOKUPS_PER_SECOND);
    assertThat(unavailable.get()).as("made-up keys whose 4-byte prefix matches a real key's, past the budget")
        .isLessThan(10);
  }

  @Test
  void repeatsOfOneUnknownKeyCauseOneLookupUntilItsNegativeEntryRunsOut() {
    String unknown = unknownKey();
    CachedKeyValidator v = start(validator().negativeEntryTtl(Duration.ofSeconds(30)));

    for (int i = 0; i < 1000; i++) {
      assertThat(v.validate(unknown).status()).as(RuleWords.verdict("unknown", Status.UNKNOWN)).isEqualTo(Status.UNKNOWN);
    }
    assertThat(store.lookups()).as("repeats of one unknown key cause one lookup until its negative entry runs out: store.lookups()").isEqualTo(1);

    scheduler.advance(Duration.ofSeconds(30).minusMillis(1));
    v.validate(unknown);
    assertThat(store.lookups()).as("repeats of one unknown key cause one lookup until its negative entry runs out: store.lookups()").isEqualTo(1);
    scheduler.advance(Duration.ofMillis(1));
    for (int i = 0; i < 1000; i++) {
      assertThat(v.validate(unknown).status()).as(RuleWords.verdict("unknown", Status.UNKNOWN)).isEqualTo(Status.UNKNOWN);
    }
    assertThat(store.lookups()).as("repeats of one unknown key cause one lookup until its negative entry runs out: store.lookups()").isEqualTo(2);
  }

  @Test
  void concurrentMissesOnOneHashMakeOneLookup() throws InterruptedException {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    CountDownLatch gate = store.holdLookups();
    ConcurrentLinkedQueue<Verdict> answers = new ConcurrentLinkedQueue<>();
    Runnable validating = () -> answers.add(v.validate(secret(k)));

    Thread first = new Thread(validating);
    first.start();
    assertThat(store.lookupsEntered().tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("concurrent misses on one hash make one lookup: store.lookupsEntered().tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)").isTrue();
    List<Thread> others = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Thread t = new Thread(validating);
      others.add(t);
      t.start();
    }
    // each other thread must be parked: in the cache's per-key computation, or (if there were no
    // single flight) in a second lookup, which the count below would expose
    await("all threads wait for the first lookup", () -> others.stream().allMatch(t -> {
      Thread.State s = t.getState();
      return (s == Thread.State.BLOCKED || s == Thread.State.WAITING)
          && java.util.Arrays.stream(t.getStackTrace()).anyMatch(f ->
              f.getClassName().startsWith("java.util.concurrent.ConcurrentHashMap")
                  || f.getClassName().equals(InstrumentedKeyStore.class.getName()));
    }));
    gate.countDown();
    first.join();
    for (Thread t : others) {
      t.join();
    }

    assertThat(store.lookups()).as("concurrent misses on one hash make one lookup: store.lookups()").isEqualTo(1);
    assertThat(answers).as("concurrent misses on one hash make one lookup: answers").hasSize(8).allMatch(Verdict::isValid);
  }

  // ------------------------------------------------------------------ usage

  @Test
  void usageIsCountedInMemoryAndWrittenInOneBatchPerFlush() {
    IssuedKey one = createKey("AQ-1");
    IssuedKey two = createKey("AQ-2");
    IssuedKey unused = createKey("AQ-3");
    Instant start = clock.instant();
    CachedKeyValidator v = start(validator().usageFlushInterval(Duration.ofSeconds(10)));

    for (int i = 0; i < 3; i++) {
      v.validate(secret(one));
    }
    v.validate(secret(one), "AQ-2");
    scheduler.advance(Duration.ofSeconds(2));
    v.validate(secret(two), "AQ-2");
    assertThat(row(one.key().id()).useCount()).as("nothing written per request").isZero();
    scheduler.advance(Duration.ofSeconds(8));

    assertThat(store.usageBatches()).as("usage is counted in memory and written in one batch per flush: store.usageBatches()").hasSize(1);
    Map<KeyId, UsageDelta> batch = store.usageBatches().get(0).stream()
        .collect(Collectors.toMap(UsageDelta::keyId, d -> d));
    assertThat(batch).as("usage is counted in memory and written in one batch per flush: batch").containsOnlyKeys(one.key().id(), two.key().id());
    assertThat(row(one.key().id()).useCount()).as("the mismatch does not count").isEqualTo(3);
    assertThat(row(one.key().id()).lastUsedAt()).as("usage is counted in memory and written in one batch per flush: row(one.key().id()).lastUsedAt()").isEqualTo(start);
    assertThat(row(two.key().id()).useCount()).as("usage is counted in memory and written in one batch per flush: row(two.key().id()).useCount()").isEqualTo(1);
    assertThat(row(two.key().id()).lastUsedAt()).as("usage is counted in memory and written in one batch per flush: row(two.key().id()).lastUsedAt()").isEqualTo(start.plusSeconds(2));
    assertThat(keys.keysUnusedSince(ADMIN, ACME, start.plusSeconds(1))).as("usage is counted in memory and written in one batch per flush: keys.keysUnusedSince(ADMIN, ACME, start.plusSeconds(1))").extracting(ApiKey::id)
        .containsExactlyInAnyOrder(one.key().id(), unused.key().id());
    assertThat(metrics.flushedKeys()).as("usage is counted in memory and written in one batch per flush: metrics.flushedKeys()").isEqualTo(2);

    scheduler.advance(Duration.ofSeconds(10));
    assertThat(store.usageBatches()).as("nothing new, nothing written").hasSize(1);
    v.validate(secret(one));
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(row(one.key().id()).useCount()).as("usage is counted in memory and written in one batch per flush: row(one.key().id()).useCount()").isEqualTo(4);
    assertThat(row(one.key().id()).lastUsedAt()).as("usage is counted in memory and written in one batch per flush: row(one.key().id()).lastUsedAt()").isEqualTo(start.plusSeconds(20));
  }

  @Test
  void aFailedUsageWriteKeepsTheCountsForTheNextFlush() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator().usageFlushInterval(Duration.ofSeconds(10)));
    v.validate(secret(k));
    v.validate(secret(k));
    store.failUsage(true);
    scheduler.advance(Duration.ofSeconds(10));
    v.validate(secret(k));
    assertThat(row(k.key().id()).useCount()).as("a failed usage write keeps the counts for the next flush: row(k.key().id()).useCount()").isZero();

    store.failUsage(false);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(row(k.key().id()).useCount()).as("a failed usage write keeps the counts for the next flush: row(k.key().id()).useCount()").isEqualTo(3);
    assertThat(store.usageBatches()).as("a failed usage write keeps the counts for the next flush: store.usageBatches()").hasSize(1);
  }

  @Test
  void usageOfAKeyRegeneratedMeanwhileIsNotLost() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    v.validate(secret(k));
    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());
    v.validate(secret(fresh));
    v.close();

    assertThat(row(k.key().id()).useCount()).as("usage of a key regenerated meanwhile is not lost: row(k.key().id()).useCount()").isEqualTo(2);
  }

  @Test
  void closeWritesUsageStopsItsTasksAndFailsClosed() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    assertThat(scheduler.activeTasks()).as("close writes usage stops its tasks and fails closed: scheduler.activeTasks()").containsExactlyInAnyOrder("feed-poller", "usage-flusher");
    v.validate(secret(k));
    v.validate(secret(k));

    v.close();

    assertThat(row(k.key().id()).useCount()).as("close writes usage stops its tasks and fails closed: row(k.key().id()).useCount()").isEqualTo(2);
    assertThat(scheduler.activeTasks()).as("close writes usage stops its tasks and fails closed: scheduler.activeTasks()").isEmpty();
    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    assertThat(v.validate("garbage").status()).as(RuleWords.verdict("\"garbage\"", Status.MALFORMED)).isEqualTo(Status.MALFORMED);
    v.close();
    assertThat(store.usageBatches()).as("a second close writes nothing").hasSize(1);
  }

  @Test
  void closeStopsTheValidatorsOwnThreads() {
    IssuedKey k = createKey("AQ-1");
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    CachedKeyValidator v = keyseat.validator().build();
    Set<Thread> mine = new HashSet<>(Thread.getAllStackTraces().keySet());
    mine.removeAll(before);
    mine.removeIf(t -> !t.getName().startsWith("keyseat-"));
    // the poller, the flusher and, for a store with change notifications, its listener
    assertThat(mine).as("close stops the validators own threads: mine").hasSizeBetween(2, 3).allMatch(Thread::isDaemon);
    v.validate(secret(k));

    v.close();

    assertThat(mine).as("close stops the validators own threads: mine").noneMatch(Thread::isAlive);
    assertThat(row(k.key().id()).useCount()).as("close stops the validators own threads: row(k.key().id()).useCount()").isEqualTo(1);
  }

  // ------------------------------------------------------------------ rate limit

  @Test
  void aRateLimitedKeyIsToldWhenToRetry() {
    IssuedKey k = createKey("AQ-1");
    IssuedKey other = createKey("AQ-2");
    CachedKeyValidator v = start(validator().rateLimit(6, Duration.ofHours(1)));

    for (int i = 0; i < 6; i++) {
      assertVerdict(v, "k", k, "AQ-1", Status.VALID);
    }
    Verdict limited = v.validate(secret(k), "AQ-1");
    assertThat(limited.status()).as("a rate limited key is told when to retry: limited.status()").isEqualTo(Status.RATE_LIMITED);
    assertThat(limited.keyId()).as("a rate limited key is told when to retry: limited.keyId()").isEqualTo(k.key().id());
    assertThat(limited.retryAfter()).as("a rate limited key is told when to retry: limited.retryAfter()").isBetween(Duration.ofMinutes(10).minusSeconds(1), Duration.ofMinutes(10).plusSeconds(1));
    assertThat(v.validate(secret(other), "AQ-2").status()).as("limits are per key").isEqualTo(Status.VALID);
    assertThat(v.validate(secret(k), "AQ-2").status()).as("a mismatch takes nothing")
        .isEqualTo(Status.DEVICE_MISMATCH);

    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());
    assertThat(v.validate(secret(fresh)).status()).as("the limit survives regeneration")
        .isEqualTo(Status.RATE_LIMITED);

    scheduler.advance(Duration.ofMinutes(10));
    assertVerdict(v, "fresh", fresh, Status.VALID);
    assertVerdict(v, "fresh", fresh, Status.RATE_LIMITED);
    v.close();
    assertThat(row(k.key().id()).useCount()).as("only valid answers count").isEqualTo(7);
  }

  // ------------------------------------------------------------------ metrics

  @Test
  void metricsCountVerdictsHitsMissesLookupsAndFeedLag() {
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator().storeLookupsPerSecond(2));
    boolean listed = store.capabilities().contains(Capability.LISTS_KEYS);

    v.validate(secret(k));
    v.validate(secret(k));
    v.validate(secret(k), "AQ-2");
    v.validate("garbage");
    v.validate(unknownKey());
    v.validate(unknownKey());

    assertThat(metrics.verdicts(Status.VALID)).as("metrics count verdicts, hits, misses and lookups: verdicts(Status.VALID)")
        .isEqualTo(2);
    assertThat(metrics.verdicts(Status.DEVICE_MISMATCH)).as("metrics count verdicts, hits, misses and lookups: verdicts(Status.DEVICE_MISMATCH)")
        .isEqualTo(1);
    assertThat(metrics.verdicts(Status.MALFORMED)).as("metrics count verdicts, hits, misses and lookups: verdicts(Status.MALFORMED)")
        .isEqualTo(1);
    // past the budget, a made-up key is UNKNOWN by the store's listed hashes, UNAVAILABLE without them
    assertThat(metrics.verdicts(Status.UNKNOWN)).as("metrics count verdicts, hits, misses and lookups: verdicts(Status.UNKNOWN)")
        .isEqualTo(listed ? 2 : 1);
    assertThat(metrics.verdicts(Status.UNAVAILABLE)).as("metrics count verdicts, hits, misses and lookups: verdicts(Status.UNAVAILABLE)")
        .isEqualTo(listed ? 0 : 1);
    assertThat(metrics.hits()).as("metrics count verdicts, hits, misses and lookups: hits()")
        .isEqualTo(2);
    assertThat(metrics.misses()).as("metrics count verdicts, hits, misses and lookups: misses()")
        .isEqualTo(3);
    assertThat(metrics.lookups()).as("metrics count verdicts, hits, misses and lookups: lookups()")
        .isEqualTo(2);
    assertThat(metrics.refused()).as("metrics count verdicts, hits, misses and lookups: refused()")
        .isEqualTo(1);
    assertThat(metrics.lags()).as("the first read at build").hasSize(1);

    store.failFeed(true);
    scheduler.advance(Duration.ofSeconds(3));
    assertThat(metrics.lags()).as("metrics count verdicts hits misses lookups and feed lag: metrics.lags()").hasSize(4).endsWith(Duration.ofSeconds(3));
    store.failFeed(false);
    scheduler.advance(POLL);
    assertThat(metrics.lags()).as("metrics count verdicts hits misses lookups and feed lag: metrics.lags()").hasSize(5).endsWith(Duration.ZERO);
  }

  // ------------------------------------------------------------------ preload

  @Test
  void aPreloadedValidatorAnswersWithoutLookupsAndFollowsChanges() {
    Declared.require(store, Capability.LISTS_KEYS, storeName());
    IssuedKey k = createKey("AQ-1");
    IssuedKey suspended = createKey("AQ-2");
    keys.editKey(ADMIN, ACME, suspended.key().id(), KeyEdit.suspend());
    CachedKeyValidator v = start(validator().preloadAllKeys());
    assertThat(v.estimatedSize()).as("a preloaded validator answers without lookups and follows changes: v.estimatedSize()").isEqualTo(2);

    int lookups = store.lookups();
    assertVerdict(v, "k", k, Status.VALID);
    assertVerdict(v, "suspended", suspended, Status.SUSPENDED);
    for (int i = 0; i < 100; i++) {
      assertThat(v.validate(unknownKey()).status()).as(RuleWords.verdict("unknownKey()", Status.UNKNOWN)).isEqualTo(Status.UNKNOWN);
    }
    assertThat(store.lookups()).as("a preloaded validator answers without lookups and follows changes: store.lookups()").isEqualTo(lookups);
    assertThat(v.estimatedSize()).as("no negative entries").isEqualTo(2);

    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, k.key().id());
    lookups = store.lookups();
    assertVerdict(v, "k", k, Status.REVOKED);
    assertVerdict(v, "fresh", fresh, Status.VALID);

    IssuedKey remote = anotherNode().manager().createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-3")).get(0);
    assertThat(v.validate(secret(remote)).status()).as("not polled yet").isEqualTo(Status.UNKNOWN);
    scheduler.advance(POLL);
    assertVerdict(v, "remote", remote, Status.VALID);
    keys.deleteKey(ADMIN, ACME, suspended.key().id());
    assertVerdict(v, "suspended", suspended, Status.UNKNOWN);
    int refreshLookups = store.lookups() - lookups;
    assertThat(refreshLookups).as("only the refresh of changed keys reads the store").isPositive();
    for (int i = 0; i < 10; i++) {
      v.validate(secret(fresh));
      v.validate(secret(remote));
    }
    assertThat(store.lookups() - lookups).as("a preloaded validator answers without lookups and follows changes: store.lookups() - lookups").isEqualTo(refreshLookups);
  }

  @Test
  void aPreloadedKeyReachingItsExpiryWhileLookupsFailIsUnavailableUntilTheStoreAnswers() {
    Declared.require(store, Capability.LISTS_KEYS, storeName());
    IssuedKey k = keys.createKeys(ADMIN, ACME,
        NewKeys.forDevices("AQ-1").withExpiresAt(clock.instant().plus(Duration.ofMinutes(1)))).get(0);
    CachedKeyValidator v = start(validator().preloadAllKeys());
    assertVerdict(v, "k", k, Status.VALID);

    store.failLookups(true);
    scheduler.advance(Duration.ofMinutes(1));
    assertVerdict(v, "k", k, Status.UNAVAILABLE);
    assertThat(v.validate(secret(k)).status()).as("still held, tried again").isEqualTo(Status.UNAVAILABLE);

    store.failLookups(false);
    assertVerdict(v, "k", k, Status.EXPIRED);
  }

  @Test
  void preloadingAStoreThatCannotListItsKeysIsRefusedAtBuild() {
    KeyStore unlisted = new ForwardingKeyStore(store) {
      @Override
      public void forEachKey(Consumer<? super StoredKey> action) {
        throw new UnsupportedOperationException("no listing here");
      }

      @Override
      public Set<Capability> capabilities() {
        return Set.of();
      }
    };
    Keyseat node = Keyseat.builder(unlisted).clock(clock).build();

    assertThatThrownBy(() -> node.validator().changeNotifications(false).scheduler(scheduler).preloadAllKeys().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("preload")
        .hasMessageContaining("no listing here");
    assertThat(scheduler.activeTasks()).as("for each key: scheduler.activeTasks()").isEmpty();
  }

  // ------------------------------------------------------------------ allocation

  @Test
  void aCachedValidKeyAllocatesAlmostNothing() {
    assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
        "needs per-thread allocation counters");
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
        "needs per-thread allocation counters");
    IssuedKey k = createKey("AQ-1");
    CachedKeyValidator v = start(validator());
    String key = secret(k);
    for (int i = 0; i < 20_000; i++) {
      v.validate(key, "AQ-1");
    }
    long id = Thread.currentThread().getId();
    int n = 200_000;
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < n; i++) {
      v.validate(key, "AQ-1");
    }
    long perCall = (threads.getThreadAllocatedBytes(id) - before) / n;

    assertThat(perCall).as("bytes allocated per validation").isLessThanOrEqualTo(64);
  }
}
