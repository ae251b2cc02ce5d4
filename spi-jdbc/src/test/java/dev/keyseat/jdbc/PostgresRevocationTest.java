package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ALICE;
import static dev.keyseat.jdbc.Fixtures.OPS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.keyseat.AccountId;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * R5/R6 across nodes: two Keyseat instances (separate pools) on one PostgreSQL database. A key
 * deleted, or regenerated, through node A is refused by node B's cached validator at B's first
 * feed poll after the change, and accepted from B's cache until then; 100 revocations of each
 * kind. First with B's poller driven by a {@link ManualScheduler} (the bound, exactly), then with
 * the default real poller every 50 ms (the delay a gateway sees).
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresRevocationTest {
  static final AccountId ACME = AccountId.of("acme");
  static final int REVOCATIONS = 100;
  /** How often B is asked while a revocation is on its way: every 0.1 ms. */
  private static final long POLL_NANOS = 100_000;

  /** Creates the account, {@code n} devices and one key for each, through {@code node}. */
  static List<IssuedKey> keysForDevices(KeyManager node, int n) {
    node.createAccount(OPS, ACME, new NewAccount("Acme Air", UserId.of("alice"), n + 1));
    List<String> serials = IntStream.range(0, n).mapToObj(i -> String.format("AQ-%03d", i)).toList();
    for (String serial : serials) {
      node.associateDevice(ALICE, ACME, new NewDevice(serial, "Monitor " + serial));
    }
    node.associateDevice(ALICE, ACME, new NewDevice("AQ-ROT", "Rotated monitor"));
    return node.createKeys(ALICE, ACME, NewKeys.forDevices(serials));
  }

  static String secret(IssuedKey k) {
    return k.secret().reveal();
  }

  @Test
  void nodeBRefusesAKeyRevokedOnNodeAAtItsFirstPollAfterTheChangeAndNotBefore() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    Duration poll = Duration.ofSeconds(1);
    Duration tick = Duration.ofMillis(1);
    MutableClock clock = new MutableClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    try (TwoNodes nodes = new TwoNodes(db, 4, clock)) {
      KeyManager a = nodes.a.manager();
      List<IssuedKey> keys = keysForDevices(a, REVOCATIONS);
      IssuedKey rotated = a.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-ROT")).get(0);
      CachedKeyValidator b = nodes.b.validator().changeNotifications(false).scheduler(scheduler).feedPollInterval(poll).build();
      try {
        // B polls at build time + k * poll; each round starts right after one of its polls.
        List<Duration> deletions = new ArrayList<>();
        List<Duration> regenerations = new ArrayList<>();
        for (int i = 0; i < REVOCATIONS; i++) {
          // the revocation lands at a different point of B's poll cycle each time: 0, 10, ... 990 ms
          Duration phase = poll.multipliedBy(i).dividedBy(REVOCATIONS);

          IssuedKey k = keys.get(i);
          assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
          scheduler.advance(phase);
          a.deleteKey(ALICE, ACME, k.key().id());
          deletions.add(revokedAtNextPoll(b, secret(k), Status.UNKNOWN, scheduler, poll.minus(phase), tick));

          String old = secret(rotated);
          assertThat(b.validate(old).status()).isEqualTo(Status.VALID);
          scheduler.advance(phase);
          rotated = a.regenerateKey(ALICE, ACME, rotated.key().id());
          regenerations.add(revokedAtNextPoll(b, old, Status.REVOKED, scheduler, poll.minus(phase), tick));
          assertThat(b.validate(secret(rotated)).status()).isEqualTo(Status.VALID);
        }
        assertThat(deletions).allMatch(d -> d.compareTo(poll) <= 0);
        assertThat(regenerations).allMatch(d -> d.compareTo(poll) <= 0);
        assertThat(deletions).contains(poll);
        System.out.printf("revocation across nodes (manual poller, interval %d ms): %d deletions and %d"
                + " regenerations on node A, each still VALID on node B 1 ms before B's next poll and refused"
                + " at it; delay max %.0f ms, median %.0f ms (deletions), max %.0f ms, median %.0f ms (regenerations)%n",
            poll.toMillis(), deletions.size(), regenerations.size(), max(deletions), median(deletions),
            max(regenerations), median(regenerations));
      } finally {
        b.close();
      }
    }
  }

  /**
   * Moves time to 1 ms before B's next poll (the secret must still be VALID from B's cache), then
   * onto the poll (it must be refused with {@code refused}).
   *
   * @return how long after the revocation B refused it
   */
  private static Duration revokedAtNextPoll(CachedKeyValidator b, String secret, Status refused,
      ManualScheduler scheduler, Duration untilPoll, Duration tick) {
    assertThat(b.validate(secret).status()).as("B has not polled yet").isEqualTo(Status.VALID);
    scheduler.advance(untilPoll.minus(tick));
    assertThat(b.validate(secret).status()).as("1 ms before B's poll").isEqualTo(Status.VALID);
    scheduler.advance(tick);
    assertThat(b.validate(secret).status()).as("at B's first poll after the revocation").isEqualTo(refused);
    return untilPoll;
  }

  @Test
  void withARealPollerEvery50MsNodeBRefusesRevokedKeysWithinAboutOneInterval() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    Duration poll = Duration.ofMillis(50);
    try (TwoNodes nodes = new TwoNodes(db, 4, Clock.systemUTC())) {
      KeyManager a = nodes.a.manager();
      List<IssuedKey> keys = keysForDevices(a, REVOCATIONS);
      IssuedKey rotated = a.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-ROT")).get(0);
      try (CachedKeyValidator b = nodes.b.validator().changeNotifications(false).feedPollInterval(poll).build()) {
        List<Duration> deletions = new ArrayList<>();
        List<Duration> regenerations = new ArrayList<>();
        Random random = new Random(4);
        for (int i = 0; i < REVOCATIONS; i++) {
          IssuedKey k = keys.get(i);
          assertThat(b.validate(secret(k)).status()).isEqualTo(Status.VALID);
          // Each round starts just after B's poll saw the previous revocation; a random pause puts
          // this one anywhere in B's poll cycle, as a real revocation would be.
          pause(random.nextInt((int) poll.toMillis()));
          a.deleteKey(ALICE, ACME, k.key().id());
          deletions.add(untilRefused(b, secret(k), Status.UNKNOWN, System.nanoTime(), POLL_NANOS));

          String old = secret(rotated);
          assertThat(b.validate(old).status()).isEqualTo(Status.VALID);
          pause(random.nextInt((int) poll.toMillis()));
          rotated = a.regenerateKey(ALICE, ACME, rotated.key().id());
          regenerations.add(untilRefused(b, old, Status.REVOKED, System.nanoTime(), POLL_NANOS));
          assertThat(b.validate(secret(rotated)).status()).isEqualTo(Status.VALID);
        }
        System.out.printf("revocation across nodes (real poller, interval %d ms): after node A's call returned,"
                + " node B refused %d deleted keys within max %.1f ms, median %.1f ms, and %d regenerated secrets"
                + " within max %.1f ms, median %.1f ms%n",
            poll.toMillis(), deletions.size(), max(deletions), median(deletions), regenerations.size(),
            max(regenerations), median(regenerations));
        // A poll every 50 ms plus the poll's own query: about 25 ms on average, 50 ms at worst. The
        // limits leave room for a loaded build machine and still fail if B did not poll.
        assertThat(median(deletions)).isLessThanOrEqualTo(poll.toMillis());
        assertThat(median(regenerations)).isLessThanOrEqualTo(poll.toMillis());
        assertThat(max(deletions)).isLessThan(1000);
        assertThat(max(regenerations)).isLessThan(1000);
      }
    }
  }

  /**
   * Asks B every {@code pollNanos} until it refuses {@code secret}, for at most 5 s.
   *
   * @return the time from {@code since} to the first refusal
   */
  static Duration untilRefused(CachedKeyValidator b, String secret, Status refused, long since, long pollNanos) {
    long deadline = since + TimeUnit.SECONDS.toNanos(5);
    for (;;) {
      Status s = b.validate(secret).status();
      long now = System.nanoTime();
      if (s != Status.VALID) {
        assertThat(s).isEqualTo(refused);
        return Duration.ofNanos(now - since);
      }
      if (now - deadline > 0) {
        fail("node B still accepts a secret revoked on node A 5 s ago");
      }
      LockSupport.parkNanos(pollNanos);
    }
  }

  /** Parks the test thread for {@code millis} of real time. */
  private static void pause(long millis) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (long left = millis * 1_000_000; left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  /** @return the longest delay in milliseconds */
  static double max(List<Duration> delays) {
    return delays.stream().mapToLong(Duration::toNanos).max().orElseThrow() / 1e6;
  }

  /** @return the median delay (the upper one of an even count) in milliseconds */
  static double median(List<Duration> delays) {
    long[] sorted = delays.stream().mapToLong(Duration::toNanos).sorted().toArray();
    return sorted[sorted.length / 2] / 1e6;
  }
}
