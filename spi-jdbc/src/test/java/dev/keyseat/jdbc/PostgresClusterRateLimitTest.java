package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.PostgresRevocationTest.keysForDevices;
import static dev.keyseat.jdbc.PostgresRevocationTest.secret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.IssuedKey;
import dev.keyseat.Keyseat;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.RateLimitMode;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One rate limit across the cluster: three nodes (separate pools) on one PostgreSQL database,
 * requests for one key limited to 6 per hour sent round-robin. {@code CLUSTER} admits exactly 6
 * in all, and every node tells the refused ones when to retry; {@code LOCAL} admits 6 per node.
 * With the database down, a {@code CLUSTER} validation fails closed.
 */
@Tag(TestDatabases.POSTGRESQL_TAG)
class PostgresClusterRateLimitTest {
  static final int NODES = 3;
  static final long PER_HOUR = 6;
  static final Duration HOUR = Duration.ofHours(1);

  /**
   * Three nodes on a cleared database, each with its validator in one rate-limit mode; node 0
   * created the key. Each node's pool can be cut off. Closing closes the validators and the pools.
   */
  private static final class Cluster implements AutoCloseable {
    final MutableClock clock = new MutableClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final List<HikariDataSource> pools = new ArrayList<>();
    final List<FaultyDataSource> faulty = new ArrayList<>();
    final List<Keyseat> nodes = new ArrayList<>();
    final List<CachedKeyValidator> validators = new ArrayList<>();
    final String secret;

    Cluster(RateLimitMode mode) {
      TestDatabase db = TestDatabases.postgres();
      db.clear();
      for (int i = 0; i < NODES; i++) {
        HikariDataSource pool = db.newPool("node-" + i, 4);
        FaultyDataSource f = new FaultyDataSource(pool);
        pools.add(pool);
        faulty.add(f);
        nodes.add(Keyseat.builder(JdbcKeyStore.builder(f).build()).clock(clock).build());
      }
      IssuedKey key = keysForDevices(nodes.get(0).manager(), 1).get(0);
      secret = secret(key);
      for (Keyseat node : nodes) {
        validators.add(node.validator().scheduler(scheduler).changeNotifications(false).rateLimit(PER_HOUR, HOUR)
            .rateLimitMode(mode).build());
      }
    }

    /** @return node {@code n}'s verdict on the key */
    Verdict validate(int n) {
      return validators.get(n).validate(secret);
    }

    @Override
    public void close() {
      validators.forEach(CachedKeyValidator::close);
      pools.forEach(HikariDataSource::close);
    }
  }

  @Test
  void inClusterModeThreeNodesAdmitExactlySixRequestsInAllAndEachTellsWhenToRetry() {
    try (Cluster cluster = new Cluster(RateLimitMode.CLUSTER)) {
      List<Verdict> answers = roundRobin(cluster, 7 * NODES);

      assertThat(answers).filteredOn(v -> v.status() == Status.VALID).as("admitted across the cluster")
          .hasSize((int) PER_HOUR);
      assertThat(answers.subList(0, (int) PER_HOUR)).as("the first six, whichever node")
          .allMatch(v -> v.status() == Status.VALID);
      List<Verdict> refused = answers.subList((int) PER_HOUR, answers.size());
      assertThat(refused).allMatch(v -> v.status() == Status.RATE_LIMITED);
      // 6 per hour refill greedily, one every 10 minutes: the wait is up to 10 minutes
      assertThat(refused).allSatisfy(v -> assertThat(v.retryAfter())
          .isGreaterThan(Duration.ofMinutes(9)).isLessThanOrEqualTo(Duration.ofMinutes(10)));
      for (int n = 0; n < NODES; n++) {
        assertThat(cluster.validate(n).status()).as("node %d refuses the 7th and later", n)
            .isEqualTo(Status.RATE_LIMITED);
      }
    }
  }

  @Test
  void inLocalModeEachNodeAdmitsTheFullAllowanceOnItsOwn() {
    try (Cluster cluster = new Cluster(RateLimitMode.LOCAL)) {
      List<Verdict> answers = roundRobin(cluster, 7 * NODES);

      assertThat(answers).filteredOn(v -> v.status() == Status.VALID).hasSize((int) PER_HOUR * NODES);
      assertThat(answers.subList((int) PER_HOUR * NODES, answers.size()))
          .allMatch(v -> v.status() == Status.RATE_LIMITED);
    }
  }

  @Test
  void inClusterModeANodeThatCannotReachTheDatabaseFailsClosed() {
    try (Cluster cluster = new Cluster(RateLimitMode.CLUSTER)) {
      assertThat(cluster.validate(1).status()).isEqualTo(Status.VALID);
      cluster.faulty.get(1).down(true);

      assertThat(cluster.validate(1).status()).as("cached key, shared limit unreachable")
          .isEqualTo(Status.UNAVAILABLE);
      assertThat(cluster.validate(2).status()).as("another node still reaches it").isEqualTo(Status.VALID);
      cluster.faulty.get(1).down(false);
      assertThat(cluster.validate(1).status()).as("recovered").isEqualTo(Status.VALID);
    }
  }

  @Test
  void clusterModeNeedsALimitAndAStoreThatHoldsSharedLimits() {
    TestDatabase h2 = TestDatabases.h2();
    Keyseat single = Keyseat.builder(h2.emptyStore()).build();
    assertThatThrownBy(() -> single.validator().rateLimit(PER_HOUR, HOUR).rateLimitMode(RateLimitMode.CLUSTER)
        .build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("CLUSTER")
        .hasMessageContaining("H2");
    assertThatThrownBy(() -> single.validator().rateLimitMode(RateLimitMode.CLUSTER).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("rateLimit(");
  }

  /** Sends {@code n} requests for the cluster's key, request i to node {@code i % NODES}. */
  private static List<Verdict> roundRobin(Cluster cluster, int n) {
    List<Verdict> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(cluster.validate(i % NODES));
    }
    return answers;
  }
}
