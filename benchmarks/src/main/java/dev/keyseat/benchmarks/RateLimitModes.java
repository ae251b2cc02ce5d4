package dev.keyseat.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.Keyseat;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.RateLimitMode;
import dev.keyseat.validation.Verdict;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of a rate-limited validation of a cached, valid key in each {@link RateLimitMode}, on
 * an embedded PostgreSQL, beside its floor: {@code floorSelectOne}, a {@code SELECT 1} round trip
 * on the same pool. {@code LOCAL} counts in memory; {@code CLUSTER} is one Bucket4j transaction
 * ({@code SELECT … FOR UPDATE} of the key's row, then its update) per validation. The limit is
 * set so high that every request is admitted: what is measured is the admission itself.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RateLimitModes -f 1 -wi 2 -w 1s -i 5 -r 1s -t 1
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RateLimitModes {
  private static final Actor OPS = Actor.operator("ops");
  private static final Actor ALICE = Actor.user("alice");
  private static final AccountId ACME = AccountId.of("acme");

  EmbeddedPostgres pg;
  HikariDataSource pool;
  CachedKeyValidator local;
  CachedKeyValidator cluster;
  String secret;

  @Setup(Level.Trial)
  public void start() throws IOException {
    pg = EmbeddedPostgres.builder().start();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    config.setUsername("postgres");
    config.setPassword("postgres");
    config.setMaximumPoolSize(8);
    pool = new HikariDataSource(config);
    Keyseat keyseat = Keyseat.builder(JdbcKeyStore.builder(pool).createSchemaIfMissing(true).build()).build();
    KeyManager keys = keyseat.manager();
    keys.createAccount(OPS, ACME, new NewAccount("Acme Air", UserId.of("alice"), 1));
    keys.associateDevice(ALICE, ACME, new NewDevice("AQ-1", "Lobby"));
    secret = keys.createKeys(ALICE, ACME, NewKeys.forDevices("AQ-1")).get(0).secret().reveal();
    long plenty = 1_000_000_000_000L;
    local = keyseat.validator().rateLimit(plenty, Duration.ofHours(1)).rateLimitMode(RateLimitMode.LOCAL).build();
    cluster = keyseat.validator().rateLimit(plenty, Duration.ofHours(1)).rateLimitMode(RateLimitMode.CLUSTER)
        .build();
    if (!local.validate(secret).isValid() || !cluster.validate(secret).isValid()) {
      throw new IllegalStateException("the key must be valid in both modes");
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    local.close();
    cluster.close();
    pool.close();
    pg.close();
  }

  @Benchmark
  public Verdict localMode() {
    return local.validate(secret);
  }

  @Benchmark
  public Verdict clusterMode() {
    return cluster.validate(secret);
  }

  @Benchmark
  public int floorSelectOne() throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
