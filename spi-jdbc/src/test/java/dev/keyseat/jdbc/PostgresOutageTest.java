package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ACME;
import static dev.keyseat.jdbc.Fixtures.T0;
import static dev.keyseat.jdbc.Fixtures.account;
import static dev.keyseat.jdbc.Fixtures.device;
import static dev.keyseat.jdbc.Fixtures.hash;
import static dev.keyseat.jdbc.Fixtures.key;
import static dev.keyseat.jdbc.Fixtures.keyId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import dev.keyseat.testkit.TestKeys;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The database stops under a running store: every call fails fast as unavailable, nothing hangs,
 * and the same store (and pool) works again once the database is back. A cached validator serves
 * the keys it holds up to its maximum staleness, then fails closed, and recovers by itself; the
 * management API refuses with {@link StoreUnavailableException} meanwhile.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresOutageTest {

  @Test
  void aStoppedDatabaseMakesEveryCallUnavailableAndTheStoreRecoversAfterRestart() throws Exception {
    try (TestDatabases.RestartablePostgres pg = TestDatabases.restartablePostgres().start();
        HikariDataSource pool = pg.database().newPool("outage-node", 4)) {
      pool.setConnectionTimeout(1000);
      JdbcKeyStore store = JdbcKeyStore.builder(pool).build();
      store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 5)) && tx.insertDevice(device(ACME, "AQ-1"))
          && tx.insertKey(key(1, ACME, "AQ-1")));
      assertThat(store.findKeyByHash(hash("secret-1"))).isPresent();

      pg.stop();
      long start = System.nanoTime();
      List<Runnable> calls = List.of(
          () -> store.findKeyByHash(hash("secret-1")),
          () -> store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-2"))),
          () -> store.readAccount(ACME, tx -> tx.keys()),
          () -> store.changesSince(0, 10),
          () -> store.recordUsage(List.of(new UsageDelta(keyId(1), T0, 1))));
      for (Runnable call : calls) {
        assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining("retry later");
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(millis).as("five calls against a stopped database, in ms").isLessThan(15_000);

      pg.start();
      Optional<StoredKey> found = Optional.empty();
      for (int attempt = 1; attempt <= 3 && found.isEmpty(); attempt++) {
        try {
          found = store.findKeyByHash(hash("secret-1"));
        } catch (StoreUnavailableException brokenPooledConnection) {
          // the pool drops a connection of the old server when it fails; the next one is new
        }
      }
      assertThat(found).contains(key(1, ACME, "AQ-1"));
      boolean inserted = store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-2")));
      assertThat(inserted).isTrue();
      System.out.printf("outage: 5 calls failed as unavailable in %d ms; recovered after restart%n", millis);
    }
  }

  @Test
  void theValidatorServesCachedKeysUntilTheMaximumStalenessThenFailsClosedAndRecoversAfterRestart()
      throws Exception {
    Actor ops = Actor.operator("ops");
    Actor alice = Actor.user("alice");
    AccountId acme = AccountId.of("acme");
    Duration poll = Duration.ofSeconds(1);
    Duration maxStaleness = Duration.ofSeconds(3);
    MutableClock clock = new MutableClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    try (TestDatabases.RestartablePostgres pg = TestDatabases.restartablePostgres().start();
        HikariDataSource pool = pg.database().newPool("outage-validator", 4)) {
      // Hikari's shortest wait for a connection: each call against the stopped server costs 250 ms.
      pool.setConnectionTimeout(250);
      Keyseat node = Keyseat.builder(JdbcKeyStore.builder(pool).build()).clock(clock).build();
      KeyManager keys = node.manager();
      keys.createAccount(ops, acme, new NewAccount("Acme Air", UserId.of("alice"), 5));
      for (String serial : List.of("AQ-1", "AQ-2", "AQ-3")) {
        keys.associateDevice(alice, acme, new NewDevice(serial, "Monitor " + serial));
      }
      List<IssuedKey> issued = keys.createKeys(alice, acme, NewKeys.forDevices("AQ-1", "AQ-2"));
      String cached = issued.get(0).secret().reveal();
      String notCached = issued.get(1).secret().reveal();
      String unknown = TestKeys.wellFormed("ks", new java.util.Random(7));
      try (CachedKeyValidator v = node.validator().scheduler(scheduler).feedPollInterval(poll)
          .maxStaleness(maxStaleness).build()) {
        assertThat(v.validate(cached).status()).isEqualTo(Status.VALID);
        assertThat(v.validate(unknown).status()).isEqualTo(Status.UNKNOWN);

        pg.stop();
        long down = System.nanoTime();
        // Within the staleness bound: what the cache holds is answered; a miss needs the store.
        assertThat(v.validate(cached).status()).isEqualTo(Status.VALID);
        assertThat(v.validate(notCached).status()).as("a miss: the key may exist").isEqualTo(Status.UNAVAILABLE);
        assertThat(v.validate(unknown).status()).as("cached as unknown").isEqualTo(Status.UNKNOWN);
        // The management API refuses, naming the cause, and changes nothing.
        List<Runnable> managementCalls = List.of(
            () -> keys.createKeys(alice, acme, NewKeys.forDevices("AQ-3")),
            () -> keys.deleteKey(alice, acme, issued.get(0).key().id()),
            () -> keys.keys(alice, acme),
            () -> keys.licenseUsage(alice, acme));
        for (Runnable call : managementCalls) {
          assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class)
              .hasMessageContaining("retry later");
        }
        scheduler.advance(maxStaleness);
        assertThat(v.validate(cached).status()).as("three failed polls, at the bound").isEqualTo(Status.VALID);
        clock.advance(Duration.ofMillis(1));
        assertThat(v.validate(cached).status()).as("1 ms past the bound").isEqualTo(Status.UNAVAILABLE);
        assertThat(v.validate(unknown).status()).isEqualTo(Status.UNAVAILABLE);
        scheduler.advance(poll.multipliedBy(2));
        assertThat(v.validate(cached).status()).isEqualTo(Status.UNAVAILABLE);
        long outageMillis = (System.nanoTime() - down) / 1_000_000;

        pg.start();
        int polls = 0;
        while (v.validate(cached).status() != Status.VALID && polls < 4) {
          scheduler.advance(poll);
          polls++;
        }
        assertThat(v.validate(cached).status()).as("recovered after %d polls", polls).isEqualTo(Status.VALID);
        assertThat(v.validate(notCached).status()).isEqualTo(Status.VALID);
        assertThat(v.validate(unknown).status()).isEqualTo(Status.UNKNOWN);
        assertThat(keys.licenseUsage(alice, acme).used()).as("nothing changed while down").isEqualTo(2);
        IssuedKey third = keys.createKeys(alice, acme, NewKeys.forDevices("AQ-3")).get(0);
        assertThat(v.validate(third.secret().reveal()).status()).isEqualTo(Status.VALID);
        keys.deleteKey(alice, acme, issued.get(0).key().id());
        assertThat(v.validate(cached).status()).isEqualTo(Status.UNKNOWN);
        System.out.printf("outage with a cached validator (poll %d s, maximum staleness %d s): cached key VALID up to"
                + " the bound, UNAVAILABLE 1 ms past it; misses UNAVAILABLE; %d management calls refused as"
                + " unavailable; %d ms of real time down; VALID again at poll %d after restart%n",
            poll.toSeconds(), maxStaleness.toSeconds(), managementCalls.size(), outageMillis, polls);
      }
    }
  }
}
