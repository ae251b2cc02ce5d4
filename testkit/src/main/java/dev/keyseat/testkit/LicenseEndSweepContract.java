package dev.keyseat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.AuditEntry;
import dev.keyseat.AuditEntry.Action;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEvent;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.LicenseEndSweep;
import dev.keyseat.LicensePolicy;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NewLicense;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.validation.ValidatorScheduler;
import dev.keyseat.validation.Verdict.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The license end sweep ({@code Keyseat.licenseEndSweep}) on a store (R9): every passed end is
 * applied once, by whichever sweep or node gets there first, with the account's expiry strategy;
 * sweeps on several nodes racing over one account never apply an end twice; a failing account is
 * counted and left for the next pass. Extend it in the store's tests and return a new, empty store
 * from {@link #createStore()}. Time is {@link #clock}; no test sleeps.
 */
public abstract class LicenseEndSweepContract extends StoreSuite {
  private static final Actor SWEEPER = Actor.operator("license-sweep");
  private static final AccountId INITECH = AccountId.of("initech");
  private static final String PLATFORM = "platform:keyseat";

  private KeyStore store;
  private Keyseat node;
  private List<IssuedKey> acmeKeys;

  /** For subclasses. */
  protected LicenseEndSweepContract() {}

  /**
   * acme: 1 open-ended license and 2 for a day, 3 keys, expiry policy SUSPEND_NEWEST; globex: 1
   * license for a day, 1 key, MARK_OVER_LIMIT; initech: 2 open-ended licenses, 1 key.
   */
  @BeforeEach
  void accountsWithGrantsEndingInADay() {
    store = freshStore();
    node = Keyseat.builder(store).clock(clock).build();
    KeyManager m = node.manager();
    m.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 1));
    m.grantLicenses(OPERATOR, ACME, NewLicense.term(2, clock.instant(), clock.instant().plus(Duration.ofDays(1)), "A-1"));
    m.setLicensePolicy(OPERATOR, ACME, LicensePolicy.DEFAULT.onExpiry(OverLimitStrategy.SUSPEND_NEWEST));
    acmeKeys = keys(m, ACME, ADMIN, "AQ-1", "AQ-2", "AQ-3");
    m.createAccount(OPERATOR, GLOBEX, new NewAccount("Globex", UserId.of("gina"), 0));
    m.grantLicenses(OPERATOR, GLOBEX, NewLicense.term(1, clock.instant(), clock.instant().plus(Duration.ofDays(1)), "G-1"));
    keys(m, GLOBEX, Actor.user("gina"), "GX-1");
    m.createAccount(OPERATOR, INITECH, new NewAccount("Initech", UserId.of("ivan"), 2));
    keys(m, INITECH, Actor.user("ivan"), "IN-1");
  }

  private static List<IssuedKey> keys(KeyManager m, AccountId account, Actor admin, String... serials) {
    for (String serial : serials) {
      m.associateDevice(admin, account, new NewDevice(serial, "Monitor " + serial));
    }
    return m.createKeys(admin, account, NewKeys.forDevices(serials));
  }

  /** One pass applies each passed end once, with each account's strategy; the next finds nothing due. */
  @Test
  void aPassAppliesEveryPassedEndOnceWithTheAccountsStrategyAndTheNextFindsNothing() {
    long cursor = node.events().read(0, 1000).cursor();
    clock.advance(Duration.ofDays(1));
    LicenseEndSweep sweep = node.licenseEndSweep(SWEEPER).pageSize(2); // three accounts: two pages

    LicenseEndSweep.Result first = sweep.run();
    LicenseEndSweep.Result second = sweep.run();

    assertThat(first.accountsChecked()).as("R9 sweep: every open account is checked, over two pages").isEqualTo(3);
    assertThat(first.accountsApplied()).as("R9 sweep: accounts with a passed end (acme, globex)").isEqualTo(2);
    assertThat(first.grantsApplied()).as("R9 sweep: grants whose end passed").isEqualTo(2);
    assertThat(first.failed()).as("R9 sweep: accounts that failed").isZero();
    assertThat(second.accountsApplied()).as("R9 sweep: a second pass finds every end applied").isZero();
    assertThat(sweep.passes()).isEqualTo(2);
    assertThat(sweep.grantsApplied()).isEqualTo(2);
    assertThat(sweep.lastResult()).isEqualTo(second);
    assertThat(List.of(status(acmeKeys.get(0)), status(acmeKeys.get(1)), status(acmeKeys.get(2))))
        .as("R9 SUSPEND_NEWEST at expiry: acme keeps 1 license for 3 keys, so its 2 newest keys are suspended"
            + " without any management call")
        .containsExactly(Status.VALID, Status.SUSPENDED, Status.SUSPENDED);
    assertThat(node.manager().keys(Actor.user("gina"), GLOBEX)).as("R9 MARK_OVER_LIMIT: globex's key stays active")
        .allMatch(k -> k.status() == dev.keyseat.KeyStatus.ACTIVE);
    assertThat(expiredEntries(ACME)).as("R12: acme's end is audited once, as the platform's action, with the excess")
        .extracting(AuditEntry::actor).containsExactly(PLATFORM, PLATFORM);
    assertThat(node.events().read(cursor, 1000).events()).extracting(KeyEvent::type)
        .as("events: each end once, and acme's two suspensions")
        .containsExactlyInAnyOrder(KeyEvent.Type.LICENSES_ENDED, KeyEvent.Type.KEY_SUSPENDED,
            KeyEvent.Type.KEY_SUSPENDED, KeyEvent.Type.LICENSES_ENDED);
  }

  /**
   * Two nodes sweep at once and both find acme's end due before either applies it: the store's
   * per-account serialization lets one apply it; the other finds nothing left. Each end is audited,
   * published and suspends keys once.
   */
  @Test
  void twoNodesSweepingAtOnceApplyEachEndOnce() throws Exception {
    clock.advance(Duration.ofDays(1));
    CyclicBarrier bothRead = new CyclicBarrier(2);
    AtomicBoolean racing = new AtomicBoolean(true);
    KeyStore meeting = new ForwardingKeyStore(store) {
      @Override
      public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
        T result = super.readAccount(accountId, work);
        if (racing.get() && accountId.equals(ACME) && Thread.currentThread().getName().startsWith("sweep-")) {
          try {
            bothRead.await(30, TimeUnit.SECONDS); // both sweeps have read acme's grants as due
          } catch (Exception e) {
            racing.set(false);
            throw new IllegalStateException("the other sweep never read acme's grants", e);
          }
        }
        return result;
      }
    };
    long cursor = node.events().read(0, 1000).cursor();
    Keyseat a = Keyseat.builder(meeting).clock(clock).build();
    Keyseat b = Keyseat.builder(meeting).clock(clock).build();
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> new Thread(r, "sweep-" + System.nanoTime()));
    List<LicenseEndSweep.Result> results = new ArrayList<>();
    try {
      Future<LicenseEndSweep.Result> ra = threads.submit(() -> a.licenseEndSweep(SWEEPER).run());
      Future<LicenseEndSweep.Result> rb = threads.submit(() -> b.licenseEndSweep(SWEEPER).run());
      results.add(ra.get(60, TimeUnit.SECONDS));
      results.add(rb.get(60, TimeUnit.SECONDS));
    } finally {
      racing.set(false);
      threads.shutdownNow();
    }

    assertThat(results).as("R9 sweep: both nodes found acme's end due and neither failed")
        .allSatisfy(r -> {
          assertThat(r.failed()).isZero();
          assertThat(r.accountsApplied()).isPositive();
        });
    assertThat(expiredEntries(ACME)).as("R9/R12: acme's end is applied and audited once, not once per node")
        .hasSize(2);
    assertThat(audit(ACME).stream().filter(e -> e.action() == Action.SUSPEND_KEY).count())
        .as("R9 SUSPEND_NEWEST: acme's two newest keys are suspended once").isEqualTo(2);
    assertThat(node.events().read(cursor, 1000).events()).filteredOn(e -> e.accountId().equals(ACME))
        .extracting(KeyEvent::type).as("events of acme: its end once, two suspensions")
        .containsExactlyInAnyOrder(KeyEvent.Type.LICENSES_ENDED, KeyEvent.Type.KEY_SUSPENDED,
            KeyEvent.Type.KEY_SUSPENDED);
    assertThat(status(acmeKeys.get(2))).isEqualTo(Status.SUSPENDED);
  }

  /** Scheduled, the sweep applies an end within one period of its passing, with no management call. */
  @Test
  void aScheduledSweepAppliesAnEndWithinOnePeriodAndStopsWhenCancelled() {
    ManualScheduler scheduler = new ManualScheduler(clock);
    LicenseEndSweep sweep = node.licenseEndSweep(SWEEPER);
    ValidatorScheduler.Cancellable job = sweep.schedule(scheduler, Duration.ofMinutes(5));

    scheduler.advance(Duration.ofDays(1).minusMinutes(5));
    assertThat(status(acmeKeys.get(2))).as("R9: before the end, acme's keys stay valid").isEqualTo(Status.VALID);
    assertThat(sweep.grantsApplied()).isZero();
    scheduler.advance(Duration.ofMinutes(5)); // the end passes, and the pass due at that instant runs
    assertThat(status(acmeKeys.get(2))).as("R9: within one period of the end, the newest key is suspended")
        .isEqualTo(Status.SUSPENDED);
    assertThat(sweep.grantsApplied()).isEqualTo(2);
    long passes = sweep.passes();
    job.cancel();
    scheduler.advance(Duration.ofHours(1));
    assertThat(sweep.passes()).as("no pass after cancel").isEqualTo(passes);
  }

  /** An account the store fails on is counted and logged; the others are swept; the next pass retries it. */
  @Test
  void anAccountThatFailsIsCountedAndRetriedByTheNextPassWhileTheOthersAreSwept() {
    clock.advance(Duration.ofDays(1));
    AtomicBoolean globexDown = new AtomicBoolean(true);
    KeyStore flaky = new ForwardingKeyStore(store) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        if (globexDown.get() && accountId.equals(GLOBEX)) {
          throw new dev.keyseat.StoreUnavailableException("simulated outage of globex's rows");
        }
        return super.inAccount(accountId, work);
      }
    };
    LicenseEndSweep sweep = Keyseat.builder(flaky).clock(clock).build().licenseEndSweep(SWEEPER);

    LicenseEndSweep.Result failing = sweep.run();
    globexDown.set(false);
    LicenseEndSweep.Result retried = sweep.run();

    assertThat(failing.failed()).as("R9 sweep: globex failed").isEqualTo(1);
    assertThat(failing.accountsApplied()).as("R9 sweep: acme was swept all the same").isEqualTo(1);
    assertThat(sweep.failures()).isEqualTo(1);
    assertThat(retried.failed()).isZero();
    assertThat(retried.accountsApplied()).as("R9 sweep: the next pass applies globex's end").isEqualTo(1);
    assertThat(expiredEntries(GLOBEX)).as("R12: globex's end is audited once").hasSize(2);
  }

  private Status status(IssuedKey k) {
    return node.storeValidator().validate(k.secret().reveal()).status();
  }

  private List<AuditEntry> audit(AccountId account) {
    return store.readAccount(account, tx -> tx.audit(Long.MAX_VALUE, 1000));
  }

  private List<AuditEntry> expiredEntries(AccountId account) {
    return audit(account).stream().filter(e -> e.action() == Action.LICENSES_EXPIRED).toList();
  }
}
