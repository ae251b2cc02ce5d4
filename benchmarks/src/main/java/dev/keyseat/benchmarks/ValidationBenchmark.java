package dev.keyseat.benchmarks;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.keyseat.internal.validation.HashedVerdict;
import dev.keyseat.internal.validation.SipHash;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.Verdict;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcConnectionPool;
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

/**
 * The validation path against its floor and two peers, all in one run.
 *
 * <ul>
 *   <li>{@code floorSha256MapGet}: what a validator keyed by the stored hash cannot avoid: SHA-256
 *       of the presented key (into reused buffers) and one {@link ConcurrentHashMap#get} with a
 *       reused probe key;
 *   <li>{@code floorPrfMapGet}: the same with the validator's PRF instead of SHA-256: SipHash-2-4-128
 *       of the presented key under a random key and one {@link ConcurrentHashMap#get} by the
 *       128-bit value: the floor of an index keyed by PRF;
 *   <li>{@code validateHotKey}: the cached validator answering a cached valid key, chosen
 *       uniformly among {@code keys}, from the default size-bounded cache or a preloaded one. The
 *       bounded cache is sized {@code keys * 3 / 2} (at least 1), so that it is <b>more than half
 *       full</b>: Caffeine records reads and runs its W-TinyLFU policy only from half full on, and
 *       a production cache is full; a benchmark with a near-empty cache would measure a cache with
 *       its policy switched off;
 *   <li>{@code validateMalformed}: a key with a typo, rejected by the checksum (the most expensive
 *       kind of malformed input: full length, full checksum);
 *   <li>{@code validateUnknown}: a well-formed key the store does not know (negative cache);
 *   <li>{@code peerH2Lookup}: what one writes without Keyseat: per request, SHA-256 of the key,
 *       a connection from a pool, a prepared query by hash on an embedded in-memory H2 table;
 *   <li>{@code peerH2LookupHeldStatement}: the same peer tuned as far as it goes: a connection,
 *       statement and digest held per thread, so only the query itself remains;
 *   <li>{@code peerBcrypt}: a per-request BCrypt check (cost 10), as many tutorials do.
 * </ul>
 *
 * Run with {@code -t 1} and {@code -t 2}, and {@code -prof gc} for bytes per operation. With
 * {@code -f 0} the benchmarks of one run share one fleet per size (see {@link Keys}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ValidationBenchmark {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  /** Keys in the store and in the cache; the hot benchmarks pick among them uniformly. */
  @State(Scope.Benchmark)
  public static class Keys {
    /** How many keys exist, all cached. */
    @Param({"1", "100000"})
    public int keys;

    Fleet fleet;
    CachedKeyValidator validator;
    CachedKeyValidator preloaded;
    final ConcurrentHashMap<HashedVerdict, String> floor = new ConcurrentHashMap<>();
    final ConcurrentHashMap<PrfKey, String> prfFloor = new ConcurrentHashMap<>();
    final SipHash sip = new SipHash(new java.security.SecureRandom());
    String h2Url;
    Connection h2Keeper;
    JdbcConnectionPool h2Pool;

    /**
     * Fleets (and their H2 tables and floor maps) by size, kept for the life of the JVM: with
     * {@code -f 0} every benchmark of a run shares one setup per size instead of creating 100,000
     * keys through the management API again for each.
     */
    private static final java.util.Map<Integer, Keys> SHARED = new java.util.HashMap<>();

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
      Keys shared;
      synchronized (SHARED) {
        shared = SHARED.get(keys);
        if (shared == null) {
          shared = this;
          createFleet();
          SHARED.put(keys, this);
        }
      }
      if (shared != this) {
        fleet = shared.fleet;
        h2Url = shared.h2Url;
        h2Keeper = shared.h2Keeper;
        h2Pool = shared.h2Pool;
        floor.putAll(shared.floor);
        prfFloor.clear();
      }
      validator = fleet.keyseat.validator()
          .maximumSize(Math.max(1, keys * 3L / 2)) // more than half full: the policy is live
          .storeLookupsPerSecond(10_000_000)
          .build();
      preloaded = fleet.keyseat.validator().preloadAllKeys().build();
      Hashing h = new Hashing();
      for (int i = 0; i < keys; i++) {
        if (!validator.validate(fleet.secrets[i]).isValid() || !preloaded.validate(fleet.secrets[i]).isValid()) {
          throw new IllegalStateException("setup: key " + i + " does not validate");
        }
        h.prf(sip, fleet.secrets[i]);
        prfFloor.put(h.prfProbe.copy(), fleet.serials[i]);
      }
    }

    private void createFleet() throws SQLException {
      fleet = new Fleet(keys);
      Hashing h = new Hashing();
      for (int i = 0; i < keys; i++) {
        h.digest(fleet.secrets[i]);
        floor.put(HashedVerdict.of(KeyHash.of(h.out)), fleet.serials[i]);
      }
      h2Url = "jdbc:h2:mem:peer" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
      h2Keeper = DriverManager.getConnection(h2Url);
      h2Pool = JdbcConnectionPool.create(h2Url, "", "");
      h2Pool.setMaxConnections(16);
      try (Statement st = h2Keeper.createStatement()) {
        st.execute("CREATE TABLE api_key (key_hash BINARY(32) PRIMARY KEY, key_id VARCHAR(40) NOT NULL,"
            + " account_id VARCHAR(64) NOT NULL, device_serial VARCHAR(64) NOT NULL,"
            + " suspended BOOLEAN NOT NULL, expires_at TIMESTAMP WITH TIME ZONE)");
      }
      CachedKeyValidator lookup = fleet.keyseat.validator().maximumSize(Math.max(1, keys)).storeLookupsPerSecond(10_000_000)
          .build();
      try (PreparedStatement insert = h2Keeper.prepareStatement(
          "INSERT INTO api_key (key_hash, key_id, account_id, device_serial, suspended) VALUES (?, ?, ?, ?, FALSE)")) {
        for (int i = 0; i < keys; i++) {
          Verdict v = lookup.validate(fleet.secrets[i]);
          h.digest(fleet.secrets[i]);
          insert.setBytes(1, h.out.clone());
          insert.setString(2, v.keyId().value());
          insert.setString(3, v.accountId().value());
          insert.setString(4, v.deviceSerial());
          insert.addBatch();
          if (i % 1000 == 999) {
            insert.executeBatch();
          }
        }
        insert.executeBatch();
      }
      lookup.close();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      validator.close();
      preloaded.close();
      // the fleet and its H2 database stay for the next benchmark of this JVM
    }
  }

  /** Which cache answers {@code validateHotKey}: the default size-bounded one, or a preloaded one. */
  @State(Scope.Benchmark)
  public static class CacheMode {
    /** {@code bounded} (Caffeine W-TinyLFU, the default) or {@code preloaded} (unbounded). */
    @Param({"bounded", "preloaded"})
    public String cache;

    CachedKeyValidator validator;

    @Setup(Level.Trial)
    public void pick(Keys keys) {
      validator = "preloaded".equals(cache) ? keys.preloaded : keys.validator;
    }
  }

  /** One key, for the benchmarks that do not depend on how many keys exist. */
  @State(Scope.Benchmark)
  public static class OneKey {
    CachedKeyValidator validator;
    String malformed;
    String unknown;
    String secret;
    byte[] bcryptHash;

    @Setup(Level.Trial)
    public void setUp() {
      Fleet fleet = new Fleet(1);
      validator = fleet.keyseat.validator().build();
      secret = fleet.secrets[0];
      malformed = Fleet.withTypo(secret);
      unknown = Fleet.foreignKey();
      check(validator.validate(malformed), Verdict.Status.MALFORMED);
      check(validator.validate(unknown), Verdict.Status.UNKNOWN);
      bcryptHash = BCrypt.withDefaults().hash(10, secret.toCharArray());
    }

    private static void check(Verdict v, Verdict.Status expected) {
      if (v.status() != expected) {
        throw new IllegalStateException("setup: expected " + expected + ", got " + v);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      validator.close();
    }
  }

  /** Per-thread state: a random index, hashing buffers, an H2 connection. */
  @State(Scope.Thread)
  public static class PerThread {
    private final XorShift random = new XorShift();
    final Hashing hashing = new Hashing();
    Connection h2;
    PreparedStatement byHash;

    @Setup(Level.Trial)
    public void open(Keys keys) throws SQLException {
      h2 = DriverManager.getConnection(keys.h2Url);
      byHash = h2.prepareStatement(BY_HASH);
    }

    @TearDown(Level.Trial)
    public void close() throws SQLException {
      byHash.close();
      h2.close();
    }

    /** @return a uniformly chosen index below {@code n} (xorshift, multiply-shift range reduction) */
    int next(int n) {
      return random.next(n);
    }
  }

  /** Per-thread state for benchmarks that need no H2 connection. */
  @State(Scope.Thread)
  public static class Plain {
  }

  /** SHA-256 into reused buffers, without allocation. */
  static final class Hashing {
    final MessageDigest sha;
    final byte[] in = new byte[64];
    final byte[] out = new byte[32];
    final HashedVerdict probe = new HashedVerdict();
    final long[] high = new long[1];
    final PrfKey prfProbe = new PrfKey();

    Hashing() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @SuppressWarnings("deprecation")
    void digest(String key) {
      int n = key.length();
      key.getBytes(0, n, in, 0);
      sha.update(in, 0, n);
      try {
        sha.digest(out, 0, 32);
      } catch (java.security.DigestException e) {
        throw new IllegalStateException(e);
      }
    }

    @SuppressWarnings("deprecation")
    void prf(SipHash sip, String key) {
      int n = key.length();
      key.getBytes(0, n, in, 0);
      long a = sip.hash(in, 0, n, high);
      prfProbe.set(a, high[0]);
    }
  }

  /** A 128-bit PRF value as two longs, mutable so that one instance per thread can probe the map. */
  static final class PrfKey {
    long a;
    long b;

    void set(long a, long b) {
      this.a = a;
      this.b = b;
    }

    PrfKey copy() {
      PrfKey k = new PrfKey();
      k.set(a, b);
      return k;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PrfKey k && ((a ^ k.a) | (b ^ k.b)) == 0;
    }

    @Override
    public int hashCode() {
      return (int) a;
    }
  }

  // ------------------------------------------------------------------ floor

  @Benchmark
  public String floorSha256MapGet(Keys s, PerThread t) {
    String key = s.fleet.secrets[t.next(s.keys)];
    Hashing h = t.hashing;
    h.digest(key);
    h.probe.set(h.out);
    return s.floor.get(h.probe);
  }

  @Benchmark
  public String floorPrfMapGet(Keys s, PerThread t) {
    String key = s.fleet.secrets[t.next(s.keys)];
    Hashing h = t.hashing;
    h.prf(s.sip, key);
    return s.prfFloor.get(h.prfProbe);
  }

  // ------------------------------------------------------------------ Keyseat

  @Benchmark
  public Verdict validateHotKey(Keys s, CacheMode c, PerThread t) {
    return c.validator.validate(s.fleet.secrets[t.next(s.keys)]);
  }

  @Benchmark
  public Verdict validateMalformed(OneKey s, Plain t) {
    return s.validator.validate(s.malformed);
  }

  @Benchmark
  public Verdict validateUnknown(OneKey s, Plain t) {
    return s.validator.validate(s.unknown);
  }

  // ------------------------------------------------------------------ peers

  static final String BY_HASH =
      "SELECT key_id, account_id, device_serial, suspended, expires_at FROM api_key WHERE key_hash = ?";

  @Benchmark
  public String peerH2Lookup(Keys s, PerThread t) throws SQLException, NoSuchAlgorithmException {
    String key = s.fleet.secrets[t.next(s.keys)];
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    try (Connection c = s.h2Pool.getConnection(); PreparedStatement ps = c.prepareStatement(BY_HASH)) {
      ps.setBytes(1, hash);
      return serialIfValid(ps);
    }
  }

  /** Runs the query by hash and reads its row as a validator would: the serial if the key is valid. */
  private static String serialIfValid(PreparedStatement byHash) throws SQLException {
    try (ResultSet rs = byHash.executeQuery()) {
      if (!rs.next() || rs.getBoolean(4) || rs.getObject(5) != null) {
        return null;
      }
      rs.getString(1);
      rs.getString(2);
      return rs.getString(3);
    }
  }

  @Benchmark
  public String peerH2LookupHeldStatement(Keys s, PerThread t) throws SQLException {
    String key = s.fleet.secrets[t.next(s.keys)];
    Hashing h = t.hashing;
    h.digest(key);
    t.byHash.setBytes(1, h.out);
    return serialIfValid(t.byHash);
  }

  @Benchmark
  public boolean peerBcrypt(OneKey s, Plain t) {
    return BCrypt.verifyer().verify(s.secret.getBytes(StandardCharsets.US_ASCII), s.bcryptHash).verified;
  }
}
