package dev.keyseat.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyImport;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.LegacyKeyShape;
import dev.keyseat.NewAccount;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.JdbcKeyStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Import throughput on PostgreSQL (embedded, Zonky): {@code KeyManager.importKeys} in batches of
 * 1,000 (what {@code keyseat-cli keys import} runs), against the floor measured in the same run:
 * plain JDBC batch INSERTs of the same device and key rows into the same tables, one transaction
 * per 1,000 keys, with no checks, no audit and no change feed. Each round imports into a fresh
 * account; rounds alternate floor and import so that drifting machine load hits both alike.
 *
 * <pre>{@code
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.keyseat.benchmarks.ImportThroughput 20000 3
 * }</pre>
 */
public final class ImportThroughput {
  private static final int BATCH = 1000;
  private static final Actor OPERATOR = Actor.operator("bench");

  private ImportThroughput() {}

  /**
   * @param args keys per round (default 20,000), rounds (default 3)
   * @throws Exception if the database fails
   */
  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.out.println("load before: " + Files.readString(Path.of("/proc/loadavg")).strip());
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofMinutes(2)).start()) {
      try (HikariDataSource pool = Pools.postgres(pg, 2)) {
        JdbcKeyStore store = JdbcKeyStore.builder(pool).createSchemaIfMissing(true).build();
        KeyManager manager = Keyseat.builder(store).legacyKeyShapes(LegacyKeyShape.uuid()).build().manager();
        List<Double> floor = new ArrayList<>();
        List<Double> imports = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          floor.add(plainInserts(pool, manager, round, keys));
          imports.add(imported(manager, round, keys));
          System.out.printf(Locale.ROOT, "round %d: floor %,.0f keys/s, importKeys %,.0f keys/s (%.2fx the floor)%n",
              round + 1, floor.get(round), imports.get(round), imports.get(round) / floor.get(round));
        }
        double f = median(floor);
        double i = median(imports);
        System.out.printf(Locale.ROOT, "median of %d rounds of %,d keys: floor %,.0f keys/s, importKeys %,.0f keys/s,"
            + " ratio %.2f%n", rounds, keys, f, i, i / f);
      }
    }
    System.out.println("load after: " + Files.readString(Path.of("/proc/loadavg")).strip());
  }

  /** @return keys per second of {@code importKeys}, associating each device */
  private static double imported(KeyManager manager, int round, int keys) {
    AccountId account = AccountId.of("imp" + round);
    manager.createAccount(OPERATOR, account, new NewAccount("Import " + round, UserId.of("admin"), keys));
    List<KeyImport> records = new ArrayList<>(keys);
    Instant then = Instant.parse("2024-01-01T00:00:00Z");
    for (int n = 0; n < keys; n++) {
      records.add(KeyImport.ofSecret("I" + round + "-" + n, uuid(round, n, 1)).withCreatedAt(then));
    }
    long start = System.nanoTime();
    for (int from = 0; from < keys; from += BATCH) {
      manager.importKeys(OPERATOR, account, records.subList(from, Math.min(keys, from + BATCH)), true);
    }
    return keys / ((System.nanoTime() - start) / 1e9);
  }

  /** @return keys per second of plain batch INSERTs of the same rows (device + key) */
  private static double plainInserts(HikariDataSource pool, KeyManager manager, int round, int keys) throws Exception {
    AccountId account = AccountId.of("floor" + round);
    manager.createAccount(OPERATOR, account, new NewAccount("Floor " + round, UserId.of("admin"), keys));
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    BigDecimal at = new BigDecimal("1704067200.000000000");
    long start = System.nanoTime();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement device = c.prepareStatement("INSERT INTO keyseat_device"
          + " (serial, account_id, name, model, associated_at) VALUES (?, ?, ?, '', ?)");
          PreparedStatement key = c.prepareStatement("INSERT INTO keyseat_api_key (key_id, account_id, device_serial,"
              + " hash, hint, label, created_at, suspended, ordinal, device_name_folded)"
              + " VALUES (?, ?, ?, ?, ?, '', ?, false, ?, lower(?))")) {
        for (int n = 0; n < keys; n++) {
          String serial = "F" + round + "-" + n;
          device.setString(1, serial);
          device.setString(2, account.value());
          device.setString(3, serial);
          device.setBigDecimal(4, at);
          device.addBatch();
          String secret = uuid(round, n, 2);
          key.setString(1, "key_f" + round + "_" + n);
          key.setString(2, account.value());
          key.setString(3, serial);
          key.setBytes(4, sha.digest(secret.getBytes(StandardCharsets.US_ASCII)));
          key.setString(5, "..." + secret.substring(32));
          key.setBigDecimal(6, at);
          key.setLong(7, n + 1L);
          key.setString(8, serial); // the device's name is its serial (ASCII: lower() folds as the store does)
          key.addBatch();
          if ((n + 1) % BATCH == 0 || n + 1 == keys) {
            device.executeBatch();
            key.executeBatch();
            c.commit();
          }
        }
      }
    }
    return keys / ((System.nanoTime() - start) / 1e9);
  }

  private static String uuid(int round, int n, int kind) {
    return new UUID(0x1111_0000_0000_4000L | ((long) round << 16) | kind, 0x8000_0000_0000_0000L | n).toString();
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
