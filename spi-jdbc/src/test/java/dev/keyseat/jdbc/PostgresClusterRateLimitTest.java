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

  /** Three nodes; node 0 created the key. Each node's pool can be cut off. */
  private static final class Cluster implements AutoCloseable {
    final MutableClock clock = new MutableClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final List<HikariDataSource> pools = new ArrayList<>();
    final List<FaultyDataSource> faulty = new ArrayList<>();
    final List<Keyseat> nodes = new ArrayList<>();

    Cluster(TestDatabase db) {
      for (int i = 0; i < NODES; i++) {
        HikariDataSource pool = db.newPool("node-" + i, 4);
        FaultyDataSource f = new FaultyDataSource(pool);
        pools.add(pool);
        faulty.add(f);
        nodes.add(Keyseat.builder(JdbcKeyStore.builder(f).build()).clock(clock).build());
      }
    }

    List<CachedKeyValidator> validators(RateLimitMode mode) {
      List<CachedKeyValidator> vs = new ArrayList<>();
      for (Keyseat node : nodes) {
        vs.add(node.validator().scheduler(scheduler).changeNotifications(false).rateLimit(PER_HOUR, HOUR)
            .rateLimitMode(mode).build());
      }
      return vs;
    }

    @Override
    public void close() {
      pools.forEach(HikariDataSource::close);
    }
  }

  @Test
  void inClusterModeThreeNodesAdmitExactlySixRequestsInAllAndEachTellsWhenToRetry() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    try (Cluster cluster = new Cluster(db)) {
      IssuedKey key = keysForDevices(cluster.nodes.get(0).manager(), 1).get(0);
      List<CachedKeyValidator> validators = cluster.validators(RateLimitMode.CLUSTER);
      try {
        List<Verdict> answers = roundRobin(validators, secret(key), 7 * NODES);

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
          assertThat(validators.get(n).validate(secret(key)).status()).as("node %d refuses the 7th and later", n)
              .isEqualTo(Status.RATE_LIMITED);
        }
      } finally {
        validators.forEach(CachedKeyValidator::close);
      }
    }
  }

  @Test
  void inLocalModeEachNodeAdmitsTheFullAllowanceOnItsOwn() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    try (Cluster cluster = new Cluster(db)) {
      IssuedKey key = keysForDevices(cluster.nodes.get(0).manager(), 1).get(0);
      List<CachedKeyValidator> validators = cluster.validators(RateLimitMode.LOCAL);
      try {
        List<Verdict> answers = roundRobin(validators, secret(key), 7 * NODES);

        assertThat(answers).filteredOn(v -> v.status() == Status.VALID).hasSize((int) PER_HOUR * NODES);
        assertThat(answers.subList((int) PER_HOUR * NODES, answers.size()))
            .allMatch(v -> v.status() == Status.RATE_LIMITED);
      } finally {
        validators.forEach(CachedKeyValidator::close);
      }
    }
  }

  @Test
  void inClusterModeANodeThatCannotReachTheDatabaseFailsClosed() {
    TestDatabase db = TestDatabases.postgres();
    db.clear();
    try (Cluster cluster = new Cluster(db)) {
      IssuedKey key = keysForDevices(cluster.nodes.get(0).manager(), 1).get(0);
      List<CachedKeyValidator> validators = cluster.validators(RateLimitMode.CLUSTER);
      try {
        assertThat(validators.get(1).validate(secret(key)).status()).isEqualTo(Status.VALID);
        cluster.faulty.get(1).down(true);

        assertThat(validators.get(1).validate(secret(key)).status()).as("cached key, shared limit unreachable")
            .isEqualTo(Status.UNAVAILABLE);
        assertThat(validators.get(2).validate(secret(key)).status()).as("another node still reaches it")
            .isEqualTo(Status.VALID);
        cluster.faulty.get(1).down(false);
        assertThat(validators.get(1).validate(secret(key)).status()).as("recovered").isEqualTo(Status.VALID);
      } finally {
        validators.forEach(CachedKeyValidator::close);
      }
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

  /** Sends {@code n} requests, request i to node {@code i % NODES}. */
  private static List<Verdict> roundRobin(List<CachedKeyValidator> validators, String secret, int n) {
    List<Verdict> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(validators.get(i % validators.size()).validate(secret));
    }
    return answers;
  }
}
