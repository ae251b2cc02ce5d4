package dev.keyseat.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.FeedSchemes;
import dev.keyseat.jdbc.JdbcKeyStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Key creation across accounts on PostgreSQL with durable commits ({@code fsync} and
 * {@code synchronous_commit} on): 1, 2, 4, 8 and 16 accounts, one writer thread each, batches of 1
 * and 50 keys per {@code KeyManager.createKeys} call, for four writers measured in the same run:
 *
 * <ul>
 *   <li>{@code keyseat}: the store as shipped (feed rows numbered by feed readers after commit;
 *       nothing shared by all accounts in the commit path);
 *   <li>{@code keyseat-counter}: the same store numbering its feed under the counter row at
 *       commit, the scheme before 0.1.0 ({@link FeedSchemes});
 *   <li>{@code raw-counter} and {@code raw}: the control, the statements of one call in plain JDBC:
 *       lock the account row, insert the keys, their audit entries and feed rows, then either take
 *       numbers from the counter row ({@code raw-counter}) or add to the account's key count
 *       ({@code raw}); one transaction.
 * </ul>
 *
 * <p>Each point: fresh accounts of 20,000 devices (bulk SQL), beside 50,000 filler keys, {@code
 * VACUUM ANALYZE} and a {@code CHECKPOINT}, 1 s of warm-up, then keys created in {@code seconds}
 * (default 3) of measurement. Prints one line per point and a Markdown table.
 *
 * <pre>{@code java -cp benchmarks/target/benchmarks.jar dev.keyseat.benchmarks.CrossAccountWrites [seconds]}</pre>
 */
public final class CrossAccountWrites {
  static final int[] ACCOUNTS = {1, 2, 4, 8, 16};
  static final int[] BATCHES = {1, 50};
  static final List<String> WRITERS = List.of("keyseat", "keyseat-counter", "raw", "raw-counter");
  static final int DEVICES = 20_000;
  static final Actor OPS = Actor.operator("ops");
  static final Actor ADMIN = Actor.user("admin");

