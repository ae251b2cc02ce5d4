package dev.keyseat.examples.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.RateLimitMode;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.SQLException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Keyseat on a cluster, in one process: an embedded PostgreSQL, a management node and two
 * gateway nodes, each with its own pool and store as separate JVMs would have. It narrates a key
 * created on the management node working on both gateways, its deletion refused by both within
 * milliseconds (push), one rate limit shared by both gateways, and a gateway cut off from the
 * database failing closed after its maximum staleness and recovering by itself.
 *
 * <pre>
 * mvn -B -q compile exec:java -pl examples -am -Dexec.mainClass=dev.keyseat.examples.cluster.ClusterDemo
 * </pre>
 */
public final class ClusterDemo {
  private static final Actor OPS = Actor.operator("ops");
  private static final Actor ALICE = Actor.user("alice");
  private static final AccountId ACME = AccountId.of("acme");
  private static final Duration MAX_STALENESS = Duration.ofSeconds(2);
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final long PER_HOUR = 6;

  private ClusterDemo() {}

  /**
   * Runs the story and exits.
   *
   * @param args none
   * @throws Exception if the embedded PostgreSQL cannot start
   */
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      System.out.printf("0. Embedded PostgreSQL on 127.0.0.1:%d, started in %d ms%n", pg.getPort(), millisSince(start));
      String url = pg.getJdbcUrl("postgres", "postgres");
      List<HikariDataSource> pools = new ArrayList<>();
      try {
        HikariDataSource mgmtPool = pool(url, "management", pools);
        JdbcKeyStore mgmtStore = JdbcKeyStore.builder(mgmtPool).createSchemaIfMissing(true).build();
        KeyManager management = Keyseat.builder(mgmtStore).build().manager();
        Cuttable cableB = new Cuttable(pool(url, "gateway-b", pools));
        Keyseat gatewayA = Keyseat.builder(JdbcKeyStore.builder(pool(url, "gateway-a", pools)).build()).build();
        Keyseat gatewayB = Keyseat.builder(JdbcKeyStore.builder(cableB.dataSource())
            .notificationDataSource(pool(url, "gateway-b-listen", pools)).build()).build();
        System.out.println("1. Three nodes, each with its own pool and store: management, gateway A, gateway B");

        try (CachedKeyValidator a = validator(gatewayA, true); CachedKeyValidator b = validator(gatewayB, true);
            CachedKeyValidator aPlain = validator(gatewayA, false);
            CachedKeyValidator bPlain = validator(gatewayB, false)) {
          story(management, a, b, aPlain, bPlain, cableB);
        }
      } finally {
        pools.forEach(HikariDataSource::close);
      }
    }
    System.out.println("8. Done");
  }

  private static void story(KeyManager management, CachedKeyValidator a, CachedKeyValidator b,
      CachedKeyValidator aPlain, CachedKeyValidator bPlain, Cuttable cableB) {
    management.createAccount(OPS, ACME, new NewAccount("Acme Air", UserId.of("alice"), 5));
    management.associateDevice(ALICE, ACME, new NewDevice("AQ-1001", "Lobby monitor"));
    management.associateDevice(ALICE, ACME, new NewDevice("AQ-1002", "Kitchen monitor"));
    List<IssuedKey> keys = management.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-1001", "AQ-1002"));
    String lobby = keys.get(0).secret().reveal();
    String kitchen = keys.get(1).secret().reveal();
    // Steps 2 and 3 ask the validators without a limit: waiting for the deletion on a rate-limited
    // one would spend the key's shared budget, and it would say RATE_LIMITED before UNKNOWN.
    System.out.printf("2. Key created on the management node: gateway A says %s, gateway B says %s%n",
        aPlain.validate(lobby).status(), bPlain.validate(lobby).status());

    long deleted = System.nanoTime();
    management.deleteKey(ALICE, ACME, keys.get(0).key().id());
    long refusedA = until(() -> aPlain.validate(lobby).status() != Status.VALID, Duration.ofSeconds(5));
    long refusedB = until(() -> bPlain.validate(lobby).status() != Status.VALID, Duration.ofSeconds(5));
    System.out.printf("3. Deleted on the management node: refused by both gateways within %.1f ms (A %s, B %s;"
        + " pushed by LISTEN/NOTIFY, the poll runs every %d s)%n", (Math.max(refusedA, refusedB) - deleted) / 1e6,
        aPlain.validate(lobby).status(), bPlain.validate(lobby).status(), POLL.toSeconds());

    StringBuilder answers = new StringBuilder();
    Verdict seventh = null;
    String seventhNode = null;
    for (int i = 1; i <= 7; i++) {
      boolean onA = i % 2 == 1;
      Verdict v = (onA ? a : b).validate(kitchen);
      answers.append(i == 1 ? "" : ", ").append(onA ? "A" : "B").append(':').append(v.status());
      if (i == 7) {
        seventh = v;
        seventhNode = onA ? "A" : "B";
      }
    }
    System.out.printf("4. One limit of %d requests per hour across the cluster, requests alternating: %s%n", PER_HOUR,
        answers);
    Verdict onTheOther = ("A".equals(seventhNode) ? b : a).validate(kitchen);
    System.out.printf("5. The 7th request (gateway %s) is %s, retry after %d s; the other gateway also says %s%n",
        seventhNode, seventh.status(), seventh.retryAfter() == null ? 0 : seventh.retryAfter().toSeconds(),
        onTheOther.status());

    bPlain.validate(kitchen); // cached on gateway B before the cut, as a busy gateway's keys are
    aPlain.validate(kitchen);
    cableB.cut(true);
    long cut = System.nanoTime();
    Status limited = b.validate(kitchen).status();
    Status whileCut = bPlain.validate(kitchen).status();
    long closed = until(() -> bPlain.validate(kitchen).status() == Status.UNAVAILABLE, MAX_STALENESS.multipliedBy(5));
    System.out.printf("6. Gateway B cut off from the database: its rate-limited validator says %s at once (the shared"
        + " limit cannot be read: fail closed); its validator without a limit says %s from its cache, then"
        + " UNAVAILABLE (fail closed) after %d ms (maxStaleness %d ms); gateway A says %s%n", limited, whileCut,
        (closed - cut) / 1_000_000, MAX_STALENESS.toMillis(), aPlain.validate(kitchen).status());

    cableB.cut(false);
    long restored = System.nanoTime();
    long back = until(() -> bPlain.validate(kitchen).status() != Status.UNAVAILABLE, POLL.multipliedBy(10));
    System.out.printf("7. Connection restored: gateway B recovered by itself after %d ms and says %s%n",
        (back - restored) / 1_000_000, bPlain.validate(kitchen).status());
  }

  /** A gateway's validator: rate-limited across the cluster, or without a limit (for the deletion and the outage). */
  private static CachedKeyValidator validator(Keyseat node, boolean rateLimited) {
    CachedKeyValidatorBuilder b = node.validator().feedPollInterval(POLL).maxStaleness(MAX_STALENESS);
    if (rateLimited) {
      b.rateLimit(PER_HOUR, Duration.ofHours(1)).rateLimitMode(RateLimitMode.CLUSTER);
    }
    return b.build();
  }

  private static HikariDataSource pool(String url, String name, List<HikariDataSource> pools) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername("postgres");
    config.setPassword("postgres");
    config.setPoolName(name);
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(2_000);
    HikariDataSource ds = new HikariDataSource(config);
    pools.add(ds);
    return ds;
  }

  /** Waits (at most {@code bound}) until {@code condition} holds. @return when it did, in nanoseconds */
  private static long until(Supplier<Boolean> condition, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.get()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("not within " + bound);
      }
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
    }
    return System.nanoTime();
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /**
   * A gateway's "network cable": while cut, every new connection of {@link #dataSource} fails as an
   * unreachable server's would; every other call goes to the pool as it is.
   */
  private static final class Cuttable {
    private final DataSource delegate;
    private final DataSource dataSource;
    private volatile boolean cut;

    Cuttable(DataSource delegate) {
      this.delegate = delegate;
      this.dataSource = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
          new Class<?>[] {DataSource.class}, (proxy, method, args) -> forward(method, args));
    }

    /** @return the data source behind the cable, for the gateway's store */
    DataSource dataSource() {
      return dataSource;
    }

    void cut(boolean isCut) {
      this.cut = isCut;
    }

    private Object forward(Method method, Object[] args) throws Throwable {
      if (cut && method.getName().equals("getConnection")) {
        throw new SQLException("connection refused (cable cut by the demo)", "08001");
      }
      try {
        return method.invoke(delegate, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

}
