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

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.Member;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SPI semantics of the in-memory reference store, checked on a JDBC database: conditional
 * writes return false and leave the transaction usable, orderings, all-or-nothing, read-only
 * snapshots, per-account audit numbering, the global feed, usage merging. Extended once per
 * database by {@link JdbcKeyStoreTest}.
 */
abstract class StoreSemanticsTests {
  JdbcKeyStore store;
  ExecutorService executor;

  abstract TestDatabase database();

  @BeforeEach
  void freshStore() {
    database().clear();
    store = database().storeBuilder().build();
    executor = Executors.newCachedThreadPool();
  }

  @AfterEach
  void stopThreads() {
    executor.shutdownNow();
  }

  <T> Optional<T> readOne(AccountId id, AccountWork<Optional<T>> work) {
    return store.readAccount(id, work);
  }

  <T> List<T> readAll(AccountId id, AccountWork<List<T>> work) {
    return store.readAccount(id, work);
  }

  int readInt(AccountId id, AccountWork<Integer> work) {
    return store.readAccount(id, work);
  }

  KeyUsage readUsage(AccountId id, AccountWork<KeyUsage> work) {
    return store.readAccount(id, work);
  }

  boolean write(AccountId id, AccountWork<Boolean> work) {
    return store.inAccount(id, work);
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

  // ------------------------------------------------------------------ accounts

  @Test
  void anAccountIsAbsentUntilInsertedAndCanBeInsertedOnce() {
    assertThat(readOne(ACME, AccountTransaction::account)).isEmpty();
    assertThat(write(ACME, tx -> tx.insertAccount(account(ACME, 3)))).isTrue();
    assertThat(write(ACME, tx -> tx.insertAccount(account(ACME, 5)))).isFalse();
    assertThat(readOne(ACME, AccountTransaction::account)).contains(account(ACME, 3));
  }

  @Test
  void anAccountInsertedInTheTransactionIsSeenByItAndCanBeUpdated() {
    Account updated = store.inAccount(ACME, tx -> {
      assertThat(tx.insertAccount(account(ACME, 3))).isTrue();
      assertThat(tx.account()).contains(account(ACME, 3));
      assertThat(tx.insertAccount(account(ACME, 4))).isFalse();
      tx.updateAccount(account(ACME, 3).withContractedLicenses(7));
      return tx.account().orElseThrow();
    });
    assertThat(updated.contractedLicenses()).isEqualTo(7);
    assertThat(readOne(ACME, AccountTransaction::account)).contains(updated);
  }

  @Test
  void updatingOrWritingIntoAMissingAccountIsAnError() {
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.updateAccount(account(ACME, 1));
      return null;
    })).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-1"))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.appendAudit(audit(ACME, "x"));
      return null;
    })).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void writingAnotherAccountsRowsIsRefused() {
    createAccounts();
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> tx.insertAccount(account(GLOBEX, 1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> tx.insertDevice(device(GLOBEX, "AQ-1"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.putMember(new Member(GLOBEX, UserId.of("bob"), Role.ADMIN));
      return null;
    })).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concurrentCreatorsOfOneAccountGetExactlyOneInsert() throws Exception {
    int threads = 8;
    List<Future<Boolean>> results = new ArrayList<>();
    CompletableFuture<Void> go = new CompletableFuture<>();
    for (int i = 0; i < threads; i++) {
      int licenses = i;
      results.add(executor.submit(() -> {
        go.get(10, TimeUnit.SECONDS);
        return store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, licenses)));
      }));
    }
    go.complete(null);
    int inserted = 0;
    for (Future<Boolean> f : results) {
      inserted += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
    }
    assertThat(inserted).isEqualTo(1);
    assertThat(readOne(ACME, AccountTransaction::account)).isPresent();
  }

  @Test
  void writersOfOneAccountAreSerialized() throws Exception {
    store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 0)));
    int threads = 6;
    int increments = 25;
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(executor.submit(() -> {
        for (int i = 0; i < increments; i++) {
          store.inAccount(ACME, tx -> {
            Account a = tx.account().orElseThrow();
            tx.updateAccount(a.withContractedLicenses(a.contractedLicenses() + 1));
            return null;
          });
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(readInt(ACME, tx -> tx.account().orElseThrow().contractedLicenses()))
        .isEqualTo(threads * increments);
  }

  // ------------------------------------------------------------------ members

  @Test
  void membersAreOrderedByUserIdAndPutReplacesARole() {
    createAccounts();
    store.inAccount(ACME, tx -> {
      tx.putMember(new Member(ACME, UserId.of("carol"), Role.VIEWER));
      tx.putMember(new Member(ACME, UserId.of("Zed"), Role.MANAGER));
      tx.putMember(new Member(ACME, UserId.of("alice"), Role.ADMIN));
      tx.putMember(new Member(ACME, UserId.of("carol"), Role.MANAGER));
      return null;
    });
    assertThat(readAll(ACME, AccountTransaction::members)).containsExactly(
        new Member(ACME, UserId.of("Zed"), Role.MANAGER),
        new Member(ACME, UserId.of("alice"), Role.ADMIN),
        new Member(ACME, UserId.of("carol"), Role.MANAGER));
    assertThat(readAll(GLOBEX, AccountTransaction::members)).isEmpty();
    store.inAccount(ACME, tx -> {
      tx.removeMember(UserId.of("carol"));
      tx.removeMember(UserId.of("nobody"));
      return null;
    });
    assertThat(readOne(ACME, tx -> tx.member(UserId.of("carol")))).isEmpty();
    assertThat(readOne(ACME, tx -> tx.member(UserId.of("alice"))))
        .contains(new Member(ACME, UserId.of("alice"), Role.ADMIN));
  }

  // ------------------------------------------------------------------ devices

  @Test
  void devicesAreOrderedBySerialAndASerialIsUniquePlatformWide() {
    createAccounts();
    createDevices(device(ACME, "AQ-2"), device(ACME, "AQ-10"), device(ACME, "AQ-1"));
    assertThat(readAll(ACME, AccountTransaction::devices)).extracting(Device::serial)
        .containsExactly("AQ-1", "AQ-10", "AQ-2");
    assertThat(write(ACME, tx -> tx.insertDevice(device(ACME, "AQ-1")))).isFalse();
    assertThat(write(GLOBEX, tx -> tx.insertDevice(device(GLOBEX, "AQ-1")))).isFalse();
    assertThat(readOne(GLOBEX, tx -> tx.device("AQ-1"))).isEmpty();
    assertThat(readOne(ACME, tx -> tx.device("AQ-1"))).contains(device(ACME, "AQ-1"));
  }

  @Test
  void aRefusedDeviceInsertLeavesTheTransactionUsable() {
    createAccounts();
    createDevices(device(GLOBEX, "AQ-1"));
    store.inAccount(ACME, tx -> {
      assertThat(tx.insertDevice(device(ACME, "AQ-1"))).isFalse();
      assertThat(tx.insertDevice(device(ACME, "AQ-2"))).isTrue();
      tx.appendAudit(audit(ACME, "after a refused insert"));
      return null;
    });
    assertThat(readAll(ACME, AccountTransaction::devices)).extracting(Device::serial).containsExactly("AQ-2");
    assertThat(readAll(ACME, tx -> tx.audit(Long.MAX_VALUE, 10))).hasSize(1);
  }

  @Test
  void updatingAndDeletingDevices() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    Device renamed = device(ACME, "AQ-1").withName("Lobby");
    store.inAccount(ACME, tx -> {
      tx.updateDevice(renamed);
      return null;
    });
    assertThat(readOne(ACME, tx -> tx.device("AQ-1"))).contains(renamed);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.updateDevice(device(ACME, "AQ-9"));
      return null;
    })).isInstanceOf(IllegalStateException.class);
    store.inAccount(ACME, tx -> {
      tx.deleteDevice("AQ-1");
      tx.deleteDevice("AQ-9");
      return null;
    });
    assertThat(readAll(ACME, AccountTransaction::devices)).isEmpty();
    // the serial is free again, for any account
    createDevices(device(GLOBEX, "AQ-1"));
  }

  @Test
  void aDeviceWithAKeyCannotBeDeleted() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")));
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.deleteDevice("AQ-1");
      return null;
    })).isInstanceOf(IllegalStateException.class).hasMessageContaining("AQ-1");
    assertThat(readAll(ACME, AccountTransaction::devices)).hasSize(1);
  }

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

  // ------------------------------------------------------------------ keys

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

  @Test
  void keysAreOrderedByCreationTimeThenId() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"), device(ACME, "AQ-3"));
    StoredKey late = key(1, ACME, "AQ-1");
    StoredKey sameTimeB = new StoredKey(keyId(3), ACME, "AQ-2", hash("b"), "h", "", T0, null, null, false, null,
        null, null);
    StoredKey sameTimeA = new StoredKey(keyId(2), ACME, "AQ-3", hash("a"), "h", "", T0, null, null, false, null,
        null, null);
    store.inAccount(ACME, tx -> tx.insertKey(late) && tx.insertKey(sameTimeB) && tx.insertKey(sameTimeA));
    assertThat(readAll(ACME, AccountTransaction::keys)).containsExactly(sameTimeA, sameTimeB, late);
    assertThat(readInt(ACME, AccountTransaction::keyCount)).isEqualTo(3);
    assertThat(readInt(GLOBEX, AccountTransaction::keyCount)).isZero();
  }

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

  @Test
  void insertKeyReturnsFalseWhenAnIdHashOrDeviceSlotIsTakenAndTheTransactionGoesOn() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"), device(ACME, "AQ-3"), device(GLOBEX, "GX-1"));
    StoredKey regenerated = key(1, ACME, "AQ-1").regenerated(hash("current"), "h", null, T0, T0.plusSeconds(60));
    store.inAccount(ACME, tx -> tx.insertKey(regenerated));
    boolean last = store.inAccount(ACME, tx -> {
      StoredKey base = key(2, ACME, "AQ-2");
      assertThat(tx.insertKey(new StoredKey(keyId(1), ACME, "AQ-2", hash("fresh"), "h", "", T0, null, null,
          false, null, null, null))).as("id taken").isFalse();
      assertThat(tx.insertKey(new StoredKey(keyId(2), ACME, "AQ-2", hash("current"), "h", "", T0, null, null,
          false, null, null, null))).as("hash taken").isFalse();
      assertThat(tx.insertKey(new StoredKey(keyId(2), ACME, "AQ-2", hash("secret-1"), "h", "", T0, null, null,
          false, null, null, null))).as("hash taken as a previous hash").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "AQ-1"))).as("device has a key").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "GX-1"))).as("another account's device").isFalse();
      assertThat(tx.insertKey(key(2, ACME, "NOPE"))).as("unknown device").isFalse();
      assertThat(tx.keyCount()).isEqualTo(1);
      return tx.insertKey(base);
    });
    assertThat(last).isTrue();
    assertThat(readInt(ACME, AccountTransaction::keyCount)).isEqualTo(2);
    // a key of another account holds the hash platform-wide
    assertThat(write(GLOBEX, tx -> tx.insertKey(new StoredKey(keyId(9), GLOBEX, "GX-1", hash("secret-2"),
        "h", "", T0, null, null, false, null, null, null)))).isFalse();
  }

  @Test
  void updateKeyReplacesTheKeyAndReturnsFalseWhenAHashOrDeviceIsTaken() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"), device(ACME, "AQ-3"), device(GLOBEX, "GX-1"));
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")) && tx.insertKey(key(2, ACME, "AQ-2")));
    store.inAccount(GLOBEX, tx -> tx.insertKey(key(3, GLOBEX, "GX-1")));
    StoredKey one = key(1, ACME, "AQ-1");
    StoredKey result = store.inAccount(ACME, tx -> {
      assertThat(tx.updateKey(one.withDevice("AQ-2"))).as("device has another key").isFalse();
      assertThat(tx.updateKey(one.withDevice("GX-1"))).as("another account's device").isFalse();
      assertThat(tx.updateKey(one.regenerated(hash("secret-3"), "h", null, T0, T0))).as("hash of another account")
          .isFalse();
      assertThat(tx.updateKey(one.regenerated(hash("secret-2"), "h", null, T0, T0))).as("hash of another key")
          .isFalse();
      StoredKey moved = one.withDevice("AQ-3").withLabel("moved").withSuspended(true)
          .regenerated(hash("fresh"), "h2", new byte[] {7}, T0.plusSeconds(5), T0.plusSeconds(65));
      assertThat(tx.updateKey(moved)).isTrue();
      assertThat(tx.key(one.id())).contains(moved);
      return moved;
    });
    assertThat(readOne(ACME, tx -> tx.keyForDevice("AQ-3"))).contains(result);
    assertThat(readOne(ACME, tx -> tx.keyForDevice("AQ-1"))).isEmpty();
    assertThat(store.findKeyByHash(hash("secret-1"))).contains(result);
    assertThat(store.findKeyByHash(hash("fresh"))).contains(result);
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> tx.updateKey(key(7, ACME, "AQ-1"))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.inAccount(GLOBEX, tx -> tx.updateKey(key(1, GLOBEX, "GX-1"))))
        .as("a key of another account").isInstanceOf(IllegalStateException.class);
  }

  @Test
  void deletingAKeyRemovesItsHashesAndUsage() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")));
    store.recordUsage(List.of(new UsageDelta(keyId(1), T0, 3)));
    store.inAccount(ACME, tx -> {
      tx.deleteKey(keyId(1));
      tx.deleteKey(keyId(2));
      return null;
    });
    assertThat(store.findKeyByHash(hash("secret-1"))).isEmpty();
    assertThat(readUsage(ACME, tx -> tx.usage(keyId(1)))).isEqualTo(KeyUsage.NONE);
    // a new key with the same id starts without usage
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")));
    assertThat(readUsage(ACME, tx -> tx.usage(keyId(1)))).isEqualTo(KeyUsage.NONE);
  }

  // ------------------------------------------------------------------ usage

  @Test
  void usageKeepsTheLatestTimeAndSumsCountsAndIgnoresUnknownKeys() {
    createAccounts();
    createDevices(device(ACME, "AQ-1"), device(ACME, "AQ-2"));
    store.inAccount(ACME, tx -> tx.insertKey(key(1, ACME, "AQ-1")) && tx.insertKey(key(2, ACME, "AQ-2")));
    store.recordUsage(List.of());
    store.recordUsage(List.of(new UsageDelta(keyId(1), T0.plusSeconds(10), 2),
        new UsageDelta(keyId(99), T0.plusSeconds(99), 1),
        new UsageDelta(keyId(1), T0.plusSeconds(5), 3)));
    store.recordUsage(List.of(new UsageDelta(keyId(1), T0.plusSeconds(7), 1)));
    assertThat(readUsage(ACME, tx -> tx.usage(keyId(1)))).isEqualTo(new KeyUsage(T0.plusSeconds(10), 6));
    assertThat(readUsage(ACME, tx -> tx.usage(keyId(2)))).isEqualTo(KeyUsage.NONE);
    assertThat(readUsage(GLOBEX, tx -> tx.usage(keyId(1)))).as("another account's view").isEqualTo(KeyUsage.NONE);
    // editing a key keeps its usage
    store.inAccount(ACME, tx -> tx.updateKey(key(1, ACME, "AQ-1").withLabel("edited")));
    assertThat(readUsage(ACME, tx -> tx.usage(keyId(1)))).isEqualTo(new KeyUsage(T0.plusSeconds(10), 6));
  }

  // ------------------------------------------------------------------ all or nothing, read-only

  @Test
  void aFailingWorkLeavesNoTraceAndItsExceptionPassesThrough() {
    store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 5)));
    long feedBefore = store.latestChangeSequence();
    RuntimeException boom = new IllegalStateException("boom");
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.updateAccount(account(ACME, 9));
      tx.putMember(new Member(ACME, UserId.of("alice"), Role.ADMIN));
      tx.insertDevice(device(ACME, "AQ-1"));
      tx.insertKey(key(1, ACME, "AQ-1"));
      tx.appendAudit(audit(ACME, "never"));
      tx.appendChange(change(ACME, 1, ChangeEvent.Type.CREATED, hash("secret-1")));
      throw boom;
    })).isSameAs(boom);
    assertThatThrownBy(() -> store.inAccount(GLOBEX, tx -> {
      tx.insertAccount(account(GLOBEX, 1));
      throw new AssertionError("an Error too");
    })).isInstanceOf(AssertionError.class);
    store.readAccount(ACME, tx -> {
      assertThat(tx.account()).contains(account(ACME, 5));
      assertThat(tx.members()).isEmpty();
      assertThat(tx.devices()).isEmpty();
      assertThat(tx.keys()).isEmpty();
      assertThat(tx.audit(Long.MAX_VALUE, 10)).isEmpty();
      return null;
    });
    assertThat(readOne(GLOBEX, AccountTransaction::account)).isEmpty();
    assertThat(store.latestChangeSequence()).isEqualTo(feedBefore);
    assertThat(store.changesSince(0, 10)).isEmpty();
  }

  @Test
  void aTransactionCannotBeUsedAfterItsWork() {
    createAccounts();
    AccountTransaction escaped = store.inAccount(ACME, tx -> tx);
    assertThatThrownBy(escaped::account).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> escaped.insertDevice(device(ACME, "AQ-1"))).isInstanceOf(IllegalStateException.class);
    AccountTransaction read = store.readAccount(ACME, tx -> tx);
    assertThatThrownBy(read::keys).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aReadOnlyTransactionRefusesEveryWrite() {
    createAccounts();
    AtomicReference<Integer> refused = new AtomicReference<>(0);
    store.readAccount(ACME, tx -> {
      List<Runnable> all = List.of(
          () -> tx.insertAccount(account(ACME, 1)),
          () -> tx.updateAccount(account(ACME, 1)),
          () -> tx.putMember(new Member(ACME, UserId.of("a"), Role.ADMIN)),
          () -> tx.removeMember(UserId.of("a")),
          () -> tx.insertDevice(device(ACME, "AQ-1")),
          () -> tx.updateDevice(device(ACME, "AQ-1")),
          () -> tx.deleteDevice("AQ-1"),
          () -> tx.insertKey(key(1, ACME, "AQ-1")),
          () -> tx.updateKey(key(1, ACME, "AQ-1")),
          () -> tx.deleteKey(keyId(1)),
          () -> tx.appendAudit(audit(ACME, "x")),
          () -> tx.appendChange(change(ACME, 1, ChangeEvent.Type.DELETED, hash("x"))));
      for (Runnable w : all) {
        assertThatThrownBy(w::run).isInstanceOf(UnsupportedOperationException.class);
        refused.set(refused.get() + 1);
      }
      // reads still work after the refusals
      assertThat(tx.account()).isPresent();
      assertThat(tx.devices()).isEmpty();
      return null;
    });
    assertThat(refused.get()).isEqualTo(12);
  }

  @Test
  void aReadSeesOneSnapshotEvenWhenAWriterCommitsMeanwhile() throws Exception {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    List<Integer> seen = store.readAccount(ACME, tx -> {
      int before = tx.devices().size();
      Future<Boolean> writer = executor.submit(() -> store.inAccount(ACME, w -> w.insertDevice(device(ACME, "AQ-2"))));
      try {
        assertThat(writer.get(30, TimeUnit.SECONDS)).as("the writer does not wait for readers").isTrue();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return List.of(before, tx.devices().size(), tx.device("AQ-2").isPresent() ? 1 : 0);
    });
    assertThat(seen).containsExactly(1, 1, 0);
    assertThat(readAll(ACME, AccountTransaction::devices)).hasSize(2);
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

  // ------------------------------------------------------------------ change feed

  @Test
  void theFeedIsNumberedAcrossAccountsInCommitOrderAndPagesForward() {
    createAccounts();
    assertThat(store.latestChangeSequence()).isZero();
    store.inAccount(ACME, tx -> {
      tx.appendChange(change(ACME, 1, ChangeEvent.Type.CREATED, hash("a")));
      tx.appendChange(change(ACME, 2, ChangeEvent.Type.REGENERATED, hash("b"), hash("c"), hash("d")));
      return null;
    });
    store.inAccount(GLOBEX, tx -> {
      tx.appendChange(change(GLOBEX, 3, ChangeEvent.Type.DELETED, hash("e")));
      return null;
    });
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.appendChange(change(ACME, 4, ChangeEvent.Type.SUSPENDED, hash("f")));
      throw new IllegalStateException("rolled back");
    })).isInstanceOf(IllegalStateException.class);
    store.inAccount(ACME, tx -> {
      tx.appendChange(change(ACME, 5, ChangeEvent.Type.RESUMED, hash("g")));
      return null;
    });
    List<ChangeEvent> all = store.changesSince(0, 100);
    assertThat(all).containsExactly(
        change(ACME, 1, ChangeEvent.Type.CREATED, hash("a")).withSequence(1),
        change(ACME, 2, ChangeEvent.Type.REGENERATED, hash("b"), hash("c"), hash("d")).withSequence(2),
        change(GLOBEX, 3, ChangeEvent.Type.DELETED, hash("e")).withSequence(3),
        change(ACME, 5, ChangeEvent.Type.RESUMED, hash("g")).withSequence(4));
    assertThat(store.latestChangeSequence()).isEqualTo(4);
    assertThat(store.changesSince(1, 2)).extracting(ChangeEvent::sequence).containsExactly(2L, 3L);
    assertThat(store.changesSince(-5, 1)).extracting(ChangeEvent::sequence).containsExactly(1L);
    assertThat(store.changesSince(4, 10)).isEmpty();
    assertThatThrownBy(() -> store.changesSince(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aChangeMayBeAppendedBeforeTheAccountExists() {
    store.inAccount(ACME, tx -> {
      tx.appendChange(change(ACME, 1, ChangeEvent.Type.DELETED, hash("a")));
      return null;
    });
    assertThat(store.changesSince(0, 10)).hasSize(1);
  }

  @Test
  void theFeedIsInCommitOrderEvenWhenAnEarlierTransactionCommitsLater() throws Exception {
    createAccounts();
    CompletableFuture<Void> slowHasAppended = new CompletableFuture<>();
    CompletableFuture<Void> fastHasCommitted = new CompletableFuture<>();
    Future<?> slow = executor.submit(() -> store.inAccount(ACME, tx -> {
      tx.appendChange(change(ACME, 1, ChangeEvent.Type.CREATED, hash("slow")));
      slowHasAppended.complete(null);
      try {
        fastHasCommitted.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    }));
    slowHasAppended.get(30, TimeUnit.SECONDS);
    store.inAccount(GLOBEX, tx -> {
      tx.appendChange(change(GLOBEX, 2, ChangeEvent.Type.CREATED, hash("fast")));
      return null;
    });
    // a poller that reads now sees the fast one as number 1 ...
    assertThat(store.changesSince(0, 10)).extracting(ChangeEvent::keyId).containsExactly(keyId(2));
    fastHasCommitted.complete(null);
    slow.get(30, TimeUnit.SECONDS);
    // ... and then the slow one after it, so that its cursor (1) misses nothing
    assertThat(store.changesSince(1, 10)).extracting(ChangeEvent::keyId, ChangeEvent::sequence)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(keyId(1), 2L));
  }

  @Test
  void aPollerFollowingConcurrentWritersSeesEveryChangeOnceAndInOrder() throws Exception {
    int writers = 6;
    int transactionsEach = 40;
    for (int w = 0; w < writers; w++) {
      AccountId id = AccountId.of("w" + w);
      store.inAccount(id, tx -> tx.insertAccount(account(id, 1)));
    }
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      AccountId id = AccountId.of("w" + w);
      int writer = w;
      running.add(executor.submit(() -> {
        for (int t = 0; t < transactionsEach; t++) {
          int n = 1 + (t % 3);
          int txNo = t;
          store.inAccount(id, tx -> {
            for (int i = 0; i < n; i++) {
              tx.appendChange(change(id, writer * 10_000 + txNo * 10 + i, ChangeEvent.Type.EDITED, hash(writer + "/" + txNo + "/" + i)));
            }
            return null;
          });
        }
        return null;
      }));
    }
    int expected = 0;
    for (int t = 0; t < transactionsEach; t++) {
      expected += writers * (1 + t % 3);
    }
    long cursor = 0;
    List<ChangeEvent> polled = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (cursor < expected && System.nanoTime() < deadline) {
      for (ChangeEvent e : store.changesSince(cursor, 7)) {
        assertThat(e.sequence()).as("no gap after %d", cursor).isEqualTo(cursor + 1);
        cursor = e.sequence();
        polled.add(e);
      }
    }
    for (Future<?> f : running) {
      f.get(60, TimeUnit.SECONDS);
    }
    assertThat(polled).hasSize(expected);
    assertThat(polled).isEqualTo(store.changesSince(0, expected + 1));
    assertThat(store.latestChangeSequence()).isEqualTo(expected);
  }

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
    dev.keyseat.testkit.MutableClock clock = new dev.keyseat.testkit.MutableClock(T0.plus(Duration.ofDays(1)));
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
    JdbcKeyStore purging = database().storeBuilder().clock(new dev.keyseat.testkit.MutableClock(now))
        .changeRetention(Duration.ofHours(1)).build();
    JdbcKeyStore slowClock = database().storeBuilder()
        .clock(new dev.keyseat.testkit.MutableClock(now.minus(Duration.ofHours(2)))).build();
    JdbcKeyStore fastClock = database().storeBuilder()
        .clock(new dev.keyseat.testkit.MutableClock(now.minus(Duration.ofMinutes(1)))).build();
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
    dev.keyseat.testkit.MutableClock clock = new dev.keyseat.testkit.MutableClock(T0.plus(Duration.ofDays(1)));
    JdbcKeyStore purging = database().storeBuilder().clock(clock).changeRetention(Duration.ofHours(1)).build();
    createAccounts();
    CompletableFuture<Void> appended = new CompletableFuture<>();
    CompletableFuture<Void> purgedMeanwhile = new CompletableFuture<>();
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

  @Test
  void findKeyByHashSeesOnlyCommittedKeys() throws Exception {
    createAccounts();
    createDevices(device(ACME, "AQ-1"));
    Optional<StoredKey> during = store.inAccount(ACME, tx -> {
      tx.insertKey(key(1, ACME, "AQ-1"));
      try {
        return executor.submit(() -> store.findKeyByHash(hash("secret-1"))).get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(during).isEmpty();
    assertThat(store.findKeyByHash(hash("secret-1"))).contains(key(1, ACME, "AQ-1"));
    KeyHash unknown = hash("unknown");
    assertThat(store.findKeyByHash(unknown)).isEmpty();
  }
}
