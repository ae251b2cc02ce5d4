package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ACME;
import static dev.keyseat.jdbc.Fixtures.GLOBEX;
import static dev.keyseat.jdbc.Fixtures.T0;
import static dev.keyseat.jdbc.Fixtures.account;
import static dev.keyseat.jdbc.Fixtures.audit;
import static dev.keyseat.jdbc.Fixtures.change;
import static dev.keyseat.jdbc.Fixtures.device;
import static dev.keyseat.jdbc.Fixtures.hash;
import static dev.keyseat.jdbc.Fixtures.key;
import static dev.keyseat.jdbc.Fixtures.keyId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the JDBC store promises beyond testkit's {@code KeyStoreContract} (which {@link
 * DatabaseSuites} runs on each database): text a database cannot keep is refused
 * before it is sent, instants keep their nanoseconds, {@code forEachKey} pages and releases its
 * connection, audit entries are numbered per account from 1 and listed after commit, usage is
 * read per account, and the change feed is purged from its start. Extended once per database by
 * {@link DatabaseSuites}.
 */
abstract class StoreSemanticsTests {
  JdbcKeyStore store;

  abstract TestDatabase database();

  @BeforeEach
  void freshStore() {
    store = database().emptyStore();
  }

  <T> Optional<T> readOne(AccountId id, AccountWork<Optional<T>> work) {
    return store.readAccount(id, work);
  }

  <T> List<T> readAll(AccountId id, AccountWork<List<T>> work) {
    return store.readAccount(id, work);
  }

  boolean write(AccountId id, AccountWork<Boolean> work) {
    return store.inAccount(id, work);
  }

  int readInt(AccountId id, AccountWork<Integer> work) {
    return store.readAccount(id, work);
  }

  KeyUsage usage(AccountId id, KeyId key) {
    return store.readAccount(id, tx -> tx.usage(key));
  }

