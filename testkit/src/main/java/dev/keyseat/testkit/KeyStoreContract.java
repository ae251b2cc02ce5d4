package dev.keyseat.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.AuditEntry.Action;
import dev.keyseat.AuditEntry.Outcome;
import dev.keyseat.DailyUsage;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.LicenseId;
import dev.keyseat.LicensePolicy;
import dev.keyseat.Member;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyStore.Capability;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.SeatLedger;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link KeyStore} must have, stated at the SPI level: atomicity, per-account
 * serialization, uniqueness, lookup by hash, the change feed, usage recording and the read models.
 * Every store shipped with Keyseat passes it unchanged; a new store proves itself the same way.
 *
 * <p>To test a store, extend this class in the store's test sources and return a fresh, empty
 * store from {@link #createStore()}:
 *
 * <pre>{@code
 * class MyKeyStoreContractTest extends KeyStoreContract {
 *   @Override
 *   protected KeyStore createStore() {
 *     truncateAllTables(dataSource);   // or build a new store
 *     return MyKeyStore.builder(dataSource).build();
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #createStore()} is called before every test and must return a store that holds no
 * account, no key and no change-feed event (a JDBC store truncates its tables; sequences may keep
 * counting). A subclass may add its own {@code @AfterEach} to release resources. To run the suite
 * against several databases, nest one subclass per database with JUnit's {@code @Nested}.
 *
 * <p>What the suite assumes and checks:
 *
 * <ul>
 *   <li>Instants are whole seconds (from a {@link MutableClock}), so a store that keeps
 *       microseconds round-trips them exactly; every value read back must equal the value
 *       written.
 *   <li>Device serials, key ids and key hashes (current and previous) are unique across all
 *       accounts; a conditional write that would break this returns {@code false} and changes
 *       nothing, and the rest of the transaction goes on.
 *   <li>Serials, ids and hashes held only by a transaction that rolled back, or dropped by a
 *       committed one, are free again afterwards.
 *   <li>Audit and change-feed sequences are assigned by the store. Audit sequences increase;
 *       they need not be contiguous nor start at 1. Change-feed sequences are gapless in commit
 *       order (see {@link KeyStore#changesSince}): each committed event is numbered one above the
 *       one committed before it, and a rolled-back transaction uses up no number; they need not
 *       start at 1.
 *   <li>Members are ordered by user id and devices by serial in {@link String#compareTo} order, as
 *       {@link AccountTransaction} says: upper case before lower case, {@code SN-10} before
 *       {@code SN-2}. A database store needs a binary collation for them.
 *   <li>Misuse is an error, not a silent write: writing into an account that does not exist, or
 *       updating a device or key the account does not have, throws {@link
 *       IllegalStateException}; writing another account's rows throws {@link
 *       IllegalArgumentException}; a transaction used after its work returned throws {@link
 *       IllegalStateException}.
 *   <li>Concurrency tests use real threads, latches and bounded waits, never sleeps. A store that
 *       blocks where it must not fails with a message naming the wait, after {@link #timeout()}.
 *       Slower stores may lower {@link #operationsPerThread()}.
 * </ul>
 *
 * <p>Tests never retry: a store that retries serialization failures inside {@link
 * KeyStore#inAccount} must do so itself, and the work the suite hands it has no effects outside the
 * transaction other than counting down latches.
 */
public abstract class KeyStoreContract extends StoreSuite {



  /** The store under test, fresh for every test. */
  protected KeyStore store;
  private ExecutorService pool;

  /**
   * Returns the store under test. Called before every test, after {@link #clock} is set: a store
   * with a time source of its own (the feed purge's) must use that clock, which the purge tests
   * move.
   *
   * @return a store holding no account, no key and no change-feed event
   */
  @Override
  protected abstract KeyStore createStore();

  /**
   * How many transactions each of the concurrency tests' eight threads runs. Lower it for stores
   * whose transactions are slow; it must stay at least 10.
   *
   * @return transactions per thread, 200 by default
   */
  protected int operationsPerThread() {
    return 200;
  }

  /**
   * The bound on every wait of the suite: a latch, a thread, a blocked reader. Reached only when a
   * store blocks where it must not, or deadlocks.
   *
   * @return the bound, 30 seconds by default
   */
  protected Duration timeout() {
    return Duration.ofSeconds(30);
  }

  @BeforeEach
  final void setUpContract() {
    pool = daemonPool("keystore-contract");
    store = freshStore();
  }

  @AfterEach
  final void tearDownContract() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(timeout().toMillis(), MILLISECONDS);
  }

  // ==================================================================== atomicity

  @Test
  void workThrowingARuntimeExceptionLeavesNoTraceAndTheExceptionPassesThroughUnchanged() {
    assertFailingWorkLeavesNoTrace(new IllegalStateException("boom"));
  }

  @Test
  void workThrowingAnErrorLeavesNoTraceAndTheErrorPassesThroughUnchanged() {
    assertFailingWorkLeavesNoTrace(new AssertionError("boom"));
  }

  @Test
  void workThrowingACheckedExceptionSneakilyLeavesNoTraceAndTheExceptionPassesThroughUnchanged() {
    assertFailingWorkLeavesNoTrace(new IOException("boom"));
  }

  private void assertFailingWorkLeavesNoTrace(Throwable failure) {
    StoredKey key = key(1, ACME, "SN-0001", hash(1));
    Throwable thrown = catchThrowable(() -> store.inAccount(ACME, tx -> {
      assertThat(tx.insertAccount(account(ACME, 5))).isTrue();
      tx.putMember(member(ACME, "alice", Role.ADMIN));
      assertThat(tx.insertDevice(device(ACME, "SN-0001"))).isTrue();
      assertThat(tx.insertKey(key)).isTrue();
      tx.appendAudit(audit(ACME, "created"));
      tx.appendChange(change(ChangeEvent.Type.CREATED, key));
      throw sneaky(failure);
    }));

    assertThat(thrown).isSameAs(failure);
    assertAccountIsEmpty(ACME);
    assertThat(store.findKeyByHash(hash(1))).isEmpty();
    assertThat(store.changesSince(0, 100)).isEmpty();
    assertThat(store.latestChangeSequence()).isZero();

    // the serial, the key id and the hash were released: another account can take all three
    StoredKey again = key(1, GLOBEX, "SN-0001", hash(1));
    assertAnotherAccountCanClaim("after the rollback", again);
    assertThat(store.findKeyByHash(hash(1))).contains(again);
  }

  /**
   * Creates {@code GLOBEX} and inserts each key there after its device: every insert must succeed,
   * so nothing still holds the serial, the key id or the hash.
   */
  private void assertAnotherAccountCanClaim(String when, StoredKey... keys) {
    createAccount(GLOBEX, 5);
    store.inAccount(GLOBEX, tx -> {
      for (StoredKey k : keys) {
        assertThat(tx.insertDevice(device(GLOBEX, k.deviceSerial()))).as("serial %s free %s", k.deviceSerial(), when)
            .isTrue();
        assertThat(tx.insertKey(k)).as("key id %s and its hash free %s", k.id(), when).isTrue();
      }
      return null;
    });
  }

  @Test
  void failingWorkOnAnExistingAccountRestoresEveryRowItTouched() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002");
    StoredKey k1 = insertKey(key(1, ACME, "SN-0001", hash(1)));
    store.inAccount(ACME, tx -> {
      tx.putMember(member(ACME, "alice", Role.ADMIN));
      tx.putMember(member(ACME, "bob", Role.VIEWER));
      tx.appendAudit(audit(ACME, "before"));
      tx.appendChange(change(ChangeEvent.Type.CREATED, k1));
      return null;
    });
    Snapshot before = snapshot(ACME);
    long latest = store.latestChangeSequence();

    RuntimeException boom = new RuntimeException("boom");
    Throwable thrown = catchThrowable(() -> store.inAccount(ACME, tx -> {
      tx.updateAccount(account(ACME, 9));
      tx.putMember(member(ACME, "bob", Role.MANAGER));
      tx.removeMember(UserId.of("alice"));
      tx.putMember(member(ACME, "carol", Role.VIEWER));
      tx.updateDevice(device(ACME, "SN-0002").withName("renamed"));
      tx.deleteKey(k1.id());
      tx.deleteDevice("SN-0001");
      assertThat(tx.insertDevice(device(ACME, "SN-0003"))).isTrue();
      StoredKey k2 = key(2, ACME, "SN-0002", hash(2));
      assertThat(tx.insertKey(k2)).isTrue();
      assertThat(tx.updateKey(k2.regenerated(hash(3), "hint", null, clock.instant(), clock.instant()))).isTrue();
      tx.appendAudit(audit(ACME, "lost"));
      tx.appendChange(change(ChangeEvent.Type.DELETED, k1));
      throw boom;
    }));

    assertThat(thrown).isSameAs(boom);
    assertThat(snapshot(ACME)).isEqualTo(before);
    assertThat(store.latestChangeSequence()).isEqualTo(latest);
    assertThat(store.findKeyByHash(hash(1))).contains(k1);
    assertThat(store.findKeyByHash(hash(2))).isEmpty();
    assertThat(store.findKeyByHash(hash(3))).isEmpty();
    // what the failed work reserved is free again
    assertAnotherAccountCanClaim("after the failed work",
        key(2, GLOBEX, "SN-0003", hash(2)), key(3, GLOBEX, "SN-0004", hash(3)));
  }

  @Test
  void inAccountReturnsWhatTheWorkReturns() {
    String written = store.inAccount(ACME, tx -> "result");
    Integer read = store.readAccount(ACME, tx -> 42);
    assertThat(written).isEqualTo("result");
    assertThat(read).isEqualTo(42);
  }

  @Test
  void writesAreVisibleToLaterReadsOfTheSameTransaction() {
    StoredKey k = key(1, ACME, "SN-0001", hash(1));
    store.inAccount(ACME, tx -> {
      assertThat(tx.account()).isEmpty();
      Account a = account(ACME, 3);
      assertThat(tx.insertAccount(a)).isTrue();
      assertThat(tx.account()).contains(a);
      assertThat(tx.insertAccount(account(ACME, 4))).as("a second insert").isFalse();
      tx.updateAccount(a.withContractedLicenses(7));
      assertThat(tx.account()).contains(a.withContractedLicenses(7));
      tx.putMember(member(ACME, "alice", Role.ADMIN));
      assertThat(tx.member(UserId.of("alice"))).contains(member(ACME, "alice", Role.ADMIN));
      assertThat(tx.insertDevice(device(ACME, "SN-0001"))).isTrue();
      assertThat(tx.device("SN-0001")).contains(device(ACME, "SN-0001"));
      assertThat(tx.insertKey(k)).isTrue();
      assertThat(tx.key(k.id())).contains(k);
      assertThat(tx.keyForDevice("SN-0001")).contains(k);
      assertThat(tx.keys()).containsExactly(k);
      assertThat(tx.keyCount()).isEqualTo(1);
      tx.deleteKey(k.id());
      assertThat(tx.key(k.id())).isEmpty();
      assertThat(tx.keyForDevice("SN-0001")).isEmpty();
      assertThat(tx.keyCount()).isZero();
      tx.deleteDevice("SN-0001");
      assertThat(tx.device("SN-0001")).isEmpty();
      tx.removeMember(UserId.of("alice"));
      assertThat(tx.members()).isEmpty();
      return null;
    });
    assertThat(licenses(ACME)).isEqualTo(7);
  }

  @Test
  void aTransactionCannotBeUsedAfterItsWork() {
    createAccount(ACME, 1);
    AccountTransaction written = store.inAccount(ACME, tx -> tx);
    AccountTransaction read = store.readAccount(ACME, tx -> tx);

    assertThatThrownBy(written::account).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> written.insertDevice(device(ACME, "SN-0001"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(read::keys).isInstanceOf(IllegalStateException.class);
    assertThat(store.readAccount(ACME, AccountTransaction::devices)).isEmpty();
  }

  @Test
  void writingIntoAnAccountThatDoesNotExistIsAnError() {
    assertWorkThrows(ACME, IllegalStateException.class, "updateAccount", tx -> tx.updateAccount(account(ACME, 1)));
    assertWorkThrows(ACME, IllegalStateException.class, "insertDevice", tx -> tx.insertDevice(device(ACME, "SN-0001")));
    assertWorkThrows(ACME, IllegalStateException.class, "appendAudit", tx -> tx.appendAudit(audit(ACME, "x")));

    assertAccountIsEmpty(ACME);
  }

  @Test
  void writingAnotherAccountsRowsIsAnError() {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);

    assertWorkThrows(ACME, IllegalArgumentException.class, "insertAccount", tx -> tx.insertAccount(account(GLOBEX, 2)));
    assertWorkThrows(ACME, IllegalArgumentException.class, "insertDevice",
        tx -> tx.insertDevice(device(GLOBEX, "SN-0001")));
    assertWorkThrows(ACME, IllegalArgumentException.class, "putMember",
        tx -> tx.putMember(member(GLOBEX, "bob", Role.ADMIN)));

    assertThat(licenses(GLOBEX)).isEqualTo(1);
    assertThat(store.readAccount(GLOBEX, AccountTransaction::devices)).isEmpty();
    assertThat(store.readAccount(GLOBEX, AccountTransaction::members)).isEmpty();
  }

  @Test
  void whatOneTransactionInsertsAndDeletesLeavesItsSerialIdAndHashesFree() {
    givenAccountWithDevices(ACME, 5);
    store.inAccount(ACME, tx -> {
      assertThat(tx.insertDevice(device(ACME, "SN-0001"))).isTrue();
      StoredKey k = key(1, ACME, "SN-0001", hash(1));
      assertThat(tx.insertKey(k)).isTrue();
      StoredKey once = k.regenerated(hash(2), "h2", null, clock.instant(), clock.instant());
      assertThat(tx.updateKey(once)).isTrue();
      // hash(1) is dropped by this second regeneration, within the same transaction
      assertThat(tx.updateKey(once.regenerated(hash(3), "h3", null, clock.instant(), clock.instant()))).isTrue();
      assertThat(tx.insertDevice(device(ACME, "SN-0002"))).isTrue();
      StoredKey gone = key(4, ACME, "SN-0002", hash(4));
      assertThat(tx.insertKey(gone)).isTrue();
      tx.deleteKey(gone.id());
      tx.deleteDevice("SN-0002");
      return null;
    });

    assertThat(store.findKeyByHash(hash(1))).isEmpty();
    assertThat(store.findKeyByHash(hash(4))).isEmpty();
    assertThat(store.findKeyByHash(hash(3))).isPresent();
    assertAnotherAccountCanClaim("after the transaction that inserted and deleted them",
        key(4, GLOBEX, "SN-0002", hash(1)), key(5, GLOBEX, "SN-0003", hash(4)));
  }

  // ==================================================================== isolation and serialization

  // Thread.yield() between a writer's read and write, on purpose: see the comment at the call
  @SuppressWarnings("ThreadPriorityCheck")
  @Test
  void writersOfOneAccountAreSerializedSoNoReadModifyWriteIsLost() throws Exception {
    createAccount(ACME, 0);
    int threads = 8;
    int increments = operationsPerThread();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      writers.add(pool.submit(() -> {
        await(start, "the start signal");
        for (int i = 0; i < increments; i++) {
          store.inAccount(ACME, tx -> {
            Account a = tx.account().orElseThrow();
            // let the other writers run while this one is between its read and its write: a store
            // that does not serialize them then loses updates on every run, not only on some
            Thread.yield();
            tx.updateAccount(a.withContractedLicenses(a.contractedLicenses() + 1));
            return null;
          });
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> w : writers) {
      get(w, "a writer of " + increments + " increments");
    }

    assertThat(licenses(ACME))
        .as("[R1 needs serialized writers] %d writers each added %d licenses in read-modify-write"
            + " transactions; a lower total means concurrent writers of one account were not serialized", threads,
            increments)
        .isEqualTo(threads * increments);
  }

  @Test
  void concurrentCreatorsOfOneAccountGetExactlyOneInsert() throws Exception {
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> creators = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Account a = account(ACME, t);
      creators.add(pool.submit(() -> {
        await(start, "the start signal");
        return store.inAccount(ACME, tx -> tx.insertAccount(a));
      }));
    }
    start.countDown();
    List<Integer> inserted = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      if (get(creators.get(t), "a creator of acme")) {
        inserted.add(t);
      }
    }

    assertThat(inserted).hasSize(1);
    assertThat(licenses(ACME)).as("the account the one successful creator inserted").isEqualTo(inserted.get(0));
  }

  @Test
  void aReadSeesOneSnapshotWhileAWriterCommitsWithoutWaitingForIt() {
    givenAccountWithDevices(ACME, 1, "SN-0001");

    List<Integer> seen = store.readAccount(ACME, tx -> {
      int before = tx.devices().size();
      boolean written = getFromWork(pool.submit(() -> store.inAccount(ACME, w -> w.insertDevice(device(ACME, "SN-0002")))),
          "a writer of acme while a read of acme is open");
      return List.of(before, tx.devices().size(), tx.device("SN-0002").isPresent() ? 1 : 0, written ? 1 : 0);
    });

    assertThat(seen).as("devices before, devices after, SN-0002 seen, written").containsExactly(1, 1, 0, 1);
    assertThat(store.readAccount(ACME, AccountTransaction::devices)).hasSize(2);
  }

  @Test
  void aWriterOfAnotherAccountDoesNotWaitForAnOpenTransaction() throws Exception {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    try (OpenTransaction acme = new OpenTransaction(ACME, tx -> tx.updateAccount(account(ACME, 2)))) {
      Integer licenses = get(pool.submit(() -> store.inAccount(GLOBEX, tx -> {
        tx.updateAccount(account(GLOBEX, 7));
        return tx.account().orElseThrow().contractedLicenses();
      })), "a writer of globex while a transaction of acme is open");
      assertThat(licenses).isEqualTo(7);
      assertThat(licenses(GLOBEX)).isEqualTo(7);
      acme.commit();
    }
    assertThat(licenses(ACME)).isEqualTo(2);
  }

  @Test
  void uncommittedWritesAreInvisibleToReadersLookupsAndTheFeedUntilCommit() throws Exception {
    givenAccountWithDevices(ACME, 3, "SN-0001");
    StoredKey k = key(1, ACME, "SN-0001", hash(1));
    try (OpenTransaction acme = new OpenTransaction(ACME, tx -> {
      tx.updateAccount(account(ACME, 4));
      tx.insertDevice(device(ACME, "SN-0002"));
      tx.insertKey(k);
      tx.appendAudit(audit(ACME, "created"));
      tx.appendChange(change(ChangeEvent.Type.CREATED, k));
    })) {
      Snapshot during = get(pool.submit(() -> snapshot(ACME)), "readAccount while a writer is open");
      assertThat(during.account().orElseThrow().contractedLicenses()).isEqualTo(3);
      assertThat(during.devices()).extracting(Device::serial).containsExactly("SN-0001");
      assertThat(during.keys()).isEmpty();
      assertThat(during.audit()).isEmpty();
      assertThat(get(pool.submit(() -> store.findKeyByHash(hash(1))), "findKeyByHash")).isEmpty();
      assertThat(get(pool.submit(() -> store.changesSince(0, 10)), "changesSince")).isEmpty();
      assertThat(get(pool.submit(() -> store.latestChangeSequence()), "latestChangeSequence")).isZero();
      acme.commit();
    }

    Snapshot after = snapshot(ACME);
    assertThat(after.account().orElseThrow().contractedLicenses()).isEqualTo(4);
    assertThat(after.devices()).extracting(Device::serial).containsExactly("SN-0001", "SN-0002");
    assertThat(after.keys()).containsExactly(k);
    assertThat(after.audit()).hasSize(1);
    assertThat(store.findKeyByHash(hash(1))).contains(k);
    assertThat(store.changesSince(0, 10)).extracting(ChangeEvent::keyId).containsExactly(k.id());
  }

  // ==================================================================== uniqueness

  @Test
  void aSerialIsUniqueAcrossAccountsAndARefusedInsertChangesNothing() {
    givenAccountWithDevices(ACME, 1, "SN-0001");
    createAccount(GLOBEX, 1);
    store.inAccount(GLOBEX, tx -> {
      assertThat(tx.insertDevice(new Device("SN-0001", GLOBEX, "other", "m", clock.instant()))).isFalse();
      assertThat(tx.device("SN-0001")).isEmpty();
      assertThat(tx.devices()).isEmpty();
      // the transaction goes on after a refused insert
      assertThat(tx.insertDevice(device(GLOBEX, "SN-0002"))).isTrue();
      tx.appendAudit(audit(GLOBEX, "after a refused insert"));
      return null;
    });
    store.inAccount(ACME, tx -> {
      assertThat(tx.insertDevice(device(ACME, "SN-0001").withName("again"))).as("same account").isFalse();
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::devices)).containsExactly(device(ACME, "SN-0001"));
    assertThat(store.readAccount(GLOBEX, AccountTransaction::devices)).containsExactly(device(GLOBEX, "SN-0002"));
    List<AuditEntry> audit = store.readAccount(GLOBEX, tx -> tx.audit(Long.MAX_VALUE, 10));
    assertThat(audit).extracting(AuditEntry::detail).containsExactly("after a refused insert");
  }

  @Test
  void updatingADeviceTheAccountDoesNotHaveIsAnErrorAndDeletingOneChangesNothing() {
    givenAccountWithDevices(ACME, 1, "SN-0001");

    assertWorkThrows(ACME, IllegalStateException.class, "updateDevice", tx -> tx.updateDevice(device(ACME, "SN-0009")));
    store.inAccount(ACME, tx -> {
      tx.deleteDevice("SN-0009");
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::devices)).containsExactly(device(ACME, "SN-0001"));
  }

  @Test
  void aDeviceWithAKeyCannotBeDeleted() {
    StoredKey k = givenKey(1);

    assertWorkThrows(ACME, IllegalStateException.class, "deleteDevice", tx -> tx.deleteDevice("SN-0001"))
        .hasMessageContaining("SN-0001");

    assertThat(store.readAccount(ACME, AccountTransaction::devices)).containsExactly(device(ACME, "SN-0001"));
    assertThat(keyForDevice(ACME, "SN-0001")).contains(k);
  }

  @Test
  void aDeletedDeviceFreesItsSerialForAnyAccount() {
    givenAccountWithDevices(ACME, 1, "SN-0001");
    createAccount(GLOBEX, 1);
    store.inAccount(ACME, tx -> {
      tx.deleteDevice("SN-0001");
      return null;
    });

    store.inAccount(GLOBEX, tx -> {
      assertThat(tx.insertDevice(device(GLOBEX, "SN-0001"))).isTrue();
      return null;
    });
    assertThat(store.readAccount(ACME, AccountTransaction::devices)).isEmpty();
    assertThat(store.readAccount(GLOBEX, AccountTransaction::devices)).containsExactly(device(GLOBEX, "SN-0001"));
  }

  @Test
  void racingInsertsOfOneSerialIntoTwoAccountsAdmitExactlyOne() throws Exception {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    int rounds = Math.max(10, operationsPerThread() / 10);
    for (int round = 0; round < rounds; round++) {
      String serial = serial(round);
      List<Boolean> won = race(
          () -> store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, serial))),
          () -> store.inAccount(GLOBEX, tx -> tx.insertDevice(device(GLOBEX, serial))));
      assertThat(won).as("round %d", round).containsExactlyInAnyOrder(true, false);
      boolean acmeHasIt = store.readAccount(ACME, tx -> tx.device(serial).isPresent());
      boolean globexHasIt = store.readAccount(GLOBEX, tx -> tx.device(serial).isPresent());
      assertThat(List.of(acmeHasIt, globexHasIt)).as("round %d", round).isEqualTo(won);
    }
  }

  @Test
  void aDeviceHasAtMostOneKey() {
    StoredKey first = givenKey(1);

    store.inAccount(ACME, tx -> {
      assertThat(tx.insertKey(key(2, ACME, "SN-0001", hash(2)))).isFalse();
      assertThat(tx.keys()).containsExactly(first);
      return null;
    });

    assertThat(keyForDevice(ACME, "SN-0001")).contains(first);
    assertThat(store.readAccount(ACME, AccountTransaction::keyCount)).isEqualTo(1);
    assertThat(store.findKeyByHash(hash(2))).isEmpty();
  }

  @Test
  void aDeletedKeyFreesItsDeviceForANewKey() {
    StoredKey first = givenKey(1);
    StoredKey second = key(2, ACME, "SN-0001", hash(2));

    store.inAccount(ACME, tx -> {
      tx.deleteKey(first.id());
      assertThat(tx.insertKey(second)).isTrue();
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::keys)).containsExactly(second);
  }

  @Test
  void aKeyHashIsUniqueAcrossAccountsIncludingPreviousHashes() {
    givenAccountWithDevices(ACME, 5, "SN-0001");
    givenAccountWithDevices(GLOBEX, 5, "SN-0002", "SN-0003");
    StoredKey acme = key(1, ACME, "SN-0001", hash(1));
    StoredKey regenerated = acme.regenerated(hash(2), "h2", null, clock.instant(), clock.instant().plusSeconds(60));
    insertKey(acme);
    updateKey(regenerated);

    store.inAccount(GLOBEX, tx -> {
      assertThat(tx.insertKey(key(2, GLOBEX, "SN-0002", hash(2)))).as("current hash of another key").isFalse();
      assertThat(tx.insertKey(key(3, GLOBEX, "SN-0002", hash(1)))).as("previous hash of another key").isFalse();
      assertThat(tx.keys()).isEmpty();
      assertThat(tx.keyForDevice("SN-0002")).isEmpty();
      return null;
    });

    assertThat(store.readAccount(GLOBEX, AccountTransaction::keyCount)).isZero();
    assertThat(store.findKeyByHash(hash(1))).contains(regenerated);
    assertThat(store.findKeyByHash(hash(2))).contains(regenerated);
  }

  @Test
  void racingInsertsOfOneHashIntoTwoAccountsAdmitExactlyOne() throws Exception {
    int rounds = Math.max(10, operationsPerThread() / 10);
    createAccount(ACME, rounds);
    createAccount(GLOBEX, rounds);
    for (int round = 0; round < rounds; round++) {
      String serial = serial(round);
      store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "A" + serial)));
      store.inAccount(GLOBEX, tx -> tx.insertDevice(device(GLOBEX, "G" + serial)));
      StoredKey a = key(2 * round, ACME, "A" + serial, hash(round));
      StoredKey g = key(2 * round + 1, GLOBEX, "G" + serial, hash(round));
      List<Boolean> won = race(
          () -> store.inAccount(ACME, tx -> tx.insertKey(a)),
          () -> store.inAccount(GLOBEX, tx -> tx.insertKey(g)));
      assertThat(won).as("round %d", round).containsExactlyInAnyOrder(true, false);
      assertThat(store.findKeyByHash(hash(round))).as("round %d", round).contains(won.get(0) ? a : g);
    }
  }

  @Test
  void insertKeyRefusesATakenOrForeignSlotAndTheTransactionGoesOn() {
    givenAcmeWithTwoDevicesAndGlobexWithOne();
    StoredKey first = insertKey(key(1, ACME, "SN-0001", hash(1)));
    updateKey(first.regenerated(hash(2), "h2", null, clock.instant(), clock.instant().plusSeconds(60)));
    StoredKey second = key(2, ACME, "SN-0002", hash(3));

    boolean last = store.inAccount(ACME, tx -> {
      assertThat(tx.insertKey(key(1, ACME, "SN-0002", hash(3)))).as("id taken").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "SN-0002", hash(2)))).as("hash taken").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "SN-0002", hash(1)))).as("hash taken as a previous hash").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "SN-0001", hash(3)))).as("device has a key").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "SN-0003", hash(3)))).as("another account's device").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "SN-0404", hash(3)))).as("unknown device").isFalse();
      assertThat(tx.keyCount()).isEqualTo(1);
      return tx.insertKey(second);
    });

    assertThat(last).isTrue();
    assertThat(store.readAccount(ACME, AccountTransaction::keyCount)).isEqualTo(2);
    assertThat(keyForDevice(ACME, "SN-0002")).contains(second);
    assertThat(store.readAccount(GLOBEX, AccountTransaction::keys)).isEmpty();
  }

  @Test
  void aKeyIdIsUniqueAcrossAccounts() {
    givenAcmeWithTwoDevicesAndGlobexWithOne();
    StoredKey first = insertKey(key(1, ACME, "SN-0001", hash(1)));

    store.inAccount(ACME, tx -> {
      assertThat(tx.insertKey(key(1, ACME, "SN-0002", hash(2)))).as("same account").isFalse();
      return null;
    });
    store.inAccount(GLOBEX, tx -> {
      assertThat(tx.insertKey(key(1, GLOBEX, "SN-0003", hash(3)))).as("another account").isFalse();
      assertThat(tx.keys()).isEmpty();
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::keys)).containsExactly(first);
    assertThat(store.readAccount(GLOBEX, AccountTransaction::keys)).isEmpty();
    assertThat(store.findKeyByHash(hash(2))).isEmpty();
    assertThat(store.findKeyByHash(hash(3))).isEmpty();
  }

  @Test
  void updateKeyRefusesADeviceThatHasAnotherKeyAndChangesNothing() {
    StoredKey k1 = givenKey(1);
    StoredKey k2 = givenKey(2);

    store.inAccount(ACME, tx -> {
      assertThat(tx.updateKey(k2.withDevice("SN-0001").withLabel("moved"))).isFalse();
      assertThat(tx.key(k2.id())).contains(k2);
      return null;
    });

    assertThat(keyForDevice(ACME, "SN-0001")).contains(k1);
    assertThat(keyForDevice(ACME, "SN-0002")).contains(k2);
  }

  @Test
  void updateKeyRefusesAHashTakenByAnotherKeyOfAnyAccountAndChangesNothing() {
    givenAcmeWithTwoDevicesAndGlobexWithOne();
    StoredKey k1 = insertKey(key(1, ACME, "SN-0001", hash(1)));
    StoredKey k2 = insertKey(key(2, ACME, "SN-0002", hash(2)));
    StoredKey k3 = insertKey(key(3, GLOBEX, "SN-0003", hash(3)));

    store.inAccount(ACME, tx -> {
      assertThat(tx.updateKey(k2.regenerated(hash(1), "h", null, clock.instant(), clock.instant())))
          .as("hash of a key of this account").isFalse();
      assertThat(tx.updateKey(k2.regenerated(hash(3), "h", null, clock.instant(), clock.instant())))
          .as("hash of a key of another account").isFalse();
      assertThat(tx.key(k2.id())).contains(k2);
      return null;
    });

    assertThat(store.findKeyByHash(hash(1))).contains(k1);
    assertThat(store.findKeyByHash(hash(2))).contains(k2);
    assertThat(store.findKeyByHash(hash(3))).contains(k3);
  }

  @Test
  void updateKeyRefusesAnotherAccountsDeviceAndIsAnErrorForAKeyTheAccountDoesNotHave() {
    givenAcmeWithTwoDevicesAndGlobexWithOne();
    StoredKey k = insertKey(key(1, ACME, "SN-0001", hash(1)));
    StoredKey g = insertKey(key(3, GLOBEX, "SN-0003", hash(3)));
    StoredKey changed = k.withDevice("SN-0002").withLabel("moved").withSuspended(true)
        .regenerated(hash(4), "h4", new byte[] {7}, clock.instant().plusSeconds(5), clock.instant().plusSeconds(65));

    store.inAccount(ACME, tx -> {
      assertThat(tx.updateKey(k.withDevice("SN-0003"))).as("another account's device").isFalse();
      assertThat(tx.key(k.id())).contains(k);
      assertThat(tx.updateKey(changed)).as("every field at once").isTrue();
      assertThat(tx.key(k.id())).contains(changed);
      return null;
    });

    assertThat(keyForDevice(ACME, "SN-0002")).contains(changed);
    assertThat(store.findKeyByHash(hash(1))).contains(changed);
    assertThat(store.findKeyByHash(hash(4))).contains(changed);
    assertThat(keyForDevice(GLOBEX, "SN-0003")).contains(g);
    assertWorkThrows(ACME, IllegalStateException.class, "a key the account never had",
        tx -> tx.updateKey(key(7, ACME, "SN-0001", hash(7))));
    assertWorkThrows(GLOBEX, IllegalStateException.class, "a key of another account",
        tx -> tx.updateKey(key(1, GLOBEX, "SN-0003", hash(1))));
    assertThat(storedKey(ACME, k.id())).contains(changed);
  }

  @Test
  void updateKeyMovesAKeyToAFreeDeviceOfTheAccount() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002");
    StoredKey k = insertKey(key(1, ACME, "SN-0001", hash(1)));
    StoredKey moved = k.withDevice("SN-0002").withLabel("moved");

    store.inAccount(ACME, tx -> {
      assertThat(tx.updateKey(moved)).isTrue();
      return null;
    });

    assertThat(keyForDevice(ACME, "SN-0001")).isEmpty();
    assertThat(keyForDevice(ACME, "SN-0002")).contains(moved);
    assertThat(storedKey(ACME, k.id())).contains(moved);
    assertThat(store.findKeyByHash(hash(1))).contains(moved);
    // the old device's key slot is free
    insertKey(key(2, ACME, "SN-0001", hash(2)));
  }

  // ==================================================================== lookup by hash

  @Test
  void aStoredKeyReadsBackEqualThroughEveryRead() {
    givenAccountWithDevices(ACME, 5, "SN-0001");
    Instant created = clock.instant();
    clock.advance(Duration.ofSeconds(30));
    StoredKey k = new StoredKey(keyId(1), ACME, "SN-0001", hash(2), "ks_...Ab9z", "front door",
        created, clock.instant(), created.plus(Duration.ofDays(90)), true, hash(1),
        clock.instant().plus(Duration.ofDays(1)), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});

    insertKey(k);

    assertThat(store.findKeyByHash(hash(2))).contains(k);
    assertThat(store.findKeyByHash(hash(1))).contains(k);
    assertThat(storedKey(ACME, k.id())).contains(k);
    assertThat(keyForDevice(ACME, "SN-0001")).contains(k);
    assertThat(store.readAccount(ACME, AccountTransaction::keys)).containsExactly(k);
  }

  @Test
  void findKeyByHashFindsACommittedKeyOfAnyAccountByItsCurrentHash() {
    StoredKey a = givenKey(1);
    StoredKey g = givenKey(GLOBEX, 2);

    assertThat(store.findKeyByHash(hash(1))).contains(a);
    assertThat(store.findKeyByHash(hash(2))).contains(g);
    assertThat(store.findKeyByHash(hash(3))).isEmpty();
  }

  @Test
  void aRegeneratedKeyIsFoundByItsCurrentAndItsPreviousHash() {
    StoredKey k = givenKey(1);
    clock.advance(Duration.ofMinutes(1));
    StoredKey regenerated =
        k.regenerated(hash(2), "h2", null, clock.instant(), clock.instant().plus(Duration.ofHours(1)));

    updateKey(regenerated);

    assertThat(store.findKeyByHash(hash(2))).contains(regenerated);
    assertThat(store.findKeyByHash(hash(1))).contains(regenerated);
  }

  @Test
  void regeneratingAgainDropsTheOldestHash() {
    StoredKey k = givenKey(1);
    StoredKey once = k.regenerated(hash(2), "h2", null, clock.instant(), clock.instant());
    updateKey(once);
    clock.advance(Duration.ofMinutes(1));
    StoredKey twice = once.regenerated(hash(3), "h3", null, clock.instant(), clock.instant());

    updateKey(twice);

    assertThat(store.findKeyByHash(hash(1))).isEmpty();
    assertThat(store.findKeyByHash(hash(2))).contains(twice);
    assertThat(store.findKeyByHash(hash(3))).contains(twice);
  }

  @Test
  void findKeyByHashReturnsTheLatestCommittedVersion() {
    StoredKey k = givenKey(1);
    StoredKey edited = k.withLabel("edited").withSuspended(true).withExpiresAt(clock.instant().plusSeconds(3600));

    updateKey(edited);

    assertThat(store.findKeyByHash(hash(1))).contains(edited);
  }

  @Test
  void aDeletedKeyIsFoundByNoneOfItsHashes() {
    StoredKey k = givenKey(1);
    updateKey(k.regenerated(hash(2), "h2", null, clock.instant(), clock.instant().plusSeconds(60)));

    store.inAccount(ACME, tx -> {
      tx.deleteKey(k.id());
      return null;
    });

    assertThat(store.findKeyByHash(hash(1))).isEmpty();
    assertThat(store.findKeyByHash(hash(2))).isEmpty();
    assertThat(storedKey(ACME, k.id())).isEmpty();
    assertThat(store.readAccount(ACME, AccountTransaction::keyCount)).isZero();
  }

  @Test
  void deletingAnAbsentKeyChangesNothing() {
    StoredKey k = givenKey(1);

    store.inAccount(ACME, tx -> {
      tx.deleteKey(keyId(99));
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::keys)).containsExactly(k);
  }

  // ==================================================================== change feed

  @Test
  void anEmptyFeedHasSequenceZeroAndNoEvents() {
    assertThat(store.latestChangeSequence()).isZero();
    assertThat(store.changesSince(0, 10)).isEmpty();
  }

  @Test
  void theFeedReturnsEventsAsWrittenInCommitOrderWithIncreasingSequences() {
    givenAcmeWithTwoDevicesAndGlobexWithOne();
    StoredKey a1 = key(1, ACME, "SN-0001", hash(1));
    StoredKey a2 = key(2, ACME, "SN-0002", hash(2));
    StoredKey g3 = key(3, GLOBEX, "SN-0003", hash(3));
    ChangeEvent e1 = change(ChangeEvent.Type.CREATED, a1);
    ChangeEvent e2 = change(ChangeEvent.Type.CREATED, a2);
    clock.advance(Duration.ofSeconds(1));
    ChangeEvent e3 = change(ChangeEvent.Type.CREATED, g3);
    clock.advance(Duration.ofSeconds(1));
    ChangeEvent e4 = new ChangeEvent(0, ChangeEvent.Type.REGENERATED, ACME, a1.id(), List.of(hash(1), hash(4)),
        clock.instant());
    ChangeEvent e5 = new ChangeEvent(0, ChangeEvent.Type.DELETED, ACME, a2.id(), List.of(hash(2)), clock.instant());

    appendChanges(ACME, e1, e2);
    appendChanges(GLOBEX, e3);
    appendChanges(ACME, e4, e5);

    List<ChangeEvent> feed = store.changesSince(0, 100);
    assertThat(feed).extracting(e -> e.withSequence(0)).containsExactly(e1, e2, e3, e4, e5);
    assertGapless(feed);
    assertThat(feed.get(0).sequence()).isPositive();
    assertThat(store.latestChangeSequence()).isEqualTo(feed.get(4).sequence());
  }

  @Test
  void theFeedIsGaplessAcrossAccountsAndARolledBackTransactionUsesNoNumber() {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    ChangeEvent a1 = event(ACME, 1, ChangeEvent.Type.CREATED, hash(1));
    ChangeEvent a2 = event(ACME, 2, ChangeEvent.Type.REGENERATED, hash(2), hash(3), hash(4));
    ChangeEvent g3 = event(GLOBEX, 3, ChangeEvent.Type.DELETED, hash(5));
    ChangeEvent lost = event(ACME, 4, ChangeEvent.Type.SUSPENDED, hash(6));
    ChangeEvent a5 = event(ACME, 5, ChangeEvent.Type.RESUMED, hash(7));

    appendChanges(ACME, a1, a2);
    appendChanges(GLOBEX, g3);
    assertWorkThrows(ACME, IllegalStateException.class, "a rolled-back transaction", tx -> {
      tx.appendChange(lost);
      throw new IllegalStateException("rolled back");
    });
    appendChanges(ACME, a5);

    List<ChangeEvent> feed = store.changesSince(0, 100);
    assertThat(feed).extracting(e -> e.withSequence(0)).containsExactly(a1, a2, g3, a5);
    assertGapless(feed);
    long first = feed.get(0).sequence();
    assertThat(store.latestChangeSequence()).isEqualTo(first + 3);
    assertThat(store.changesSince(first, 2)).extracting(ChangeEvent::sequence).containsExactly(first + 1, first + 2);
    assertThat(store.changesSince(-5, 1)).extracting(ChangeEvent::sequence).containsExactly(first);
    assertThat(store.changesSince(first + 3, 10)).isEmpty();
    assertThatThrownBy(() -> store.changesSince(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aChangeMayBeAppendedBeforeTheAccountExists() {
    ChangeEvent e = event(ACME, 1, ChangeEvent.Type.DELETED, hash(1));

    appendChanges(ACME, e);

    assertThat(store.changesSince(0, 10)).extracting(x -> x.withSequence(0)).containsExactly(e);
    assertAccountIsEmpty(ACME);
  }

  @Test
  void theFeedPagesWithAfterSequenceAndMax() {
    givenAccountWithDevices(ACME, 5);
    List<ChangeEvent> written = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      written.add(editedEvent(ACME, i));
    }
    appendChanges(ACME, written.get(0), written.get(1), written.get(2));
    appendChanges(ACME, written.get(3), written.get(4));

    List<ChangeEvent> page1 = store.changesSince(0, 2);
    List<ChangeEvent> page2 = store.changesSince(page1.get(1).sequence(), 2);
    List<ChangeEvent> page3 = store.changesSince(page2.get(1).sequence(), 2);
    List<ChangeEvent> page4 = store.changesSince(page3.get(0).sequence(), 2);

    assertThat(page1).extracting(ChangeEvent::keyId).containsExactly(keyId(1), keyId(2));
    assertThat(page2).extracting(ChangeEvent::keyId).containsExactly(keyId(3), keyId(4));
    assertThat(page3).extracting(ChangeEvent::keyId).containsExactly(keyId(5));
    assertThat(page4).isEmpty();
    assertThat(store.latestChangeSequence()).isEqualTo(page3.get(0).sequence());
    assertThat(store.changesSince(store.latestChangeSequence(), 10)).isEmpty();
    // a cursor in the middle of a transaction's events resumes after it
    assertThat(store.changesSince(page1.get(0).sequence(), 10)).extracting(ChangeEvent::keyId)
        .containsExactly(keyId(2), keyId(3), keyId(4), keyId(5));
  }

  @Test
  void eventsOfRolledBackTransactionsAreNotInTheFeed() {
    givenAccountWithDevices(ACME, 5);
    ChangeEvent kept1 = editedEvent(ACME, 1);
    ChangeEvent lost = editedEvent(ACME, 2);
    ChangeEvent kept2 = editedEvent(ACME, 3);

    appendChanges(ACME, kept1);
    RuntimeException boom = new RuntimeException("boom");
    assertThat(catchThrowable(() -> store.inAccount(ACME, tx -> {
      tx.appendChange(lost);
      throw boom;
    }))).isSameAs(boom);
    appendChanges(ACME, kept2);

    List<ChangeEvent> feed = store.changesSince(0, 100);
    assertThat(feed).extracting(ChangeEvent::keyId).containsExactly(keyId(1), keyId(3));
    assertGapless(feed);
    assertThat(store.latestChangeSequence()).isEqualTo(feed.get(1).sequence());
  }

  @Test
  void aReaderNeverMissesAnEventCommittedAfterItReadTheFeed() throws Exception {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    ChangeEvent early = editedEvent(ACME, 1);
    ChangeEvent late = editedEvent(GLOBEX, 2);
    long cursor;
    long latest;
    // acme's transaction writes its event first but commits last
    try (OpenTransaction acme = new OpenTransaction(ACME, tx -> tx.appendChange(early))) {
      get(pool.submit(() -> appendChanges(GLOBEX, late)), "a writer of globex while a transaction of acme is open");
      List<ChangeEvent> seen = store.changesSince(0, 100);
      assertThat(seen).extracting(ChangeEvent::keyId).containsExactly(keyId(2));
      cursor = seen.get(0).sequence();
      latest = store.latestChangeSequence();
      acme.commit();
    }

    assertThat(store.changesSince(cursor, 100)).as("events after the last one seen: numbered in commit order")
        .extracting(ChangeEvent::keyId, ChangeEvent::sequence).containsExactly(tuple(keyId(1), cursor + 1));
    assertThat(store.changesSince(latest, 100)).as("events after latestChangeSequence() read while it was open")
        .extracting(ChangeEvent::keyId).contains(keyId(1));
    List<ChangeEvent> feed = store.changesSince(0, 100);
    assertThat(feed).extracting(ChangeEvent::keyId).containsExactlyInAnyOrder(keyId(1), keyId(2));
    assertGapless(feed);
  }

  @Test
  void aPollerFollowingTheFeedDuringConcurrentCommitsSeesEveryEventOnce() throws Exception {
    int threads = 8;
    int commits = operationsPerThread();
    List<AccountId> accounts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      accounts.add(AccountId.of("acct-" + t));
      createAccount(accounts.get(t), 1);
    }
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<ChangeEvent> polled = Collections.synchronizedList(new ArrayList<>());
    Future<Integer> poller = pool.submit(() -> {
      await(start, "the start signal");
      long cursor = 0;
      int polls = 0;
      boolean last = false;
      while (!last) {
        last = !writing.get();
        List<ChangeEvent> page;
        do {
          page = store.changesSince(cursor, 50);
          for (ChangeEvent e : page) {
            assertThat(cursor == 0 || e.sequence() == cursor + 1).as("no gap after %d: %s", cursor, e).isTrue();
            cursor = e.sequence();
          }
          polled.addAll(page);
          polls++;
        } while (page.size() == 50);
      }
      return polls;
    });
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      AccountId account = accounts.get(t);
      int base = t * commits * 2;
      writers.add(pool.submit(() -> {
        await(start, "the start signal");
        for (int i = 0; i < commits; i++) {
          int n = base + 2 * i;
          store.inAccount(account, tx -> {
            tx.appendChange(editedEvent(account, n));
            tx.appendChange(editedEvent(account, n + 1));
            return null;
          });
        }
        return null;
      }));
    }
    start.countDown();
    try {
      for (Future<?> w : writers) {
        get(w, "a writer of " + commits + " transactions");
      }
    } finally {
      writing.set(false);
    }
    assertThat(get(poller, "the poller")).isPositive();

    List<ChangeEvent> feed = store.changesSince(0, Integer.MAX_VALUE);
    assertThat(feed).hasSize(threads * commits * 2);
    assertGapless(feed);
    assertThat(polled).as("what the poller saw while transactions committed").containsExactlyElementsOf(feed);
    for (AccountId account : accounts) {
      List<Integer> mine = feed.stream().filter(e -> e.accountId().equals(account))
          .map(e -> Integer.parseInt(e.keyId().value().substring(4))).toList();
      assertThat(mine).as("events of %s in commit order", account).isSorted();
    }
  }

  // ==================================================================== usage

  @Test
  void aNewKeyHasNoUsage() {
    StoredKey k = givenKey(1);

    assertThat(usage(ACME, k.id())).isEqualTo(KeyUsage.NONE);
  }

  @Test
  void usageKeepsTheGreatestLastUsedTimeAndSumsCountsAcrossAndWithinBatches() {
    StoredKey k1 = givenKey(1);
    StoredKey k2 = givenKey(2);
    Instant t0 = clock.instant();
    Instant t1 = t0.plusSeconds(10);
    Instant t2 = t0.plusSeconds(20);

    store.recordUsage(List.of(new UsageDelta(k1.id(), t2, 3), new UsageDelta(k2.id(), t0, 1)));
    store.recordUsage(List.of(new UsageDelta(k1.id(), t1, 4)));
    store.recordUsage(List.of());
    store.recordUsage(List.of(new UsageDelta(k2.id(), t1, 6)));

    assertThat(usage(ACME, k1.id())).isEqualTo(new KeyUsage(t2, 7));
    assertThat(usage(ACME, k2.id())).isEqualTo(new KeyUsage(t1, 7));

    // one key twice in a batch, the later time first, beside a key that does not exist
    store.recordUsage(List.of(new UsageDelta(k1.id(), t2.plusSeconds(10), 2),
        new UsageDelta(keyId(99), t2.plusSeconds(99), 1), new UsageDelta(k1.id(), t2.plusSeconds(5), 3)));

    assertThat(usage(ACME, k1.id())).isEqualTo(new KeyUsage(t2.plusSeconds(10), 12));
    assertThat(usage(ACME, k2.id())).isEqualTo(new KeyUsage(t1, 7));
  }

  @Test
  void usageIsReadOnlyThroughTheKeysOwnAccount() {
    givenAccountWithDevices(ACME, 5, "SN-0001");
    createAccount(GLOBEX, 5);
    StoredKey k = insertKey(key(1, ACME, "SN-0001", hash(1)));
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant().plusSeconds(10), 6)));

    assertThat(usage(ACME, k.id())).as("usage of %s read through its own account", k.id())
        .isEqualTo(new KeyUsage(clock.instant().plusSeconds(10), 6));
    assertThat(usage(GLOBEX, k.id()))
        .as("usage(id) is the recorded usage of a key of this account: %s read through another account", k.id())
        .isEqualTo(KeyUsage.NONE);
  }

  @Test
  void usageForUnknownKeysIsIgnored() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002");
    StoredKey k1 = insertKey(key(1, ACME, "SN-0001", hash(1)));

    store.recordUsage(List.of(
        new UsageDelta(keyId(2), clock.instant(), 5), new UsageDelta(k1.id(), clock.instant(), 1)));

    assertThat(usage(ACME, k1.id())).isEqualTo(new KeyUsage(clock.instant(), 1));
    // a key created later with that id starts unused
    StoredKey k2 = insertKey(key(2, ACME, "SN-0002", hash(2)));
    assertThat(usage(ACME, k2.id())).isEqualTo(KeyUsage.NONE);
  }

  @Test
  void deletingAKeyDeletesItsUsageAndLaterUsageForItIsIgnored() {
    StoredKey k = givenKey(1);
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant(), 9)));

    store.inAccount(ACME, tx -> {
      tx.deleteKey(k.id());
      return null;
    });
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant().plusSeconds(1), 2)));

    assertThat(usage(ACME, k.id())).isEqualTo(KeyUsage.NONE);
    // a new key with the same id starts without usage
    insertKey(key(1, ACME, "SN-0001", hash(1)));
    assertThat(usage(ACME, k.id())).isEqualTo(KeyUsage.NONE);
  }

  @Test
  void updatingAKeyKeepsItsUsage() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002");
    StoredKey k = insertKey(key(1, ACME, "SN-0001", hash(1)));
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant(), 9)));

    updateKey(k.regenerated(hash(2), "h2", null, clock.instant(), clock.instant())
        .withDevice("SN-0002").withLabel("x"));

    assertThat(usage(ACME, k.id())).isEqualTo(new KeyUsage(clock.instant(), 9));
  }

  // ==================================================================== daily usage (usage charts)

  /** The UTC day the daily-usage tests count on, and a moment of it. */
  private static final LocalDate NOV_3 = LocalDate.of(2026, 11, 3);
  private static final Instant NOV_3_AT_10 = Instant.parse("2026-11-03T10:00:00Z");

  @Test
  void dailyUsageCountsEachDeltaOnTheUtcDayOfItsLastUse() {
    StoredKey k = givenKey(1);
    clock.set(Instant.parse("2026-11-03T23:59:59Z"));
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant(), 2)));
    clock.advance(Duration.ofSeconds(1)); // midnight: the next day
    store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant(), 3)));
    LocalDate nov4 = NOV_3.plusDays(1);

    assertThat(store.dailyUsage(ACME, k.id(), NOV_3.minusDays(5), nov4.plusDays(5)))
        .containsExactly(new DailyUsage(NOV_3, 2), new DailyUsage(nov4, 3));
    assertThat(store.dailyUsage(ACME, k.id(), nov4, nov4)).as("only the days of the range")
        .containsExactly(new DailyUsage(nov4, 3));
    assertThat(store.dailyUsage(ACME, k.id(), NOV_3.minusDays(9), NOV_3.minusDays(1))).isEmpty();
    assertThatThrownBy(() -> store.dailyUsage(ACME, k.id(), nov4, NOV_3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dailyUsageOfTwoFlushesOnOneDaySumsAndOneBatchMaySpanTwoDays() {
    StoredKey k1 = givenKey(1);
    StoredKey k2 = givenKey(2);
    store.recordUsage(List.of(new UsageDelta(k1.id(), NOV_3_AT_10, 4), new UsageDelta(k2.id(), NOV_3_AT_10, 1)));
    store.recordUsage(List.of(new UsageDelta(k1.id(), NOV_3_AT_10.plusSeconds(10), 5)));
    // one batch holding the same key on two days (the later one first), as coalesced usage may
    store.recordUsage(List.of(new UsageDelta(k1.id(), NOV_3_AT_10.plus(Duration.ofDays(1)), 7),
        new UsageDelta(k1.id(), NOV_3_AT_10.plusSeconds(20), 1)));

    assertThat(store.dailyUsage(ACME, k1.id(), NOV_3, NOV_3.plusDays(1)))
        .containsExactly(new DailyUsage(NOV_3, 10), new DailyUsage(NOV_3.plusDays(1), 7));
    assertThat(store.dailyUsage(ACME, null, NOV_3, NOV_3.plusDays(1))).as("the account: summed over its keys per day")
        .containsExactly(new DailyUsage(NOV_3, 11), new DailyUsage(NOV_3.plusDays(1), 7));
    assertThat(usage(ACME, k1.id()).useCount()).as("the total agrees with the days").isEqualTo(17);
  }

  @Test
  void dailyUsageOfAnotherAccountIsNotVisible() {
    StoredKey mine = givenKey(1);
    StoredKey theirs = givenKey(GLOBEX, 2);
    store.recordUsage(List.of(new UsageDelta(mine.id(), NOV_3_AT_10, 2), new UsageDelta(theirs.id(), NOV_3_AT_10, 30)));

    assertThat(store.dailyUsage(ACME, theirs.id(), NOV_3, NOV_3)).as("another account's key read through ACME").isEmpty();
    assertThat(store.dailyUsage(ACME, null, NOV_3, NOV_3)).containsExactly(new DailyUsage(NOV_3, 2));
    assertThat(store.dailyUsage(GLOBEX, null, NOV_3, NOV_3)).containsExactly(new DailyUsage(NOV_3, 30));
    assertThat(store.dailyUsage(AccountId.of("nobody"), null, NOV_3, NOV_3)).isEmpty();
  }

  @Test
  void deletingAKeyDeletesItsDailyUsageAndLaterUsageForItIsIgnored() {
    StoredKey gone = givenKey(1);
    StoredKey kept = givenKey(2);
    store.recordUsage(List.of(new UsageDelta(gone.id(), NOV_3_AT_10, 9), new UsageDelta(kept.id(), NOV_3_AT_10, 1)));

    store.inAccount(ACME, tx -> {
      tx.deleteKey(gone.id());
      return null;
    });
    store.recordUsage(List.of(new UsageDelta(gone.id(), NOV_3_AT_10.plusSeconds(1), 2)));

    assertThat(store.dailyUsage(ACME, gone.id(), NOV_3, NOV_3)).isEmpty();
    assertThat(store.dailyUsage(ACME, null, NOV_3, NOV_3)).as("usage never outlives its key")
        .containsExactly(new DailyUsage(NOV_3, 1));
    // a new key with the same id starts without daily usage
    insertKey(key(1, ACME, "SN-0001", hash(1)));
    assertThat(store.dailyUsage(ACME, gone.id(), NOV_3, NOV_3)).isEmpty();
  }

  @Test
  void concurrentUsageBatchesAreAllCounted() throws Exception {
    StoredKey k = givenKey(1);
    int threads = 8;
    int batches = operationsPerThread();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> flushers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      flushers.add(pool.submit(() -> {
        await(start, "the start signal");
        for (int i = 0; i < batches; i++) {
          store.recordUsage(List.of(new UsageDelta(k.id(), clock.instant().plusSeconds(thread * batches + i), 1)));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : flushers) {
      get(f, "a usage flusher");
    }

    assertThat(usage(ACME, k.id()))
        .isEqualTo(new KeyUsage(clock.instant().plusSeconds((long) threads * batches - 1), (long) threads * batches));
  }

  // ==================================================================== read models

  @Test
  void membersAreOrderedByUserIdAndPutMemberReplacesARole() {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    store.inAccount(ACME, tx -> {
      tx.putMember(member(ACME, "carol", Role.VIEWER));
      tx.putMember(member(ACME, "alice", Role.ADMIN));
      tx.putMember(member(ACME, "bob", Role.VIEWER));
      assertThat(tx.members()).extracting(m -> m.userId().value()).containsExactly("alice", "bob", "carol");
      return null;
    });
    store.inAccount(GLOBEX, tx -> {
      tx.putMember(member(GLOBEX, "bob", Role.ADMIN));
      return null;
    });

    store.inAccount(ACME, tx -> {
      tx.putMember(member(ACME, "bob", Role.MANAGER));
      tx.removeMember(UserId.of("carol"));
      tx.removeMember(UserId.of("nobody"));
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::members))
        .containsExactly(member(ACME, "alice", Role.ADMIN), member(ACME, "bob", Role.MANAGER));
    Optional<Member> carol = store.readAccount(ACME, tx -> tx.member(UserId.of("carol")));
    assertThat(carol).isEmpty();
    assertThat(store.readAccount(GLOBEX, AccountTransaction::members))
        .containsExactly(member(GLOBEX, "bob", Role.ADMIN));
  }

  @Test
  void membersAndDevicesAreInStringCompareToOrder() {
    createAccount(ACME, 1);
    store.inAccount(ACME, tx -> {
      for (String user : List.of("carol", "Zed", "alice")) {
        tx.putMember(member(ACME, user, Role.VIEWER));
      }
      for (String serial : List.of("SN-2", "SN-10", "SN-1")) {
        assertThat(tx.insertDevice(device(ACME, serial))).isTrue();
      }
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::members)).extracting(m -> m.userId().value())
        .containsExactly("Zed", "alice", "carol");
    assertThat(store.readAccount(ACME, AccountTransaction::devices)).extracting(Device::serial)
        .containsExactly("SN-1", "SN-10", "SN-2");
  }

  @Test
  void devicesAreOrderedBySerialAndUpdateDeviceReplacesOne() {
    createAccount(ACME, 1);
    store.inAccount(ACME, tx -> {
      for (String serial : List.of("SN-0300", "SN-0010", "SN-0200", "SN-0001")) {
        assertThat(tx.insertDevice(device(ACME, serial))).isTrue();
      }
      assertThat(tx.devices()).extracting(Device::serial).containsExactly("SN-0001", "SN-0010", "SN-0200", "SN-0300");
      return null;
    });
    Device renamed = device(ACME, "SN-0200").withName("Kitchen");

    store.inAccount(ACME, tx -> {
      tx.updateDevice(renamed);
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::devices)).containsExactly(
        device(ACME, "SN-0001"), device(ACME, "SN-0010"), renamed, device(ACME, "SN-0300"));
    Optional<Device> read = store.readAccount(ACME, tx -> tx.device("SN-0200"));
    assertThat(read).contains(renamed);
  }

  @Test
  void keysAreOrderedByCreationTimeThenId() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002", "SN-0003", "SN-0004");
    Instant t0 = clock.instant();
    Instant t1 = t0.plusSeconds(1);
    StoredKey late = key(1, ACME, "SN-0001", hash(1), t1);
    StoredKey earlyB = key(3, ACME, "SN-0002", hash(3), t0);
    StoredKey earlyA = key(2, ACME, "SN-0003", hash(2), t0);
    StoredKey latest = key(4, ACME, "SN-0004", hash(4), t1.plusSeconds(1));

    store.inAccount(ACME, tx -> {
      for (StoredKey k : List.of(latest, late, earlyB, earlyA)) {
        assertThat(tx.insertKey(k)).isTrue();
      }
      assertThat(tx.keys()).containsExactly(earlyA, earlyB, late, latest);
      return null;
    });
    updateKey(earlyA.withLabel("edited"));

    assertThat(store.readAccount(ACME, AccountTransaction::keys)).extracting(StoredKey::id)
        .containsExactly(earlyA.id(), earlyB.id(), late.id(), latest.id());
    assertThat(store.readAccount(ACME, AccountTransaction::keyCount)).isEqualTo(4);
  }

  @Test
  void auditIsNewestFirstWithStoreAssignedSequencesAndPagesBeforeASequence() {
    createAccount(ACME, 1);
    createAccount(GLOBEX, 1);
    List<AuditEntry> written = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      written.add(new AuditEntry(0, ACME, clock.instant(), "user:alice", Action.CREATE_KEYS,
          i % 2 == 0 ? null : keyId(i), i % 2 == 0 ? null : serial(i), i == 3 ? Outcome.REFUSED : Outcome.SUCCESS,
          "entry " + i));
    }
    store.inAccount(ACME, tx -> {
      written.subList(0, 3).forEach(tx::appendAudit);
      return null;
    });
    store.inAccount(GLOBEX, tx -> {
      tx.appendAudit(audit(GLOBEX, "globex entry"));
      return null;
    });
    store.inAccount(ACME, tx -> {
      written.subList(3, 5).forEach(tx::appendAudit);
      return null;
    });

    List<AuditEntry> all = store.readAccount(ACME, tx -> tx.audit(Long.MAX_VALUE, 100));
    assertThat(all).extracting(e -> e.withSequence(0))
        .containsExactly(written.get(4), written.get(3), written.get(2), written.get(1), written.get(0));
    assertThat(all.get(4).sequence()).isPositive();
    for (int i = 1; i < all.size(); i++) {
      assertThat(all.get(i).sequence()).as("sequence decreases down the page").isLessThan(all.get(i - 1).sequence());
    }

    List<AuditEntry> page1 = store.readAccount(ACME, tx -> tx.audit(Long.MAX_VALUE, 2));
    List<AuditEntry> page2 = store.readAccount(ACME, tx -> tx.audit(page1.get(1).sequence(), 2));
    List<AuditEntry> page3 = store.readAccount(ACME, tx -> tx.audit(page2.get(1).sequence(), 2));
    List<AuditEntry> page4 = store.readAccount(ACME, tx -> tx.audit(page3.get(0).sequence(), 2));
    assertThat(page1).containsExactly(all.get(0), all.get(1));
    assertThat(page2).containsExactly(all.get(2), all.get(3));
    assertThat(page3).containsExactly(all.get(4));
    assertThat(page4).isEmpty();
    List<AuditEntry> globex = store.readAccount(GLOBEX, tx -> tx.audit(Long.MAX_VALUE, 100));
    assertThat(globex).extracting(AuditEntry::detail).containsExactly("globex entry");
  }

  @Test
  void anAccountReadsBackAsInsertedAndAsUpdated() {
    Account created = account(ACME, 3);
    store.inAccount(ACME, tx -> {
      assertThat(tx.insertAccount(created)).isTrue();
      return null;
    });
    assertThat(store.readAccount(ACME, AccountTransaction::account)).contains(created);

    store.inAccount(ACME, tx -> {
      assertThat(tx.insertAccount(new Account(ACME, "other", 99, clock.instant()))).isFalse();
      assertThat(tx.account()).contains(created);
      return null;
    });
    Account updated = created.withContractedLicenses(8);
    store.inAccount(ACME, tx -> {
      tx.updateAccount(updated);
      return null;
    });

    assertThat(store.readAccount(ACME, AccountTransaction::account)).contains(updated);
    assertThat(store.readAccount(GLOBEX, AccountTransaction::account)).isEmpty();
  }

  // ==================================================================== readAccount

  @Test
  void readAccountOfAnUnknownAccountSeesNothing() {
    assertAccountIsEmpty(ACME);
  }

  @Test
  void readAccountSeesCommittedStateAndPassesResultsAndExceptionsThrough() {
    StoredKey k = givenKey(1);
    IllegalArgumentException boom = new IllegalArgumentException("boom");

    assertThat(store.readAccount(ACME, AccountTransaction::keys)).containsExactly(k);
    assertThat(catchThrowable(() -> store.readAccount(ACME, tx -> {
      throw boom;
    }))).isSameAs(boom);
  }

  @Test
  void readAccountRefusesEveryWriteWithUnsupportedOperationException() {
    StoredKey k = givenKey(1);
    store.inAccount(ACME, tx -> {
      tx.putMember(member(ACME, "alice", Role.ADMIN));
      return null;
    });
    Snapshot before = snapshot(ACME);
    long latest = store.latestChangeSequence();
    List<Consumer<AccountTransaction>> writes = List.of(
        tx -> tx.insertAccount(account(ACME, 1)),
        tx -> tx.updateAccount(account(ACME, 9)),
        tx -> tx.putMember(member(ACME, "bob", Role.ADMIN)),
        tx -> tx.removeMember(UserId.of("alice")),
        tx -> tx.insertDevice(device(ACME, "SN-0002")),
        tx -> tx.updateDevice(device(ACME, "SN-0001").withName("renamed")),
        tx -> tx.deleteDevice("SN-0001"),
        tx -> tx.insertKey(key(2, ACME, "SN-0001", hash(2))),
        tx -> tx.updateKey(k.withLabel("edited")),
        tx -> tx.deleteKey(k.id()),
        tx -> tx.appendAudit(audit(ACME, "read-only")),
        tx -> tx.appendChange(change(ChangeEvent.Type.DELETED, k)));

    for (int i = 0; i < writes.size(); i++) {
      Consumer<AccountTransaction> write = writes.get(i);
      assertThatThrownBy(() -> store.readAccount(ACME, tx -> {
        write.accept(tx);
        return null;
      })).as("write #%d", i).isInstanceOf(UnsupportedOperationException.class);
    }
    store.readAccount(ACME, tx -> {
      for (Consumer<AccountTransaction> write : writes) {
        assertThatThrownBy(() -> write.accept(tx)).isInstanceOf(UnsupportedOperationException.class);
      }
      // the read goes on after every refusal
      assertThat(tx.account()).isPresent();
      assertThat(tx.devices()).extracting(Device::serial).containsExactly("SN-0001");
      return null;
    });

    assertThat(snapshot(ACME)).isEqualTo(before);
    assertThat(store.latestChangeSequence()).isEqualTo(latest);
    assertThat(store.findKeyByHash(hash(1))).contains(k);
  }

  // ==================================================================== helpers

  /** Everything an account's transaction can read. */
  private record Snapshot(Optional<Account> account, List<Member> members, List<Device> devices,
      List<StoredKey> keys, List<AuditEntry> audit) {}

  private Snapshot snapshot(AccountId id) {
    return store.readAccount(id, tx -> new Snapshot(tx.account(), tx.members(), tx.devices(), tx.keys(),
        tx.audit(Long.MAX_VALUE, 1000)));
  }

  private void assertAccountIsEmpty(AccountId id) {
    assertThat(snapshot(id)).isEqualTo(new Snapshot(Optional.empty(), List.of(), List.of(), List.of(), List.of()));
    assertThat(store.readAccount(id, AccountTransaction::keyCount)).isZero();
  }

  private Optional<StoredKey> storedKey(AccountId account, KeyId id) {
    return store.readAccount(account, tx -> tx.key(id));
  }

  private Optional<StoredKey> keyForDevice(AccountId account, String serial) {
    return store.readAccount(account, tx -> tx.keyForDevice(serial));
  }

  private int licenses(AccountId account) {
    return store.readAccount(account, tx -> tx.account().orElseThrow().contractedLicenses());
  }

  private KeyUsage usage(AccountId account, KeyId id) {
    return store.readAccount(account, tx -> tx.usage(id));
  }

  private Account account(AccountId id, int licenses) {
    return new Account(id, "Account " + id, licenses, clock.instant());
  }

  private void createAccount(AccountId id, int licenses) {
    Account a = account(id, licenses);
    store.inAccount(id, tx -> {
      assertThat(tx.insertAccount(a)).as("insert account %s", id).isTrue();
      return null;
    });
  }

  /** @return {@link #givenKey(AccountId, int) givenKey(ACME, n)} */
  private StoredKey givenKey(int n) {
    return givenKey(ACME, n);
  }

  /**
   * @param account the account, created with 5 licenses on first use
   * @param n 1 to 9999
   * @return key {@code n} (hash {@code n}), committed on its own new device {@code serial(n)}
   */
  private StoredKey givenKey(AccountId account, int n) {
    if (store.readAccount(account, tx -> tx.account().isEmpty())) {
      createAccount(account, 5);
    }
    givenDevices(account, serial(n));
    return insertKey(key(n, account, serial(n), hash(n)));
  }

  private void givenAccountWithDevices(AccountId id, int licenses, String... serials) {
    createAccount(id, licenses);
    givenDevices(id, serials);
  }

  private void givenDevices(AccountId id, String... serials) {
    store.inAccount(id, tx -> {
      for (String serial : serials) {
        assertThat(tx.insertDevice(device(id, serial))).as("insert device %s", serial).isTrue();
      }
      return null;
    });
  }

  /** acme with devices SN-0001 and SN-0002, globex with SN-0003; five licenses each. */
  private void givenAcmeWithTwoDevicesAndGlobexWithOne() {
    givenAccountWithDevices(ACME, 5, "SN-0001", "SN-0002");
    givenAccountWithDevices(GLOBEX, 5, "SN-0003");
  }

  private static Member member(AccountId id, String user, Role role) {
    return new Member(id, UserId.of(user), role);
  }

  private Device device(AccountId id, String serial) {
    return new Device(serial, id, "Device " + serial, "Indoor Air Monitor", clock.instant());
  }

  private static String serial(int n) {
    return String.format("SN-%04d", n);
  }

  /**
   * @param n how many
   * @return a valid key id; ids of one width, so they sort by {@code n}
   */
  protected static KeyId keyId(int n) {
    return KeyId.of(String.format("key_%08d", n));
  }

  /**
   * @param n how many
   * @return a distinct, well-spread hash for every {@code n}
   */
  protected static KeyHash hash(int n) {
    try {
      return KeyHash.of(MessageDigest.getInstance("SHA-256").digest(("keystore-contract-" + n).getBytes(UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private StoredKey key(int n, AccountId account, String serial, KeyHash hash) {
    return key(n, account, serial, hash, clock.instant());
  }

  private static StoredKey key(int n, AccountId account, String serial, KeyHash hash, Instant createdAt) {
    return new StoredKey(keyId(n), account, serial, hash, "ks_..." + n, "", createdAt, null, null, false, null,
        null, null);
  }

  private StoredKey insertKey(StoredKey k) {
    store.inAccount(k.accountId(), tx -> {
      assertThat(tx.insertKey(k)).as("insert key %s", k.id()).isTrue();
      return null;
    });
    return k;
  }

  private void updateKey(StoredKey k) {
    store.inAccount(k.accountId(), tx -> {
      assertThat(tx.updateKey(k)).as("update key %s", k.id()).isTrue();
      return null;
    });
  }

  private AuditEntry audit(AccountId id, String detail) {
    return new AuditEntry(0, id, clock.instant(), "user:alice", Action.EDIT_KEY, null, null, Outcome.SUCCESS, detail);
  }

  private ChangeEvent change(ChangeEvent.Type type, StoredKey k) {
    return new ChangeEvent(0, type, k.accountId(), k.id(), k.hashes(), clock.instant());
  }

  /** @return an EDITED event of key {@code n} with hash {@code n}, not yet stored */
  private ChangeEvent editedEvent(AccountId id, int n) {
    return event(id, n, ChangeEvent.Type.EDITED, hash(n));
  }

  /** @return an event of key {@code n}, not yet stored */
  private ChangeEvent event(AccountId id, int n, ChangeEvent.Type type, KeyHash... hashes) {
    return new ChangeEvent(0, type, id, keyId(n), List.of(hashes), clock.instant());
  }

  /**
   * Asserts that {@code writes}, run as the work of a transaction of {@code id}, throw.
   *
   * @return the assertion on what they threw, for more
   */
  private AbstractThrowableAssert<?, ? extends Throwable> assertWorkThrows(AccountId id,
      Class<? extends Throwable> expected, String what, Consumer<AccountTransaction> writes) {
    return assertThatThrownBy(() -> store.inAccount(id, tx -> {
      writes.accept(tx);
      return null;
    })).as(what).isInstanceOf(expected);
  }

  private Void appendChanges(AccountId id, ChangeEvent... events) {
    return store.inAccount(id, tx -> {
      for (ChangeEvent e : events) {
        tx.appendChange(e);
      }
      return null;
    });
  }

  /** Asserts that each event is numbered one above the one before it (the first above 0). */
  private static void assertGapless(List<ChangeEvent> feed) {
    for (int i = 0; i < feed.size(); i++) {
      if (i == 0) {
        assertThat(feed.get(0).sequence()).as("the first sequence").isPositive();
      } else {
        assertThat(feed.get(i).sequence()).as("sequence at %d", i).isEqualTo(feed.get(i - 1).sequence() + 1);
      }
    }
  }

  /** Runs both at once, as far as threads allow; returns their results in argument order. */
  private List<Boolean> race(Callable<Boolean> first, Callable<Boolean> second) throws Exception {
    CyclicBarrier barrier = new CyclicBarrier(2);
    Future<Boolean> a = pool.submit(() -> {
      barrier.await(timeout().toMillis(), MILLISECONDS);
      return first.call();
    });
    Future<Boolean> b = pool.submit(() -> {
      barrier.await(timeout().toMillis(), MILLISECONDS);
      return second.call();
    });
    return List.of(get(a, "the first racer"), get(b, "the second racer"));
  }

  private <T> T get(Future<T> future, String what) throws Exception {
    try {
      return future.get(timeout().toMillis(), MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new AssertionError(what + " did not finish within " + timeout(), e);
    } catch (ExecutionException e) {
      throw sneaky(e.getCause());
    }
  }

  /** {@link #get} for work that may not throw checked exceptions. */
  private <T> T getFromWork(Future<T> future, String what) {
    try {
      return get(future, what);
    } catch (Exception e) {
      throw sneaky(e);
    }
  }

  private void await(CountDownLatch latch, String what) {
    try {
      if (!latch.await(timeout().toMillis(), MILLISECONDS)) {
        throw new AssertionError("waited " + timeout() + " for " + what);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }

  /**
   * A writer that runs {@code writes} in a transaction of the account on another thread and keeps
   * it open until {@link #commit()}; {@link #close()} lets it commit if the test failed first.
   */
  private final class OpenTransaction implements AutoCloseable {
    private final CountDownLatch inside = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final Future<?> done;

    OpenTransaction(AccountId id, Consumer<AccountTransaction> writes) throws Exception {
      AccountWork<Void> work = tx -> {
        writes.accept(tx);
        inside.countDown();
        await(release, "the test to release the open transaction of " + id);
        return null;
      };
      done = pool.submit(() -> store.inAccount(id, work));
      if (!inside.await(timeout().toMillis(), MILLISECONDS)) {
        if (done.isDone()) {
          get(done, "the open transaction");
        }
        throw new AssertionError("the transaction of " + id + " did not start within " + timeout());
      }
    }

    void commit() throws Exception {
      release.countDown();
      get(done, "the released transaction");
    }

    @Override
    public void close() {
      release.countDown();
    }
  }

  // ==================================================================== license grants (issue 16)

  /**
   * License grants, the license policy and the seat ledger: stored as written, in {@link
   * License#ORDER}, unique ids, all or nothing with the transaction.
   */
  @Nested
  class LicenseGrants {

    private License grant(String id, AccountId account, int quantity, Instant start, Instant end) {
      return new License(LicenseId.of(id), account, quantity, start, end, "order 4711 — Zürich 北京 😀",
          "operator:ops", clock.instant(), false);
    }

    private boolean insert(AccountId account, License l) {
      return store.inAccount(account, tx -> tx.insertLicense(l));
    }

    @Test
    void grantsReadBackAsWrittenInStartOrderWithHistory() {
      createAccount(ACME, 0);
      Instant t = clock.instant().plusNanos(123_456_789);
      License later = grant("lic_00000002", ACME, 5, t.plus(Duration.ofDays(30)), t.plus(Duration.ofDays(395)));
      License open = new License(LicenseId.of("lic_00000001"), ACME, 10, t, null, "", "operator:ops", t, false);
      License ended = grant("lic_00000003", ACME, 1_000_000, t.minus(Duration.ofDays(9)), t.minus(Duration.ofDays(1)))
          .withEndApplied();
      assertThat(insert(ACME, later)).isTrue();
      assertThat(insert(ACME, open)).isTrue();
      assertThat(insert(ACME, ended)).isTrue();

      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).containsExactly(ended, open, later);
      assertThat(store.readAccount(GLOBEX, AccountTransaction::licenses)).isEmpty();
    }

    @Test
    void aTakenGrantIdIsRefusedInEveryAccountAndChangesNothing() {
      createAccount(ACME, 0);
      createAccount(GLOBEX, 0);
      Instant t = clock.instant();
      License first = grant("lic_00000001", ACME, 3, t, null);
      assertThat(insert(ACME, first)).isTrue();
      assertThat(insert(ACME, grant("lic_00000001", ACME, 4, t, null))).isFalse();
      assertThat(insert(GLOBEX, grant("lic_00000001", GLOBEX, 4, t, null))).isFalse();
      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).containsExactly(first);
      assertThat(store.readAccount(GLOBEX, AccountTransaction::licenses)).isEmpty();
    }

    @Test
    void anUpdateChangesTheEndAndWhetherItWasAppliedAndRollsBackWithItsTransaction() {
      createAccount(ACME, 0);
      Instant t = clock.instant();
      License g = grant("lic_00000001", ACME, 3, t, t.plus(Duration.ofDays(10)));
      insert(ACME, g);
      License ended = g.withEnd(t.plusSeconds(1)).withEndApplied();
      assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
        tx.updateLicense(ended);
        throw new IllegalStateException("boom");
      })).as("the work's own failure passes through after the rollback").hasMessage("boom");
      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).containsExactly(g);
      store.inAccount(ACME, tx -> {
        tx.updateLicense(ended);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).containsExactly(ended);
      License reopened = ended.withEnd(null);
      store.inAccount(ACME, tx -> {
        tx.updateLicense(reopened);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).containsExactly(reopened);
      assertThat(reopened.endApplied()).isFalse();
    }

    @Test
    void theLicensePolicyIsTheDefaultUntilWrittenThenAsLastWritten() {
      createAccount(ACME, 0);
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy)).isEqualTo(LicensePolicy.DEFAULT);
      LicensePolicy limited = LicensePolicy.DEFAULT.onExpiry(OverLimitStrategy.SUSPEND_NEWEST)
          .limitReassignments(3, Duration.ofDays(30).plusNanos(7));
      store.inAccount(ACME, tx -> {
        tx.putLicensePolicy(limited);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy)).isEqualTo(limited);
      assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
        tx.putLicensePolicy(LicensePolicy.DEFAULT);
        throw new IllegalStateException("boom");
      })).as("the work's own failure passes through after the rollback").hasMessage("boom");
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy)).isEqualTo(limited);
      store.inAccount(ACME, tx -> {
        tx.putLicensePolicy(limited.unlimitedReassignments());
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy))
          .isEqualTo(limited.unlimitedReassignments());
    }

    @Test
    void theSeatLedgerIsEmptyUntilWrittenThenReplacedWholeAndKeptApartFromThePolicy() {
      createAccount(ACME, 0);
      createAccount(GLOBEX, 0);
      assertThat(store.readAccount(ACME, AccountTransaction::seatLedger)).isEqualTo(SeatLedger.EMPTY);
      Instant t = clock.instant().plusNanos(1);
      SeatLedger three = new SeatLedger(2, List.of(t, t, t.plusSeconds(5)));
      store.inAccount(ACME, tx -> {
        tx.putSeatLedger(three);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::seatLedger)).isEqualTo(three);
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy)).isEqualTo(LicensePolicy.DEFAULT);
      LicensePolicy limited = LicensePolicy.DEFAULT.limitReassignments(5, Duration.ofDays(1));
      store.inAccount(ACME, tx -> {
        tx.putLicensePolicy(limited);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::seatLedger)).as("a policy keeps the ledger")
          .isEqualTo(three);
      SeatLedger one = new SeatLedger(0, List.of(t.plusSeconds(9)));
      store.inAccount(ACME, tx -> {
        tx.putSeatLedger(one);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::seatLedger)).isEqualTo(one);
      assertThat(store.readAccount(ACME, AccountTransaction::licensePolicy)).isEqualTo(limited);
      assertThat(store.readAccount(GLOBEX, AccountTransaction::seatLedger)).isEqualTo(SeatLedger.EMPTY);
    }

    @Test
    void aReadOnlyTransactionRefusesLicenseWrites() {
      createAccount(ACME, 0);
      License g = grant("lic_00000001", ACME, 1, clock.instant(), null);
      List<Consumer<AccountTransaction>> writes = List.of(
          tx -> tx.insertLicense(g),
          tx -> tx.updateLicense(g),
          tx -> tx.putLicensePolicy(LicensePolicy.DEFAULT),
          tx -> tx.putSeatLedger(SeatLedger.EMPTY));
      for (Consumer<AccountTransaction> write : writes) {
        assertThatThrownBy(() -> store.readAccount(ACME, tx -> {
          write.accept(tx);
          return null;
        })).isInstanceOf(UnsupportedOperationException.class);
      }
      assertThat(store.readAccount(ACME, AccountTransaction::licenses)).isEmpty();
    }
  }

  // ==================================================================== the operator's account list

  /** {@link KeyStore#accounts}: every committed account, in id order, with its key count, in pages. */
  /**
   * {@link KeyStore#purgeChanges}, for stores that declare {@link Capability#PURGES_CHANGES}; the
   * others skip these tests by declaration. A store that keeps its own time for feed entries must
   * take it from {@link #clock}.
   */
  @Nested
  class Purging {

    @BeforeEach
    void requirePurge() {
      Declared.require(store, Capability.PURGES_CHANGES, storeName());
    }

    /**
     * Appends one event per instant, each in its own transaction, moving the clock to each and
     * reading the feed after each commit (a store that numbers entries when a reader first sees
     * them numbers each at its instant).
     */
    private List<ChangeEvent> feedAt(Instant... times) {
      for (int i = 0; i < times.length; i++) {
        clock.set(times[i]);
        appendChanges(ACME, event(ACME, i + 1, ChangeEvent.Type.CREATED, hash(i + 1)));
        store.changesSince(0, 100);
      }
      return store.changesSince(0, 100);
    }

    @Test
    void purgeDeletesOnlyEntriesOlderThanTheCutoffAndKeepsEveryYoungerOne() {
      Instant t0 = clock.instant();
      List<ChangeEvent> before = feedAt(t0, t0.plusSeconds(10), t0.plusSeconds(20), t0.plusSeconds(30));
      long latest = store.latestChangeSequence();

      int purged = store.purgeChanges(t0.plusSeconds(15));

      assertThat(purged).as("purgeChanges(cutoff) counts the entries older than the cutoff it deleted")
          .isEqualTo(2);
      assertThat(store.changesSince(0, 100))
          .as("every entry at or after the cutoff stays, unchanged and with its number")
          .containsExactlyElementsOf(before.subList(2, 4));
      assertThat(store.latestChangeSequence()).as("purging never lowers latestChangeSequence()")
          .isEqualTo(latest);
      assertThat(store.purgeChanges(t0.plusSeconds(15))).as("purging again with the same cutoff deletes nothing")
          .isZero();
    }

    @Test
    void anOldEntryNumberedAfterAYoungOneStaysSoTheFeedKeepsNoHole() {
      Instant t0 = clock.instant();
      // the second writer's clock was behind: its entry is older than the first's, numbered after it
      List<ChangeEvent> before = feedAt(t0, t0.plusSeconds(40), t0.plusSeconds(5), t0.plusSeconds(50));

      store.purgeChanges(t0.plusSeconds(30));

      List<ChangeEvent> after = store.changesSince(0, 100);
      assertThat(after).as("only the start of the feed goes: the old entry numbered after a young one stays")
          .containsExactlyElementsOf(before.subList(1, 4));
      assertGapless(after);
    }

    @Test
    void aCaughtUpPollerMissesNothingAfterAPurgeOfTheWholeFeed() {
      Instant t0 = clock.instant();
      List<ChangeEvent> before = feedAt(t0, t0.plusSeconds(1));
      long cursor = store.latestChangeSequence();

      assertThat(store.purgeChanges(t0.plusSeconds(3600))).as("entries deleted when all are old").isEqualTo(2);
      assertThat(store.changesSince(0, 100)).as("the feed after purging every entry").isEmpty();
      assertThat(store.latestChangeSequence()).as("latestChangeSequence() after purging every entry")
          .isEqualTo(cursor);
      clock.set(t0.plusSeconds(3600));
      ChangeEvent next = event(ACME, 9, ChangeEvent.Type.DELETED, hash(9));
      appendChanges(ACME, next);

      assertThat(store.changesSince(cursor, 10)).as("a poller caught up at %d sees the next commit as %d",
          cursor, cursor + 1).extracting(ChangeEvent::sequence).containsExactly(cursor + 1);
      assertThat(store.changesSince(0, 10)).as("a poller behind the purge sees a gap: its first entry is above 1")
          .extracting(ChangeEvent::sequence).containsExactly(before.get(1).sequence() + 1);
    }

    @Test
    void purgingAnEmptyFeedDeletesNothing() {
      assertThat(store.purgeChanges(clock.instant().plusSeconds(3600))).as("entries deleted from an empty feed")
          .isZero();
      assertThat(store.latestChangeSequence()).as("latestChangeSequence() of an empty, purged feed").isZero();
    }
  }

  @Nested
  @SuitePart("accounts(after, limit): the operator's account list")
  class AccountListing {

    @Test
    void listsEveryCommittedAccountInIdOrderWithItsKeyCount() {
      // ids chosen so that String order differs from case-insensitive and from numeric order
      for (String id : List.of("beta", "Zed", "alpha-2", "alpha_1", "alpha10")) {
        createAccount(AccountId.of(id), 3);
      }
      givenKey(1);
      givenKey(2);

      List<AccountSummary> all = store.accounts(null, 100);

      List<String> expected = new ArrayList<>(List.of("beta", "Zed", "alpha-2", "alpha_1", "alpha10", "acme"));
      Collections.sort(expected);
      assertThat(all).extracting(a -> a.account().id().value()).containsExactlyElementsOf(expected);
      assertThat(all).filteredOn(a -> a.account().id().equals(ACME)).singleElement()
          .satisfies(a -> {
            assertThat(a.account()).isEqualTo(account(ACME, 5));
            assertThat(a.keyCount()).isEqualTo(2);
          });
      assertThat(all).filteredOn(a -> !a.account().id().equals(ACME)).extracting(AccountSummary::keyCount)
          .containsOnly(0);
    }

    @Test
    void pagesStartAfterTheCursorAndHoldAtMostTheLimit() {
      List<String> ids = List.of("a1", "a2", "a3", "a4", "a5");
      ids.forEach(id -> createAccount(AccountId.of(id), 1));

      assertThat(store.accounts(null, 2)).extracting(a -> a.account().id().value()).containsExactly("a1", "a2");
      assertThat(store.accounts(AccountId.of("a2"), 2)).extracting(a -> a.account().id().value())
          .containsExactly("a3", "a4");
      assertThat(store.accounts(AccountId.of("a4"), 2)).extracting(a -> a.account().id().value())
          .containsExactly("a5");
      assertThat(store.accounts(AccountId.of("a5"), 2)).isEmpty();
      // the cursor need not be an account that exists
      assertThat(store.accounts(AccountId.of("a2x"), 10)).extracting(a -> a.account().id().value())
          .containsExactly("a3", "a4", "a5");
    }

    @Test
    void anEmptyStoreListsNoAccountAndARolledBackAccountIsNeverListed() {
      assertThat(store.accounts(null, 10)).isEmpty();
      assertThat(catchThrowable(() -> store.inAccount(ACME, tx -> {
        tx.insertAccount(account(ACME, 1));
        throw new IllegalStateException("boom");
      }))).isNotNull();
      assertThat(store.accounts(null, 10)).isEmpty();
      // a refused or read-only transaction on an unknown account leaves nothing to list either
      store.readAccount(GLOBEX, tx -> tx.account());
      store.inAccount(GLOBEX, tx -> tx.account());
      assertThat(store.accounts(null, 10)).isEmpty();
    }

    @Test
    void theClosingTimeIsKeptAndListedAsWritten() {
      createAccount(ACME, 4);
      Instant closedAt = clock.instant().plusNanos(123_456_789);
      Account closed = account(ACME, 4).closed(closedAt);
      store.inAccount(ACME, tx -> {
        tx.updateAccount(closed);
        return null;
      });
      assertThat(store.readAccount(ACME, AccountTransaction::account)).contains(closed);
      assertThat(store.accounts(null, 10)).containsExactly(new AccountSummary(closed, 0));
      assertThat(closed.closedAt()).isEqualTo(closedAt);
      assertThat(closed.contractedLicenses()).isZero();
    }

    @Test
    void theKeyCountFollowsCommittedDeletes() {
      givenKey(1);
      givenKey(2);
      store.inAccount(ACME, tx -> {
        tx.deleteKey(keyId(1));
        return null;
      });
      assertThat(store.accounts(null, 10)).extracting(AccountSummary::keyCount).containsExactly(1);
    }

    @Test
    void aLimitBelowOneIsRefused() {
      assertThatThrownBy(() -> store.accounts(null, 0)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
