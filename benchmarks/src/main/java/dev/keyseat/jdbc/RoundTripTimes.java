package dev.keyseat.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyPage;
import dev.keyseat.KeyQuery;
import dev.keyseat.KeySort;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyPosition;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;

/**
 * A driver, not JMH: where the time of a {@code KeyManager} call on PostgreSQL goes, round trip by
 * round trip. On a fresh embedded PostgreSQL with autovacuum off (so the tables stay unanalyzed,
 * as in {@code JdbcStoreBenchmark}'s fresh database during its few seconds of measurement), it grows
 * an account to 20,000 keys in calls of 1,000, then prints for pages of 100 by creation and by
 * device name: the p50 of 500 calls, each JDBC call of one page call with its time, and EXPLAIN
 * (ANALYZE, BUFFERS) of the page query as the store sends it; then the same trace for a creation of
 * 1 and of 50 keys.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar dev.keyseat.jdbc.RoundTripTimes
 * }</pre>
 */
public final class RoundTripTimes {
  private static final Actor ADMIN = Actor.user("admin");
  private static final int GROWN = 20_000;
  private static final int BATCH = 1_000;
  private static final List<String> trace = new ArrayList<>();
  private static volatile boolean tracing;

  private RoundTripTimes() {}

  public static void main(String[] args) throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("autovacuum", "off")
        .setPGStartupWait(Duration.ofMinutes(2)).start()) {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
      config.setUsername("postgres");
      config.setMaximumPoolSize(4);
      try (HikariDataSource pool = new HikariDataSource(config)) {
        run(pool);
      }
    }
  }

  private static void run(HikariDataSource pool) throws SQLException {
    KeyManager m = Keyseat.builder(JdbcKeyStore.builder(timed(pool)).createSchemaIfMissing(true).build()).build()
        .manager();
    AccountId account = AccountId.of("grow-1");
    m.createAccount(Actor.operator("bench"), account, new NewAccount("Grow 1", UserId.of("admin"), GROWN + 100));
    List<NewDevice> spare = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      spare.add(new NewDevice(String.format("S1-%05d", i), "Spare " + i));
    }
    m.associateDevices(ADMIN, account, spare);
    for (int from = 0; from < GROWN; from += BATCH) {
      List<NewDevice> devices = new ArrayList<>();
      List<String> serials = new ArrayList<>();
      for (int i = from; i < from + BATCH; i++) {
        devices.add(new NewDevice(String.format("G1-%05d", i), "Monitor " + (i * 7919 % GROWN)));
        serials.add(String.format("G1-%05d", i));
      }
      m.associateDevices(ADMIN, account, devices);
      m.createKeys(ADMIN, account, NewKeys.forDevices(serials));
    }
    for (KeySort sort : new KeySort[] {KeySort.CREATED, KeySort.DEVICE_NAME}) {
      KeyQuery first = KeyQuery.first(100).withSort(sort, false);
      List<String> cursors = new ArrayList<>();
      cursors.add(null);
      KeyPage page = m.keys(ADMIN, account, first);
      while (page.next() != null) {
        cursors.add(page.next());
        page = m.keys(ADMIN, account, first.withAfter(page.next()));
      }
      Random random = new Random(1);
      long[] t = new long[500];
      for (int i = -300; i < t.length; i++) {
        long start = System.nanoTime();
        m.keys(ADMIN, account, first.withAfter(cursors.get(random.nextInt(cursors.size()))));
        if (i >= 0) {
          t[i] = System.nanoTime() - start;
        }
      }
      Arrays.sort(t);
      System.out.printf("%npage of 100 by %s from %,d keys (unanalyzed tables): p50 %.3f ms, p90 %.3f ms%n", sort,
          GROWN, t[250] / 1e6, t[450] / 1e6);
      traced("one page call", () -> m.keys(ADMIN, account, first.withAfter(cursors.get(100))));
      explain(pool, account, sort);
    }
    traced("a creation of 1 key", () -> m.createKeys(ADMIN, account, NewKeys.forDevices("S1-00000")));
    List<String> fifty = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      fifty.add(String.format("S1-%05d", i));
    }
    traced("a creation of 50 keys", () -> m.createKeys(ADMIN, account, NewKeys.forDevices(fifty)));
  }

  private static void traced(String what, Runnable call) {
    synchronized (trace) {
      trace.clear();
    }
    tracing = true;
    long start = System.nanoTime();
    call.run();
    long total = System.nanoTime() - start;
    tracing = false;
    System.out.printf("%s: %.1f us in all%n", what, total / 1e3);
    synchronized (trace) {
      trace.forEach(System.out::println);
    }
  }

  /** EXPLAIN (ANALYZE, BUFFERS) of the page query as the store sends it, from the middle of the account. */
  private static void explain(DataSource pool, AccountId account, KeySort sort) throws SQLException {
    try (Connection c = pool.getConnection()) {
      KeyPosition middle;
      try (PreparedStatement ps = c.prepareStatement("SELECT key_id, created_at, ordinal, device_name_folded"
          + " FROM keyseat_api_key WHERE account_id = ? ORDER BY " + (sort == KeySort.CREATED
          ? "created_at, ordinal, key_id" : "device_name_folded, key_id") + " OFFSET 10000 LIMIT 1")) {
        ps.setString(1, account.value());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          middle = sort == KeySort.CREATED
              ? new KeyPosition(null, Columns.instant(rs.getBigDecimal(2)), rs.getLong(3), KeyId.of(rs.getString(1)))
              : new KeyPosition(rs.getString(4), null, 0, KeyId.of(rs.getString(1)));
        }
      }
      Dialect dialect = Dialect.forProduct("PostgreSQL");
      KeyPageSql.Statement page = KeyPageSql.page(dialect, account.value(),
          new KeyPageRequest(null, sort, false, middle, 100, null, Instant.now()));
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(dialect.beginStatements(Dialect.Level.SNAPSHOT, 0, 0) + "SELECT 1");
      }
      try (PreparedStatement ps = c.prepareStatement(dialect.inIndexOrder("EXPLAIN (ANALYZE, BUFFERS) " + page.sql()))) {
        page.bind(ps);
        boolean rows = ps.execute();
        while (!rows) {
          rows = ps.getMoreResults();
        }
        System.out.println("EXPLAIN (ANALYZE, BUFFERS), as sent:");
        try (ResultSet rs = ps.getResultSet()) {
          while (rs.next()) {
            System.out.println("  " + rs.getString(1));
          }
        }
      } finally {
        c.rollback();
      }
    }
  }

  private static void record(String what, long nanos) {
    if (tracing) {
      synchronized (trace) {
        trace.add(String.format("  %9.1f us  %s", nanos / 1e3, what));
      }
    }
  }

  private static String head(String sql) {
    String s = sql.replaceAll("\\s+", " ");
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }

  /** The pool, with each JDBC call that costs a round trip timed while tracing. */
  private static DataSource timed(DataSource pool) {
    return (DataSource) Proxy.newProxyInstance(RoundTripTimes.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, m, args) -> {
          Object result = invoke(pool, m, args);
          return result instanceof Connection c && m.getName().equals("getConnection") ? connection(c) : result;
        });
  }

  private static Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(RoundTripTimes.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, m, args) -> {
          long start = System.nanoTime();
          Object result = invoke(c, m, args);
          if (m.getName().equals("commit") || m.getName().equals("rollback")) {
            record(m.getName(), System.nanoTime() - start);
          }
          if (result instanceof PreparedStatement ps && m.getName().equals("prepareStatement")) {
            return statement(ps, (String) args[0]);
          }
          return result;
        });
  }

  private static PreparedStatement statement(PreparedStatement ps, String sql) {
    return (PreparedStatement) Proxy.newProxyInstance(RoundTripTimes.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, (proxy, m, args) -> {
          long start = System.nanoTime();
          Object result = invoke(ps, m, args);
          if (m.getName().startsWith("execute")) {
            record(m.getName() + "  " + head(sql), System.nanoTime() - start);
          }
          return result;
        });
  }

  private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