  void createAccounts() {
    store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 10)));
    store.inAccount(GLOBEX, tx -> tx.insertAccount(account(GLOBEX, 10)));
  }

  void createDevices(Device... devices) {
    for (Device d : devices) {
      assertThat(write(d.accountId(), tx -> tx.insertDevice(d))).isTrue();
    }
  }

  // ------------------------------------------------------------------ text and time

  @Test
  void textNoDatabaseCanKeepIsRefusedBeforeItIsSentAndTheTransactionGoesOn() {
    createAccounts();
    boolean inserted = store.inAccount(ACME, tx -> {
      assertThatThrownBy(() -> tx.insertDevice(new Device("AQ-1", ACME, "nul\u0000inside", "", T0)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("nul"));
      assertThatThrownBy(() -> tx.insertDevice(new Device("AQ-1", ACME, "lone \uD83D surrogate", "", T0)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
      assertThatThrownBy(() -> tx.insertDevice(new Device("AQ-1", ACME, "reversed \uDE00\uD83D", "", T0)))
          .isInstanceOf(IllegalArgumentException.class);
      return tx.insertDevice(new Device("AQ-1", ACME, "paired \uD83D\uDE00 fine", "", T0));
    });
    assertThat(inserted).isTrue();
    assertThat(readOne(ACME, tx -> tx.device("AQ-1"))).map(Device::name).contains("paired \uD83D\uDE00 fine");
  }

  @Test
  void aKeyReadsBackEqualToTheNanosecondWithEveryField() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    StoredKey full = new StoredKey(keyId(1), ACME, "AQ-1", hash("new"), "ks_...abcd", "label 'x'; --",
        T0, T0.plusNanos(999_999_999), Instant.parse("9999-12-31T23:59:59.999999999Z"), true, hash("old"),
        T0.plus(Duration.ofDays(7)).plusNanos(1), new byte[] {0, 1, 2, (byte) 0xff});
    assertThat(write(ACME, tx -> tx.insertKey(full))).isTrue();
    assertThat(readOne(ACME, tx -> tx.key(keyId(1)))).contains(full);
    assertThat(readOne(ACME, tx -> tx.keyForDevice("AQ-1"))).contains(full);
    assertThat(store.findKeyByHash(hash("new"))).contains(full);
    assertThat(store.findKeyByHash(hash("old"))).contains(full);
    assertThat(store.findKeyByHash(hash("other"))).isEmpty();
    assertThat(readOne(GLOBEX, tx -> tx.key(keyId(1)))).isEmpty();
  }

  // ------------------------------------------------------------------ listing keys

  @Test
  void forEachKeyPassesEveryKeyOfEveryAccountOnceAcrossFetchPages() {
    createAccounts();
    int perAccount = 700; // 1,400 keys: more than one fetch page of 1,000
    List<StoredKey> written = new ArrayList<>();
    for (AccountId id : List.of(ACME, GLOBEX)) {
      int base = id.equals(ACME) ? 0 : perAccount;
      store.inAccount(id, tx -> {
        for (int i = 1; i <= perAccount; i++) {
          String serial = id.value() + "-" + i;
          tx.insertDevice(device(id, serial));
          StoredKey k = key(base + i, id, serial);
          if (i == 1) {
            k = new StoredKey(k.id(), id, serial, hash("new-" + id.value()), "h", "", T0, T0, null, false,
                hash("old-" + id.value()), T0.plusSeconds(60), null);
          }
          tx.insertKey(k);
          written.add(k);
        }
        return null;
      });
    }
    List<StoredKey> listed = new ArrayList<>();

    store.forEachKey(listed::add);

    assertThat(listed).hasSize(2 * perAccount).containsExactlyInAnyOrderElementsOf(written);
  }

  @Test
  void forEachKeyPassesTheActionsExceptionThroughAndReleasesItsConnection() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"));
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")) && tx.insertKey(key(2, ACME, "AQ-2")));
    IllegalStateException own = new IllegalStateException("the action's own");
    for (int i = 0; i < 25; i++) { // more than the shared pool's 20 connections
      assertThatThrownBy(() -> store.forEachKey(k -> {
        throw own;
      })).isSameAs(own);
    }
    List<StoredKey> listed = new ArrayList<>();
    store.forEachKey(listed::add);
    assertThat(listed).containsExactlyInAnyOrder(key(1, ACME, "AQ-1"), key(2, ACME, "AQ-2"));
  }

  // ------------------------------------------------------------------ audit

  @Test
  void auditEntriesAreNumberedPerAccountAndPagedNewestFirst() {
    createAccounts();
    store.inAccount(ACME, tx -> {
      tx.appendAudit(audit(ACME, "a1"));
      tx.appendAudit(audit(ACME, "a2"));
      return null;
    });
    store.inAccount(GLOBEX, tx -> {
      tx.appendAudit(audit(GLOBEX, "g1"));
      return null;
    });
    AuditEntry third = new AuditEntry(0, ACME, T0.plusNanos(5), "operator:ops", AuditEntry.Action.CANCEL_LICENSES,
        null, null, AuditEntry.Outcome.REFUSED, "refused: 'quotes' ;-- ünïcödé");
    store.inAccount(ACME, tx -> {
      tx.appendAudit(third);
      return null;
    });
    List<AuditEntry> acme = store.readAccount(ACME, tx -> tx.audit(Long.MAX_VALUE, 10));
    assertThat(acme).extracting(AuditEntry::sequence).containsExactly(3L, 2L, 1L);
    assertThat(acme.get(0)).isEqualTo(third.withSequence(3));
    assertThat(acme.get(2)).isEqualTo(audit(ACME, "a1").withSequence(1));
    assertThat(readAll(ACME, tx -> tx.audit(3, 1))).extracting(AuditEntry::detail).containsExactly("a2");
    assertThat(readAll(ACME, tx -> tx.audit(1, 10))).isEmpty();
    assertThat(readAll(ACME, tx -> tx.audit(Long.MAX_VALUE, 0))).isEmpty();
    assertThatThrownBy(() -> store.readAccount(ACME, tx -> tx.audit(Long.MAX_VALUE, -1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(readAll(GLOBEX, tx -> tx.audit(Long.MAX_VALUE, 10))).containsExactly(
        audit(GLOBEX, "g1").withSequence(1));
  }

  @Test
  void auditEntriesAppendedInATransactionAreListedAfterItCommits() {
    createAccounts();
    List<AuditEntry> during = store.inAccount(ACME, tx -> {
      tx.appendAudit(audit(ACME, "pending"));
      return tx.audit(Long.MAX_VALUE, 10);
    });
    assertThat(during).isEmpty();
    assertThat(readAll(ACME, tx -> tx.audit(Long.MAX_VALUE, 10))).hasSize(1);
  }

  // ------------------------------------------------------------------ purging the change feed

  /** Writes one change with {@code writer} and reads the feed with it, so that it numbers it. */
  private static void appendAndRead(JdbcKeyStore writer, AccountId account, int key) {
    writer.inAccount(account, tx -> {
      tx.appendChange(change(account, key, ChangeEvent.Type.EDITED, hash("k" + key)));
      return null;
    });
    assertThat(writer.changesSince(0, 100)).extracting(ChangeEvent::keyId).contains(keyId(key));
  }

  @Test
  void purgingDropsChangesNumberedLongerAgoThanTheRetentionButNotTheLatestSequence() {
    MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
    JdbcKeyStore purging = database().storeBuilder().clock(clock).changeRetention(Duration.ofHours(1)).build();
    createAccounts();
    appendAndRead(purging, ACME, 1); // the event's own time (T0) is a day old: it does not count
    clock.advance(Duration.ofMinutes(30));
    appendAndRead(purging, ACME, 2);
    clock.advance(Duration.ofMinutes(31));
    assertThat(purging.purgeChanges()).isEqualTo(1);
    assertThat(purging.changesSince(0, 10)).extracting(ChangeEvent::sequence).containsExactly(2L);
    assertThat(purging.latestChangeSequence()).isEqualTo(2);
    clock.advance(Duration.ofMinutes(30));
    assertThat(purging.purgeChanges()).isEqualTo(1);
    assertThat(purging.changesSince(0, 10)).isEmpty();
    assertThat(purging.latestChangeSequence()).isEqualTo(2);
    // numbering goes on after a purge
    appendAndRead(purging, ACME, 3);
    assertThat(purging.changesSince(0, 10)).extracting(ChangeEvent::sequence).containsExactly(3L);
  }

  @Test
  void purgingRemovesOnlyTheStartOfTheFeedSoThatNoHoleOpensWhereClocksDisagree() {
    Instant now = T0.plus(Duration.ofDays(1));
    JdbcKeyStore purging = database().storeBuilder().clock(new MutableClock(now))
        .changeRetention(Duration.ofHours(1)).build();
    JdbcKeyStore slowClock = database().storeBuilder()
        .clock(new MutableClock(now.minus(Duration.ofHours(2)))).build();
    JdbcKeyStore fastClock = database().storeBuilder()
        .clock(new MutableClock(now.minus(Duration.ofMinutes(1)))).build();
    createAccounts();
    // numbered 1 and 2 by a node whose clock is behind; 3 on time; 4 behind; 5 on time
    List<JdbcKeyStore> nodes = List.of(slowClock, slowClock, fastClock, slowClock, fastClock);
    for (int i = 0; i < nodes.size(); i++) {
      appendAndRead(nodes.get(i), ACME, i + 1);
    }

    assertThat(purging.purgeChanges()).isEqualTo(2);

    assertThat(purging.changesSince(0, 10)).extracting(ChangeEvent::sequence).containsExactly(3L, 4L, 5L);
    assertThat(purging.latestChangeSequence()).isEqualTo(5);
  }

  /**
   * The call that writes a change may run longer than the retention (a batch of 1,000 keys, a
   * stalled client): its entry counts its age from when it became readable, so a poller that has
   * caught up still reads it after purges during and after that call.
   */
  @Test
  void purgingNeverDropsAChangeOfALongTransactionBeforeACaughtUpPollerCouldReadIt() throws Exception {
    MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
    JdbcKeyStore purging = database().storeBuilder().clock(clock).changeRetention(Duration.ofHours(1)).build();
    createAccounts();
    CompletableFuture<Void> appended = new CompletableFuture<>();
    CompletableFuture<Void> purgedMeanwhile = new CompletableFuture<>();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    Future<?> slow = executor.submit(() -> purging.inAccount(ACME, tx -> {
      tx.appendChange(new ChangeEvent(0, ChangeEvent.Type.DELETED, ACME, keyId(1), List.of(hash("slow")),
          clock.instant()));
      clock.advance(Duration.ofHours(2)); // the call runs twice as long as the retention
      appended.complete(null);
      try {
        purgedMeanwhile.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    }));
    appended.get(30, TimeUnit.SECONDS);
    appendAndRead(purging, GLOBEX, 2);
    long cursor = purging.latestChangeSequence(); // a poller caught up with every commit so far
    assertThat(cursor).isEqualTo(1);
    assertThat(purging.purgeChanges()).isZero();
    purgedMeanwhile.complete(null);
    slow.get(30, TimeUnit.SECONDS);

    assertThat(purging.purgeChanges()).isZero();
    assertThat(purging.changesSince(cursor, 10)).extracting(ChangeEvent::keyId, ChangeEvent::sequence)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(keyId(1), 2L));
    clock.advance(Duration.ofMinutes(59));
    assertThat(purging.purgeChanges()).isZero();
    clock.advance(Duration.ofMinutes(2));
    assertThat(purging.purgeChanges()).isEqualTo(2);
    executor.shutdown();
  }

  @Test
  void theKeyCountKeptOnTheAccountRowIsTheNumberOfItsKeys() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"), device(ACME, "AQ-3"), device(GLOBEX, "GX-1"));
    int inTx = store.inAccount(ACME, tx -> {
      assertThat(tx.keyCount()).isZero();
      assertThat(tx.insertKey(key(1, ACME, "AQ-1"))).isTrue();
      assertThat(tx.insertKey(key(2, ACME, "AQ-1"))).isFalse(); // the device has a key: not counted
      assertThat(tx.insertKey(key(3, ACME, "AQ-2"))).isTrue();
      return tx.keyCount();
    });
    assertThat(inTx).isEqualTo(2);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.insertKey(key(4, ACME, "AQ-3"));
      throw new IllegalStateException("rolled back");
    })).isInstanceOf(IllegalStateException.class);
    store.inAccount(ACME, tx -> {
      tx.deleteKey(keyId(1));
      tx.deleteKey(keyId(99)); // no such key: nothing to count
      assertThat(tx.keyCount()).isEqualTo(1);
      return tx.insertKey(key(5, ACME, "AQ-3"));
    });
    store.inAccount(GLOBEX, tx -> tx.insertKey(key(6, GLOBEX, "GX-1")));

    assertThat(readInt(ACME, AccountTransaction::keyCount)).isEqualTo(2);
    assertThat(readInt(GLOBEX, AccountTransaction::keyCount)).isEqualTo(1);
    assertThat(store.accounts(null, 10)).extracting(a -> a.keyCount()).containsExactly(2, 1);
    database().assertKeyCountsMatchKeys();
  }
}
