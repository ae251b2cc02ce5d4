package dev.keyseat.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.testkit.RecordingValidatorMetrics;
import dev.keyseat.validation.Verdict;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.StoredKey;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postgresql.PGConnection;

/**
 * The JDBC store on a real PostgreSQL 17 (Zonky embedded, started by the benchmark on this
 * machine) holding 1,000,000 keys of 10,000 accounts and a change feed of 1,000,000 entries, each
 * figure next to a floor measured in the same run:
 *
 * <ul>
 *   <li>{@code createKeys} (throughput, {@code batch} = 1 or 50 keys per call): Keyseat's
 *       {@code KeyManager.createKeys} for devices of accounts of 100 devices: account row lock,
 *       role, devices and quota checks, key inserts, audit and change feed, one transaction (5
 *       round trips on PostgreSQL whatever the batch size, {@code JdbcRoundTripsTest}). Floor:
 *       {@code floorInsertRows}, {@code batch} plain INSERTs of a row with a unique 32-byte hash in
 *       one transaction (one autocommitted statement for a batch of 1);
 *   <li>{@code validateColdKey} (sample time): the cached validator answering a key it does not
 *       hold, so a store lookup every time: in an empty cache, or in a full one of 100 entries that
 *       must evict (see {@link Cold}). Peer: {@code storeFindKeyByHash}, the store's lookup alone,
 *       keys drawn at random from the 200,000. Floor: {@code floorSelectOne}, a {@code SELECT 1}
 *       round trip through the same pool;
 *   <li>{@code feedPollUpToDate} and {@code feedPoll100New} (sample time): {@code changesSince}
 *       with a cursor at the end of the feed, and 100 entries before it, with the validator's page
 *       size. Floor: {@code floorSelectOne}.
 *   <li>{@code growTo20000KeysInBatchesOf1000} (single shot, on a {@link FreshDatabase}: a new
 *       PostgreSQL per trial, never a manual {@code ANALYZE}): an account's 20,000 keys created
 *       in 20 calls of 1,000; prints each call's time and last ÷ first (target ≤ 1.5).
 *   <li>{@code pageOf100From20000Keys} (sample time, same fresh database): {@code KeyManager.keys(
 *       admin, account, KeyQuery)} for a page of 100 of an account of 20,000 keys, from a cursor
 *       drawn among the 200 page starts, sorted by creation or by device name, each read from its
 *       index (migration V3 keeps the folded device name on the key row) in 3 round trips (target:
 *       p50 ≤ 5 ms).
 * </ul>
 *
 * <p>The database is built once with bulk SQL ({@code INSERT … SELECT generate_series} and a
 * {@code COPY} of the 200,000 hashes whose plaintext the benchmark presents; the foreign-key
 * triggers off during the load), then kept in {@code keyseat.jmh.pgdata} (default
 * {@code $TMPDIR/keyseat-jmh-pg}) for later trials and runs; each trial starts with
 * {@code VACUUM ANALYZE} and a {@code CHECKPOINT}, autovacuum off. Server: {@code shared_buffers}
 * 512 MB; {@code fsync} and {@code synchronous_commit} from the {@code fsync} parameter (default
 * {@code on}, as in production; {@code -p fsync=off} for Zonky's test settings). Run with
 * {@code -t 1}: the database server shares the machine's cores.
 *
 * <p>Read the figures as ratios to their floor. On the 2-vCPU build VM a local round trip (the
 * floor's {@code SELECT 1}) took about 70 µs at the median while the machine was otherwise idle and
 * about 9 µs while other work kept the vCPUs busy (a spinning shell loop beside the run is enough),
 * which moves every round-trip-bound figure with it.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class JdbcStoreBenchmark {
  /** Keys in the table: 1,000,000, or {@code -jvmArgsAppend -Dkeyseat.jmh.keys=100000} for a shorter run. */
  static final int KEYS = Integer.getInteger("keyseat.jmh.keys", 1_000_000);
  static final int DEVICES_PER_ACCOUNT = 100;
  /** Keys whose plaintext the benchmark knows and presents, spread evenly over the table. */
  static final int SAMPLE = KEYS / 5;
  static final int SAMPLE_STRIDE = KEYS / SAMPLE;
  /** Accounts of 100 devices without keys, for the creation benchmark. */
  static final int FREE_ACCOUNTS = 2_000;
  static final int FREE_DEVICES = FREE_ACCOUNTS * DEVICES_PER_ACCOUNT;
  static final long SEED = 20260101L;
  static final String VERSION = "v3 keys=" + KEYS + " sample=" + SAMPLE + " free=" + FREE_DEVICES + " seed=" + SEED;
  static final String DATABASE = "keyseat_bench";
  static final List<String> TABLES = List.of("keyseat_account", "keyseat_member", "keyseat_device",
      "keyseat_api_key", "keyseat_audit", "keyseat_change", "keyseat_change_seq", "bench_floor");
  /** The validator's page size when it reads the feed. */
  static final int FEED_PAGE = 500;
  static final Actor ADMIN = Actor.user("admin");
  static final long T0 = 1_767_225_600L;

  /** The running server with its million keys, a pool, the store and a Keyseat over it. */
  @State(Scope.Benchmark)
  public static class Database {
    /**
     * {@code on}: every commit waits for its WAL to reach the disk ({@code fsync} and
     * {@code synchronous_commit} on, as in production); {@code off}: neither (Zonky's default for
     * tests). Only commits feel it: key creation and the floor's inserts.
     */
    @Param({"on"})
    public String fsync;

    EmbeddedPostgres pg;
    HikariDataSource pool;
    JdbcKeyStore store;
    Keyseat keyseat;
    String[] sample;
    KeyHash[] sampleHashes;

    @Setup(Level.Trial)
    public void start() throws IOException, SQLException, NoSuchAlgorithmException {
      Path dir = Path.of(System.getProperty("keyseat.jmh.pgdata",
          Path.of(System.getProperty("java.io.tmpdir"), "keyseat-jmh-pg").toString()));
      Files.createDirectories(dir);
      pg = EmbeddedPostgres.builder()
          .setDataDirectory(dir)
          .setCleanDataDirectory(false)
          .setServerConfig("shared_buffers", "512MB")
          .setServerConfig("fsync", fsync)
          .setServerConfig("synchronous_commit", fsync)
          .setPGStartupWait(Duration.ofMinutes(2))
          .start();
      mintSample();
      ensureLoaded();
      settle();
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(pg.getJdbcUrl("postgres", DATABASE));
      config.setUsername("postgres");
      config.setMaximumPoolSize(8);
      config.setPoolName("bench");
      pool = new HikariDataSource(config);
      store = JdbcKeyStore.builder(pool).build();
      keyseat = Keyseat.builder(store).build();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), current_setting('fsync'),"
              + " current_setting('synchronous_commit'), current_setting('shared_buffers'),"
              + " pg_size_pretty(pg_total_relation_size('keyseat_api_key')),"
              + " pg_size_pretty(pg_total_relation_size('keyseat_change'))")) {
        rs.next();
        System.out.printf("%nPostgreSQL %s, fsync %s, synchronous_commit %s, shared_buffers %s; keyseat_api_key %s,"
            + " keyseat_change %s (with indexes)%n", rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getString(6));
      }
      for (int j : new int[] {0, SAMPLE / 2, SAMPLE - 1}) {
        Optional<StoredKey> found = store.findKeyByHash(sampleHashes[j]);
        if (found.isEmpty() || !found.get().id().value().equals(keyId(j * SAMPLE_STRIDE))) {
          throw new IllegalStateException("setup: sample key " + j + " is not in the table");
        }
      }
      try (CachedKeyValidator check = keyseat.validator().build()) {
        for (int j : new int[] {0, 1, SAMPLE - 1}) {
          Verdict v = check.validate(sample[j]);
          if (!v.isValid() || !v.keyId().value().equals(keyId(j * SAMPLE_STRIDE))) {
            throw new IllegalStateException("setup: sample key " + j + " answered " + v);
          }
        }
      }
    }

    /** The sample's plaintexts, the same on every trial: Keyseat's own format, a seeded generator. */
    private void mintSample() throws NoSuchAlgorithmException {
      SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(SEED);
      KeyFormat format = new KeyFormat(KeyFormat.DEFAULT_PREFIX, random);
      KeyHasher hasher = new KeyHasher(null);
      sample = new String[SAMPLE];
      sampleHashes = new KeyHash[SAMPLE];
      for (int j = 0; j < SAMPLE; j++) {
        sample[j] = format.generate();
        sampleHashes[j] = hasher.hash(sample[j]);
      }
    }

    private void ensureLoaded() throws SQLException {
      DataSource admin = pg.getPostgresDatabase();
      try (Connection c = admin.getConnection(); Statement st = c.createStatement()) {
        boolean exists;
        try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
          exists = rs.next();
        }
        if (exists && VERSION.equals(marker())) {
          return;
        }
        st.execute("DROP DATABASE IF EXISTS " + DATABASE);
        st.execute("CREATE DATABASE " + DATABASE);
      }
      long start = System.nanoTime();
      DataSource db = pg.getDatabase("postgres", DATABASE);
      JdbcKeyStore.builder(db).createSchemaIfMissing(true).build();
      try (Connection c = db.getConnection()) {
        load(c);
      }
      System.out.printf("%nloaded %,d keys, %,d devices and %,d feed entries with bulk SQL in %.1f s%n", KEYS,
          KEYS + FREE_DEVICES, KEYS, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Every trial starts from a vacuumed database, and no autovacuum of a million-row table runs
     * in the middle of one: the creation benchmark deletes the keys it made after each iteration.
     */
    private void settle() throws SQLException {
      long start = System.nanoTime();
      try (Connection c = pg.getDatabase("postgres", DATABASE).getConnection(); Statement st = c.createStatement()) {
        for (String table : TABLES) {
          st.execute("ALTER TABLE " + table + " SET (autovacuum_enabled = false)");
        }
        st.execute("VACUUM ANALYZE " + String.join(", ", TABLES));
        st.execute("CHECKPOINT");
      }
      System.out.printf("%nVACUUM ANALYZE and CHECKPOINT before the trial: %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    private String marker() {
      try (Connection c = pg.getDatabase("postgres", DATABASE).getConnection(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT version FROM bench_marker")) {
        return rs.next() ? rs.getString(1) : null;
      } catch (SQLException missing) {
        return null;
      }
    }

    private void load(Connection c) throws SQLException {
      try (Statement st = c.createStatement()) {
        st.execute("SET synchronous_commit = off");
        st.execute("SET maintenance_work_mem = '256MB'");
        // A bulk load of rows known to be consistent: no foreign-key trigger per row.
        st.execute("SET session_replication_role = replica");
        st.execute("INSERT INTO keyseat_account (account_id, name, contracted_licenses, created_at)"
            + " SELECT 'acct-' || lpad(a::text, 6, '0'), 'Account ' || a, " + DEVICES_PER_ACCOUNT + ", " + T0
            + " FROM generate_series(0, " + (KEYS / DEVICES_PER_ACCOUNT - 1) + ") a"
            + " UNION ALL SELECT 'free-' || lpad(a::text, 6, '0'), 'Free ' || a, " + DEVICES_PER_ACCOUNT + ", " + T0
            + " FROM generate_series(0, " + (FREE_ACCOUNTS - 1) + ") a");
        st.execute("INSERT INTO keyseat_member (account_id, user_id, role)"
            + " SELECT account_id, 'admin', 'ADMIN' FROM keyseat_account");
        st.execute("INSERT INTO keyseat_device (serial, account_id, name, model, associated_at)"
            + " SELECT 'AQ-' || lpad(i::text, 7, '0'), 'acct-' || lpad((i / " + DEVICES_PER_ACCOUNT + ")::text, 6, '0'),"
            + " 'Monitor ' || i, 'Indoor Air Monitor', " + T0 + " FROM generate_series(0, " + (KEYS - 1) + ") i"
            + " UNION ALL SELECT 'FD-' || lpad(i::text, 7, '0'),"
            + " 'free-' || lpad((i / " + DEVICES_PER_ACCOUNT + ")::text, 6, '0'),"
            + " 'Monitor ' || i, 'Indoor Air Monitor', " + T0 + " FROM generate_series(0, " + (FREE_DEVICES - 1) + ") i");
        st.execute("CREATE TEMP TABLE bench_sample (i INTEGER PRIMARY KEY, hash BYTEA NOT NULL)");
        StringBuilder csv = new StringBuilder(SAMPLE * 80);
        HexFormat hex = HexFormat.of();
        for (int j = 0; j < SAMPLE; j++) {
          csv.append(j * SAMPLE_STRIDE).append(",\\x").append(hex.formatHex(sampleHashes[j].toBytes())).append('\n');
        }
        try {
          c.unwrap(PGConnection.class).getCopyAPI()
              .copyIn("COPY bench_sample (i, hash) FROM STDIN (FORMAT csv)", new StringReader(csv.toString()));
        } catch (IOException e) {
          throw new SQLException("COPY of the sample failed", e);
        }
        // Other keys get the SHA-256 of their number: no plaintext exists for them.
        // device_name_folded (V3): the folded name of the key's device, 'Monitor ' || i
        st.execute("INSERT INTO keyseat_api_key (key_id, account_id, device_serial, hash, hint, label, created_at,"
            + " suspended, device_name_folded) SELECT 'key_' || lpad(g.i::text, 10, '0'),"
            + " 'acct-' || lpad((g.i / " + DEVICES_PER_ACCOUNT + ")::text, 6, '0'), 'AQ-' || lpad(g.i::text, 7, '0'),"
            + " COALESCE(s.hash, sha256(int8send(g.i))), 'ks_...' || lpad((g.i % 10000)::text, 4, '0'), '',"
            + " " + T0 + " + g.i, FALSE, 'monitor ' || g.i"
            + " FROM generate_series(0, " + (KEYS - 1) + ") AS g(i) LEFT JOIN bench_sample s ON s.i = g.i");
        // numbered rows carry the time they were numbered (keyseat_change_numbered_ck)
        st.execute("INSERT INTO keyseat_change (seq, type, account_id, key_id, hashes, at, numbered_at)"
            + " SELECT substr(key_id, 5)::bigint + 1, 'CREATED', account_id, key_id, hash, created_at, created_at"
            + " FROM keyseat_api_key");
        st.execute("UPDATE keyseat_change_seq SET last_seq = " + KEYS + " WHERE id = 1");
        st.execute("CREATE TABLE bench_floor (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL UNIQUE)");
        st.execute("CREATE TABLE bench_marker (version TEXT NOT NULL)");
        st.execute("INSERT INTO bench_marker VALUES ('" + VERSION + "')");
        st.execute("SET session_replication_role = origin");
        st.execute("VACUUM ANALYZE");
      }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
      pool.close();
      pg.close();
    }
  }

  static String keyId(int i) {
    return String.format("key_%010d", i);
  }

  /** A uniformly chosen sample index per call (xorshift), one generator per thread. */
  @State(Scope.Thread)
  public static class Picker {
    private final XorShift random = new XorShift();

    int next(int n) {
      return random.next(n);
    }
  }

  // ------------------------------------------------------------------ key creation

  /** Devices without keys, handed out {@code batch} at a time; emptied again before each iteration. */
  @State(Scope.Benchmark)
  public static class Creation {
    /** Keys per {@code createKeys} call (and rows per floor transaction). */
    @Param({"1", "50"})
    public int batch;

    final AtomicInteger nextBatch = new AtomicInteger();
    final AtomicLong nextFloorRow = new AtomicLong();
    List<List<String>> batches;

    @Setup(Level.Trial)
    public void prepare() {
      if (DEVICES_PER_ACCOUNT % batch != 0) {
        throw new IllegalArgumentException("batch must divide " + DEVICES_PER_ACCOUNT);
      }
      batches = new ArrayList<>(FREE_DEVICES / batch);
      for (int d = 0; d < FREE_DEVICES; d += batch) {
        List<String> serials = new ArrayList<>(batch);
        for (int i = d; i < d + batch; i++) {
          serials.add(String.format("FD-%07d", i));
        }
        batches.add(List.copyOf(serials));
      }
    }

    /** Deletes the keys and floor rows of the previous iteration, outside the measurement. */
    @Setup(Level.Iteration)
    public void empty(Database db) throws SQLException {
      try (Connection c = db.pool.getConnection(); Statement st = c.createStatement()) {
        st.execute("DELETE FROM keyseat_api_key WHERE account_id >= 'free-' AND account_id < 'free.'");
        // the store keeps each account's key count on its row: deleting behind its back must reset it
        st.execute("UPDATE keyseat_account SET key_count = 0 WHERE account_id >= 'free-' AND account_id < 'free.'");
        st.execute("TRUNCATE bench_floor");
      }
      nextBatch.set(0);
    }

    AccountId account(int batchIndex) {
      return AccountId.of(String.format("free-%06d", batchIndex * batch / DEVICES_PER_ACCOUNT));
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public List<IssuedKey> createKeys(Database db, Creation c) {
    int b = c.nextBatch.getAndIncrement();
    if (b >= c.batches.size()) {
      throw new IllegalStateException("more than " + FREE_DEVICES + " keys in one iteration: shorten it");
    }
    return db.keyseat.manager().createKeys(ADMIN, c.account(b), NewKeys.forDevices(c.batches.get(b)));
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public int floorInsertRows(Database db, Creation c) throws SQLException {
    byte[] hash = new byte[32];
    try (Connection conn = db.pool.getConnection();
        PreparedStatement ps = conn.prepareStatement("INSERT INTO bench_floor (id, hash) VALUES (?, ?)")) {
      if (c.batch == 1) {
        ThreadLocalRandom.current().nextBytes(hash);
        ps.setLong(1, c.nextFloorRow.incrementAndGet());
        ps.setBytes(2, hash);
        return ps.executeUpdate();
      }
      conn.setAutoCommit(false);
      try {
        for (int i = 0; i < c.batch; i++) {
          ThreadLocalRandom.current().nextBytes(hash);
          ps.setLong(1, c.nextFloorRow.incrementAndGet());
          ps.setBytes(2, hash);
          ps.addBatch();
        }
        int rows = ps.executeBatch().length;
        conn.commit();
        return rows;
      } finally {
        conn.setAutoCommit(true);
      }
    }
  }

  // ------------------------------------------------------------------ cold validation

  /**
   * A validator that does not hold the key presented. {@code empty}: a new validator with room for
   * every sample key each iteration, given the sample keys in a shuffled order, each once; so
   * every call is a miss and nothing is evicted. {@code full}: one validator with a cache of 100
   * entries, given keys drawn at random from the 200,000, so that nearly every call is a miss that
   * also evicts an entry (a cache far smaller than the keys in use).
   */
  @State(Scope.Benchmark)
  public static class Cold {
    /** {@code empty} or {@code full}, see above. */
    @Param({"empty", "full"})
    public String cache;

    CachedKeyValidator validator;
    int[] order;
    final AtomicInteger next = new AtomicInteger();
    final RecordingValidatorMetrics metrics = new RecordingValidatorMetrics();

    @Setup(Level.Trial)
    public void shuffle() {
      order = new int[SAMPLE];
      for (int j = 0; j < SAMPLE; j++) {
        order[j] = j;
      }
      java.util.Random random = new java.util.Random(SEED);
      for (int j = SAMPLE - 1; j > 0; j--) {
        int k = random.nextInt(j + 1);
        int t = order[j];
        order[j] = order[k];
        order[k] = t;
      }
    }

    @Setup(Level.Iteration)
    public void build(Database db) {
      if (validator != null && "full".equals(cache)) {
        return;
      }
      if (validator != null) {
        validator.close();
      }
      validator = Keyseat.builder(new WithoutUsage(db.store)).build().validator()
          .maximumSize("full".equals(cache) ? 100 : 2L * SAMPLE)
          .storeLookupsPerSecond(10_000_000)
          .metrics(metrics)
          .build();
      next.set(0);
    }

    /** @return the next sample index: in shuffled order ({@code empty}) or at random ({@code full}) */
    int pick(Picker p) {
      return "full".equals(cache) ? p.next(SAMPLE) : order[next.getAndIncrement() % SAMPLE];
    }

    @TearDown(Level.Trial)
    public void close() {
      long h = metrics.hits();
      long m = metrics.misses();
      System.out.printf("%ncold validation (%s cache): %,d cache misses, %,d store lookups, %,d hits (%.3f%% of"
          + " validations)%n", cache, m, metrics.lookups(), h, 100.0 * h / Math.max(1, h + m));
      validator.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Verdict validateColdKey(Database db, Cold cold, Picker p) {
    return cold.validator.validate(db.sample[cold.pick(p)]);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Optional<StoredKey> storeFindKeyByHash(Database db, Picker p) {
    return db.store.findKeyByHash(db.sampleHashes[p.next(SAMPLE)]);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int floorSelectOne(Database db) throws SQLException {
    try (Connection c = db.pool.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  // ------------------------------------------------------------------ change feed

  /** The end of the feed when the trial starts. */
  @State(Scope.Benchmark)
  public static class Feed {
    long latest;

    @Setup(Level.Trial)
    public void locate(Database db) {
      latest = db.store.latestChangeSequence();
      if (!db.store.changesSince(latest, FEED_PAGE).isEmpty()
          || db.store.changesSince(latest - 100, FEED_PAGE).size() != 100) {
        throw new IllegalStateException("setup: the feed does not end at " + latest);
      }
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public List<ChangeEvent> feedPollUpToDate(Database db, Feed f) {
    return db.store.changesSince(f.latest, FEED_PAGE);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public List<ChangeEvent> feedPoll100New(Database db, Feed f) {
    return db.store.changesSince(f.latest - 100, FEED_PAGE);
  }

  // ------------------------------------------------------------------ a fresh database: growth and pages

  /** Devices of a growing account, and the account of 20,000 keys that the page benchmark reads. */
  static final int GROWN = 20_000;
  static final int GROWTH_BATCH = 1_000;

  /**
   * A fresh PostgreSQL of its own for each trial (Zonky's default settings, a new data directory,
   * autovacuum as configured by default, never a manual {@code ANALYZE}): the tables start empty,
   * so plans made while they were small meet them large.
   */
  @State(Scope.Benchmark)
  public static class FreshDatabase {
    EmbeddedPostgres pg;
    HikariDataSource pool;
    Keyseat keyseat;
    final AtomicInteger accounts = new AtomicInteger();

    @Setup(Level.Trial)
    public void start() throws IOException {
      pg = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofMinutes(2)).start();
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
      config.setUsername("postgres");
      config.setMaximumPoolSize(4);
      config.setPoolName("fresh");
      pool = new HikariDataSource(config);
      keyseat = Keyseat.builder(JdbcKeyStore.builder(pool).createSchemaIfMissing(true).build()).build();
    }

    /**
     * @return a new account with {@link #GROWN} devices and as many licenses, its devices
     *     associated in calls of 1,000
     */
    AccountId newAccount() {
      int n = accounts.incrementAndGet();
      AccountId account = AccountId.of("grow-" + n);
      keyseat.manager().createAccount(Actor.operator("bench"), account,
          new dev.keyseat.NewAccount("Grow " + n, dev.keyseat.UserId.of("admin"), GROWN));
      for (int from = 0; from < GROWN; from += GROWTH_BATCH) {
        List<dev.keyseat.NewDevice> devices = new ArrayList<>(GROWTH_BATCH);
        for (int i = from; i < from + GROWTH_BATCH; i++) {
          devices.add(new dev.keyseat.NewDevice(serial(n, i), "Monitor " + (i * 7919 % GROWN)));
        }
        keyseat.manager().associateDevices(ADMIN, account, devices);
      }
      return account;
    }

    static String serial(int account, int i) {
      return String.format("G%d-%05d", account, i);
    }

    /**
     * Creates the account's {@link #GROWN} keys in batches of {@link #GROWTH_BATCH}.
     *
     * @return the time of each batch in nanoseconds
     */
    long[] grow(AccountId account) {
      int n = Integer.parseInt(account.value().substring("grow-".length()));
      long[] times = new long[GROWN / GROWTH_BATCH];
      for (int b = 0; b < times.length; b++) {
        List<String> serials = new ArrayList<>(GROWTH_BATCH);
        for (int i = b * GROWTH_BATCH; i < (b + 1) * GROWTH_BATCH; i++) {
          serials.add(serial(n, i));
        }
        long start = System.nanoTime();
        keyseat.manager().createKeys(ADMIN, account, NewKeys.forDevices(serials));
        times[b] = System.nanoTime() - start;
      }
      return times;
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
      pool.close();
      pg.close();
    }
  }

  /** A new account with its devices before each growth, outside the measurement; the ratios after. */
  @State(Scope.Benchmark)
  public static class Growth {
    AccountId account;
    final List<String> report = new ArrayList<>();

    @Setup(Level.Invocation)
    public void account(FreshDatabase db) {
      account = db.newAccount();
    }

    @TearDown(Level.Trial)
    public void print() {
      System.out.printf("%ngrowth to %,d keys in batches of %,d (fresh PostgreSQL, no ANALYZE):%n%s%n", GROWN,
          GROWTH_BATCH, String.join("\n", report));
    }
  }

  /**
   * An account growing from 0 to 20,000 keys in batches of 1,000 on a fresh database (single shot:
   * one growth per invocation, each into a new account of the same database); prints each batch's
   * time and the ratio of the last to the first. Target: last within 1.5× the first.
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long[] growTo20000KeysInBatchesOf1000(FreshDatabase db, Growth g) {
    long[] times = db.grow(g.account);
    StringBuilder line = new StringBuilder("  " + g.account + ": batches (ms)");
    for (long t : times) {
      line.append(' ').append(t / 1_000_000);
    }
    line.append(String.format(java.util.Locale.ROOT, "; last/first %.2f, last/median of the first three %.2f",
        times[times.length - 1] / (double) times[0], times[times.length - 1] / median3(times)));
    g.report.add(line.toString());
    return times;
  }

  private static double median3(long[] t) {
    long[] first = java.util.Arrays.copyOf(t, 3);
    java.util.Arrays.sort(first);
    return first[1];
  }

  /**
   * The keys table of an account of 20,000 keys (grown in batches of 1,000 on the fresh database),
   * read a page of 100 at a time from a position drawn at random among the 200 page starts.
   */
  @State(Scope.Benchmark)
  public static class Paged {
    /** The sort of the pages: creation (the index order) or device name (sorted per query). */
    @Param({"CREATED", "DEVICE_NAME"})
    public String sort;

    AccountId account;
    List<String> cursors;
    dev.keyseat.KeyQuery first;

    @Setup(Level.Trial)
    public void grow(FreshDatabase db) {
      account = db.newAccount();
      db.grow(account);
      first = dev.keyseat.KeyQuery.first(100).withSort(dev.keyseat.KeySort.valueOf(sort), false);
      cursors = new ArrayList<>();
      cursors.add(null);
      dev.keyseat.KeyPage page = db.keyseat.manager().keys(ADMIN, account, first);
      while (page.next() != null) {
        cursors.add(page.next());
        page = db.keyseat.manager().keys(ADMIN, account, first.withAfter(page.next()));
      }
      if (cursors.size() != GROWN / 100) {
        throw new IllegalStateException("setup: " + cursors.size() + " pages, not " + GROWN / 100);
      }
    }
  }

  /** One page of 100 keys, with its next cursor and total. Target: p50 ≤ 5 ms. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public dev.keyseat.KeyPage pageOf100From20000Keys(FreshDatabase db, Paged p, Picker r) {
    return db.keyseat.manager().keys(ADMIN, p.account, p.first.withAfter(p.cursors.get(r.next(p.cursors.size()))));
  }
}