  private CrossAccountWrites() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    Path dir = Files.createTempDirectory("keyseat-cross-account");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
        .setServerConfig("shared_buffers", "256MB").setServerConfig("max_connections", "60")
        .setPGStartupWait(Duration.ofMinutes(2)).start()) {
      try (HikariDataSource pool = Pools.postgres(pg, 24)) {
        JdbcKeyStore store = JdbcKeyStore.builder(pool).createSchemaIfMissing(true).build();
        JdbcKeyStore counter = FeedSchemes.numberedAtCommit(JdbcKeyStore.builder(pool)).build();
        KeyManager shipped = Keyseat.builder(store).build().manager();
        KeyManager legacy = Keyseat.builder(counter).build().manager();
        filler(pool, shipped);
        System.out.println("load before: " + Files.readString(Path.of("/proc/loadavg")).strip());
        double[][][] result = new double[WRITERS.size()][ACCOUNTS.length][BATCHES.length];
        int run = 0;
        for (int bi = 0; bi < BATCHES.length; bi++) {
          for (int ai = 0; ai < ACCOUNTS.length; ai++) {
            for (int wi = 0; wi < WRITERS.size(); wi++) {
              String writer = WRITERS.get(wi);
              List<AccountId> ids = new ArrayList<>();
              for (int a = 0; a < ACCOUNTS[ai]; a++) {
                AccountId id = AccountId.of("r" + (run++));
                shipped.createAccount(OPS, id, new NewAccount(id.value(), UserId.of("admin"), DEVICES));
                devices(pool, id);
                ids.add(id);
              }
              settle(pool);
              KeyManager manager = writer.equals("keyseat-counter") ? legacy : shipped;
              result[wi][ai][bi] = measure(pool, manager, writer, ids, BATCHES[bi], seconds);
              System.out.printf("%-16s accounts %2d batch %2d: %8.0f keys/s%n", writer, ACCOUNTS[ai], BATCHES[bi],
                  result[wi][ai][bi]);
            }
          }
        }
        System.out.println("load after: " + Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.println();
        System.out.println("| writer | batch | 1 | 2 | 4 | 8 | 16 |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (int bi = 0; bi < BATCHES.length; bi++) {
          for (int wi = 0; wi < WRITERS.size(); wi++) {
            StringBuilder line = new StringBuilder("| " + WRITERS.get(wi) + " | " + BATCHES[bi] + " |");
            for (int ai = 0; ai < ACCOUNTS.length; ai++) {
              line.append(String.format(" %,.0f |", result[wi][ai][bi]));
            }
            System.out.println(line);
          }
        }
      }
    }
  }

  /** 50,000 keys in one account, so that the tables and indexes are not empty. */
  static void filler(HikariDataSource pool, KeyManager manager) throws SQLException {
    AccountId filler = AccountId.of("filler");
    manager.createAccount(OPS, filler, new NewAccount("Filler", UserId.of("admin"), 50_000));
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("INSERT INTO keyseat_device (serial, account_id, name, model, associated_at)"
          + " SELECT 'F-' || i, 'filler', 'Monitor', '', 1767225600 FROM generate_series(1, 50000) i");
      st.execute("INSERT INTO keyseat_api_key (key_id, account_id, device_serial, hash, hint, label, created_at,"
          + " suspended, ordinal, device_name_folded) SELECT 'key_filler' || lpad(i::text, 8, '0'), 'filler', 'F-' || i,"
          + " sha256(('filler' || i)::bytea), 'ks_…', '', 1767225600, false, i, 'monitor' FROM generate_series(1, 50000) i");
      st.execute("UPDATE keyseat_account SET key_count = 50000 WHERE account_id = 'filler'");
    }
  }

  static void devices(HikariDataSource pool, AccountId id) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO keyseat_device (serial, account_id, name, model, associated_at)"
            + " SELECT ? || '-' || i, ?, 'Monitor', '', 1767225600 FROM generate_series(1, ?) i")) {
      ps.setString(1, id.value());
      ps.setString(2, id.value());
      ps.setInt(3, DEVICES);
      ps.execute();
    }
  }

  static void settle(HikariDataSource pool) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("VACUUM ANALYZE");
      st.execute("CHECKPOINT");
    }
  }

  /** @return keys created per second over the measurement, all writers together */
  static double measure(HikariDataSource pool, KeyManager manager, String writer, List<AccountId> ids, int batch,
      double seconds) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(ids.size());
    AtomicInteger measured = new AtomicInteger();
    CountDownLatch ready = new CountDownLatch(ids.size());
    long warmEnd = System.nanoTime() + 1_000_000_000L + 50_000_000L * ids.size();
    long end = warmEnd + (long) (seconds * 1e9);
    List<Future<?>> running = new ArrayList<>();
    for (AccountId id : ids) {
      running.add(threads.submit(() -> {
        ready.countDown();
        int next = 1;
        while (System.nanoTime() < end && next + batch - 1 <= DEVICES) {
          List<String> serials = new ArrayList<>();
          for (int i = 0; i < batch; i++) {
            serials.add(id.value() + "-" + (next++));
          }
          if (writer.startsWith("raw")) {
            raw(pool, id, serials, writer.equals("raw-counter"));
          } else {
            manager.createKeys(ADMIN, id, NewKeys.forDevices(serials));
          }
          long now = System.nanoTime();
          if (now >= warmEnd && now < end) {
            measured.addAndGet(batch);
          }
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    threads.shutdown();
    return measured.get() / seconds;
  }

  private static final AtomicInteger RAW_KEYS = new AtomicInteger();

  /** The statements of one createKeys call, without Keyseat: the control. */
  static void raw(HikariDataSource pool, AccountId id, List<String> serials, boolean counter) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement(
          "SELECT contracted_licenses, key_count FROM keyseat_account WHERE account_id = ? FOR UPDATE")) {
        lock.setString(1, id.value());
        lock.executeQuery().close();
      }
      List<String> keyIds = new ArrayList<>();
      try (PreparedStatement key = c.prepareStatement("INSERT INTO keyseat_api_key (key_id, account_id,"
          + " device_serial, hash, hint, label, created_at, suspended, ordinal, device_name_folded)"
          + " VALUES (?, ?, ?, sha256(?::bytea), 'ks_…', '', 1767225600, false, ?, 'monitor')")) {
        for (String serial : serials) {
          String keyId = "key_raw" + String.format("%09d", RAW_KEYS.incrementAndGet());
          keyIds.add(keyId);
          key.setString(1, keyId);
          key.setString(2, id.value());
          key.setString(3, serial);
          key.setString(4, keyId);
          key.setLong(5, keyIds.size());
          key.addBatch();
        }
        key.executeBatch();
      }
      try (PreparedStatement audit = c.prepareStatement("INSERT INTO keyseat_audit (account_id, seq, at, actor,"
          + " action, key_id, device_serial, outcome, detail) SELECT ?, COALESCE(MAX(seq), 0) + 1, 1767225600,"
          + " 'admin', 'CREATE_KEY', ?, ?, 'OK', '' FROM keyseat_audit WHERE account_id = ?")) {
        for (int i = 0; i < serials.size(); i++) {
          audit.setString(1, id.value());
          audit.setString(2, keyIds.get(i));
          audit.setString(3, serials.get(i));
          audit.setString(4, id.value());
          audit.addBatch();
        }
        audit.executeBatch();
      }
      if (counter) {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE keyseat_change_seq SET last_seq = last_seq + ? WHERE id = 1")) {
          ps.setInt(1, serials.size());
          ps.executeUpdate();
        }
      } else {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE keyseat_account SET key_count = key_count + ? WHERE account_id = ?")) {
          ps.setInt(1, serials.size());
          ps.setString(2, id.value());
          ps.executeUpdate();
        }
      }
      try (PreparedStatement change = c.prepareStatement(counter
          ? "INSERT INTO keyseat_change (seq, type, account_id, key_id, hashes, at, numbered_at)"
              + " SELECT last_seq - ?, 'CREATED', ?, ?, sha256(?::bytea), 1767225600, 1767225600"
              + " FROM keyseat_change_seq WHERE id = 1"
          : "INSERT INTO keyseat_change (type, account_id, key_id, hashes, at)"
              + " VALUES ('CREATED', ?, ?, sha256(?::bytea), 1767225600)")) {
        for (int i = 0; i < serials.size(); i++) {
          int p = 1;
          if (counter) {
            change.setLong(p++, serials.size() - 1L - i);
          }
          change.setString(p++, id.value());
          change.setString(p++, keyIds.get(i));
          change.setString(p, keyIds.get(i));
          change.addBatch();
        }
        change.executeBatch();
      }
      c.commit();
    }
  }
}
