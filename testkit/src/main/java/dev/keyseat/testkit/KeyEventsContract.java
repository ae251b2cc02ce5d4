package dev.keyseat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyEvent;
import dev.keyseat.KeyEvents;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.License;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NewLicense;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.UserId;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Verdict.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@code Keyseat.events()} on a store: key and license changes from any node, in
 * commit order, resumable from a cursor, at least once, and a gap reported when the feed was
 * purged past the host's cursor. Extend it in the store's tests and return a new, empty store from
 * {@link #createStore()} (on {@link #clock}, for the purge test).
 */
public abstract class KeyEventsContract extends StoreSuite {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** The store under test. */
  protected KeyStore store;
  /** Node A. */
  protected Keyseat nodeA;
  /** Node B, over the same store. */
  protected Keyseat nodeB;

  @BeforeEach
  void createAccount() {
    store = freshStore();
    nodeA = Keyseat.builder(store).clock(clock).build();
    nodeB = Keyseat.builder(store).clock(clock).build();
    KeyManager a = nodeA.manager();
    a.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 3));
    for (String serial : List.of("AQ-1", "AQ-2", "AQ-3")) {
      a.associateDevice(ADMIN, ACME, new NewDevice(serial, "Monitor " + serial));
    }
  }

  private IssuedKey create(Keyseat node, String serial) {
    return node.manager().createKeys(ADMIN, ACME, NewKeys.forDevices(serial)).get(0);
  }

  @Test
  void everyKeyAndLicenseChangeOfEitherNodeArrivesInCommitOrder() {
    IssuedKey k = create(nodeA, "AQ-1");
    KeyManager b = nodeB.manager();
    b.regenerateKey(ADMIN, ACME, k.key().id());
    b.editKey(ADMIN, ACME, k.key().id(), KeyEdit.label("lobby"));
    nodeA.manager().editKey(ADMIN, ACME, k.key().id(), KeyEdit.suspend());
    b.editKey(ADMIN, ACME, k.key().id(), KeyEdit.resume());
    b.contractLicenses(OPERATOR, ACME, 2);
    nodeA.manager().deleteKey(ADMIN, ACME, k.key().id());
    b.cancelLicenses(OPERATOR, ACME, 1, OverLimitStrategy.REJECT);

    KeyEvents.Page page = nodeA.events().read(0, 100);

    assertThat(page.missedSome()).isFalse();
    assertThat(page.events()).extracting(KeyEvent::type).containsExactly(KeyEvent.Type.KEY_CREATED,
        KeyEvent.Type.KEY_REGENERATED, KeyEvent.Type.KEY_EDITED, KeyEvent.Type.KEY_SUSPENDED,
        KeyEvent.Type.KEY_RESUMED, KeyEvent.Type.LICENSES_CONTRACTED, KeyEvent.Type.KEY_DELETED,
        KeyEvent.Type.LICENSES_CANCELLED);
    assertThat(page.events()).allMatch(e -> e.accountId().equals(ACME));
    assertThat(page.events()).filteredOn(e -> e.type().name().startsWith("KEY_"))
        .allMatch(e -> k.key().id().equals(e.keyId()));
    assertThat(page.events()).filteredOn(e -> e.type().name().startsWith("LICENSES_"))
        .allMatch(e -> e.keyId() == null);
    assertCursorsFollowEachOther(page.events());
    assertThat(page.cursor()).isEqualTo(page.events().get(page.events().size() - 1).cursor());
    assertThat(nodeB.events().read(0, 100).events()).as("the same from the other node")
        .containsExactlyElementsOf(page.events());
  }

  /**
   * R9 license grants: a grant, each change of its term, an early end and an end that passes are
   * events, from either node, through the same feed; an end is delivered once, however often it is
   * applied.
   */
  @Test
  void grantsTheirTermChangesAndTheirEndsAreEventsAndAnEndPassingIsDeliveredOnce() {
    KeyManager a = nodeA.manager();
    KeyManager b = nodeB.manager();
    long from = nodeA.events().read(0, 100).cursor();
    java.time.Instant now = clock.instant();
    License term = a.grantLicenses(OPERATOR, ACME, NewLicense.term(2, now, now.plus(Duration.ofDays(30)), "order 1"));
    b.changeLicenseTerm(OPERATOR, ACME, term.id(), now.plus(Duration.ofDays(60))); // extended
    b.changeLicenseTerm(OPERATOR, ACME, term.id(), now.plus(Duration.ofDays(10))); // shortened
    License early = b.grantLicenses(OPERATOR, ACME, NewLicense.openEnded(1));
    a.endLicense(OPERATOR, ACME, early.id(), OverLimitStrategy.REJECT);
    clock.advance(Duration.ofDays(10)); // the term's end passes
    b.applyLicenseEnds(OPERATOR, ACME);
    a.applyLicenseEnds(OPERATOR, ACME); // nothing left to apply: no second event
    a.contractLicenses(OPERATOR, ACME, 1);

    KeyEvents.Page page = nodeA.events().read(from, 100);

    assertThat(page.events()).extracting(KeyEvent::type)
        .as("R9: the events of a grant, its two term changes, a second grant ended early, the first grant's end"
            + " passing (applied twice, delivered once) and a contract, in commit order")
        .containsExactly(KeyEvent.Type.LICENSES_GRANTED, KeyEvent.Type.LICENSE_TERM_CHANGED, KeyEvent.Type.LICENSE_TERM_CHANGED,
            KeyEvent.Type.LICENSES_GRANTED, KeyEvent.Type.LICENSES_ENDED, KeyEvent.Type.LICENSES_ENDED, KeyEvent.Type.LICENSES_CONTRACTED);
    assertThat(page.events()).as("license events name the account and no key")
        .allMatch(e -> e.accountId().equals(ACME) && e.keyId() == null);
    assertThat(page.events().get(5).at()).as("the passed end is stamped when it was applied")
        .isEqualTo(clock.instant());
    assertCursorsFollowEachOther(page.events());
    assertThat(nodeB.events().read(from, 100).events()).as("the same from the other node")
        .containsExactlyElementsOf(page.events());
  }

  @Test
  void aHostResumesAfterItsStoredCursorAndPagesChain() {
    IssuedKey k1 = create(nodeA, "AQ-1");
    IssuedKey k2 = create(nodeB, "AQ-2");
    nodeA.manager().deleteKey(ADMIN, ACME, k1.key().id());
    nodeB.manager().regenerateKey(ADMIN, ACME, k2.key().id());

    KeyEvents events = nodeA.events();
    KeyEvents.Page first = events.read(0, 2);
    KeyEvents.Page second = events.read(first.cursor(), 2);
    KeyEvents.Page end = events.read(second.cursor(), 2);

    assertThat(first.events()).extracting(KeyEvent::type)
        .containsExactly(KeyEvent.Type.KEY_CREATED, KeyEvent.Type.KEY_CREATED);
    assertThat(second.events()).extracting(KeyEvent::type)
        .containsExactly(KeyEvent.Type.KEY_DELETED, KeyEvent.Type.KEY_REGENERATED);
    assertThat(end.events()).isEmpty();
    assertThat(end.cursor()).as("nothing new: the cursor stays").isEqualTo(second.cursor());
    assertThat(end.missedSome()).isFalse();
    List<KeyEvent> all = new ArrayList<>(first.events());
    all.addAll(second.events());
    assertThat(events.read(0, 100).events()).containsExactlyElementsOf(all);
    assertThatThrownBy(() -> events.read(-1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> events.read(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aCursorOlderThanThePurgeIsToldThatItMissedEventsAndGoesOn() {
    Declared.require(store, KeyStore.Capability.PURGES_CHANGES, getClass().getSimpleName());
    create(nodeA, "AQ-1");
    nodeB.manager().contractLicenses(OPERATOR, ACME, 1);
    long old = 0;
    assertThat(nodeA.events().read(old, 100).events()).hasSize(2);
    clock.advance(Duration.ofMinutes(1));
    store.purgeChanges(clock.instant());

    KeyEvents.Page gap = nodeA.events().read(old, 100);
    assertThat(gap.missedSome()).isTrue();
    assertThat(gap.events()).isEmpty();
    create(nodeB, "AQ-2");
    KeyEvents.Page after = nodeA.events().read(gap.cursor(), 100);
    assertThat(after.missedSome()).isFalse();
    assertThat(after.events()).extracting(KeyEvent::type).containsExactly(KeyEvent.Type.KEY_CREATED);
    KeyEvents.Page fromTheStart = nodeA.events().read(old, 100);
    assertThat(fromTheStart.missedSome()).isTrue();
    assertThat(fromTheStart.events()).containsExactlyElementsOf(after.events());
  }

  @Test
  void aSubscriptionDeliversEveryEventInOrderAtLeastOnceRedeliveringWhatItsListenerRefused() {
    IssuedKey k = create(nodeA, "AQ-1");
    nodeB.manager().regenerateKey(ADMIN, ACME, k.key().id());
    List<KeyEvent> delivered = new CopyOnWriteArrayList<>();
    AtomicBoolean refusedOnce = new AtomicBoolean();
    AtomicLong stored = new AtomicLong();
    try (KeyEvents.Subscription s = nodeA.events().subscribe(0, Duration.ofMillis(5), event -> {
      delivered.add(event);
      if (event.type() == KeyEvent.Type.KEY_REGENERATED && refusedOnce.compareAndSet(false, true)) {
        throw new IllegalStateException("mail server down"); // deliver it again
      }
      stored.set(event.cursor());
    })) {
      await("the regeneration is delivered again", () -> delivered.size() >= 3);
      nodeB.manager().deleteKey(ADMIN, ACME, k.key().id());
      await("the deletion is delivered", () -> delivered.stream().anyMatch(e -> e.type() == KeyEvent.Type.KEY_DELETED));
      assertThat(s.cursor()).isEqualTo(stored.get());
    }
    assertThat(delivered).extracting(KeyEvent::type).containsExactly(KeyEvent.Type.KEY_CREATED,
        KeyEvent.Type.KEY_REGENERATED, KeyEvent.Type.KEY_REGENERATED, KeyEvent.Type.KEY_DELETED);
    assertThat(stored.get()).isEqualTo(nodeA.events().read(0, 100).cursor());
  }

  @Test
  void validatorsIgnoreLicenseEvents() {
    IssuedKey k = create(nodeA, "AQ-1");
    ManualScheduler scheduler = new ManualScheduler(clock);
    RecordingValidatorMetrics metrics = new RecordingValidatorMetrics();
    try (CachedKeyValidator v = nodeA.validator().changeNotifications(false).scheduler(scheduler).metrics(metrics)
        .build()) {
      assertThat(v.validate(k.secret().reveal()).status()).isEqualTo(Status.VALID);
      nodeB.manager().contractLicenses(OPERATOR, ACME, 2);
      nodeB.manager().cancelLicenses(OPERATOR, ACME, 1, OverLimitStrategy.REJECT);
      scheduler.advance(Duration.ofSeconds(1));
      assertThat(v.validate(k.secret().reveal()).status()).isEqualTo(Status.VALID);
      assertThat(metrics.feedGaps()).isZero();
      nodeB.manager().deleteKey(ADMIN, ACME, k.key().id());
      scheduler.advance(Duration.ofSeconds(1));
      assertThat(v.validate(k.secret().reveal()).status()).as("key changes after them still apply")
          .isEqualTo(Status.UNKNOWN);
    }
  }

  private static void assertCursorsFollowEachOther(List<KeyEvent> events) {
    for (int i = 1; i < events.size(); i++) {
      assertThat(events.get(i).cursor()).isEqualTo(events.get(i - 1).cursor() + 1);
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a bounded wait on a condition
    }
  }
}
