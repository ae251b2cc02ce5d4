package dev.keyseat.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyImport;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyQuery;
import dev.keyseat.KeySort;
import dev.keyseat.Keyseat;
import dev.keyseat.LegacyKeyShape;
import dev.keyseat.NewAccount;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The JDBC store's round trips do not grow with the work: a batch of key creations, an import, a
 * page of the keys table, the whole table and the operator's account list each cost a constant
 * number of statements whatever their size (counted at the JDBC driver: each {@code execute*}
 * call, a JDBC batch counting once).
 */
class JdbcRoundTripsTest {
  @Nested
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends RoundTrips {
    @Override
    TestDatabase database() {
      return TestDatabases.postgres();
    }
  }

  @Nested
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends RoundTrips {
    @Override
    TestDatabase database() {
      return TestDatabases.h2();
    }
  }
}

/** The tests of {@link JdbcRoundTripsTest}, run on each database. */
abstract class RoundTrips {
  static final Actor OPERATOR = Actor.operator("ops");
  static final Actor ADMIN = Actor.user("admin");

  /** Statement executions through the counting data source. */
  final AtomicInteger executions = new AtomicInteger();
  KeyManager keys;
  /** Whether the store sends several statements per round trip (PostgreSQL). */
  boolean multiStatements;

  abstract TestDatabase database();

  @BeforeEach
  void countingStore() {
    database().clear();
    JdbcKeyStore store = JdbcKeyStore.builder(counting(database().dataSource())).build();
    multiStatements = store.dialect().facts.multiStatements();
    keys = Keyseat.builder(store).legacyKeyShapes(LegacyKeyShape.uuid()).build().manager();
  }

  AccountId accountWithDevices(String id, int devices) {
    return Fixtures.accountWithDevices(keys, ADMIN, id, 2_000, devices);
  }

  static List<String> serials(String account, int from, int to) {
    List<String> s = new ArrayList<>();
    for (int i = from; i < to; i++) {
      s.add(account + "-" + i);
    }
    return s;
  }

  int counted(Runnable work) {
    int before = executions.get();
    work.run();
    return executions.get() - before;
  }

  @Test
  void aBatchOfKeyCreationsCostsTheSameStatementsWhateverItsSize() {
    AccountId a = accountWithDevices("a", 400);
    keys.createKeys(ADMIN, a, NewKeys.forDevices(serials("a", 0, 2)));
    IntFunction<Integer> batchOf = new IntFunction<>() {
      int next = 2;

      @Override
      public Integer apply(int n) {
        List<String> s = serials("a", next, next + n);
        next += n;
        return counted(() -> keys.createKeys(ADMIN, a, NewKeys.forDevices(s)));
      }
    };
    int one = batchOf.apply(1);
    assertThat(List.of(batchOf.apply(10), batchOf.apply(300)))
        .as("a batch of 10 and of 300 keys costs the statements of a batch of 1 (%s)", one)
        .containsOnly(one);
  }

  /**
   * PostgreSQL: start, account lock, member, licenses, policy and last ordinal in one round trip;
   * the batch's devices; the batch's insert; audit, key count, feed rows and notification in one;
   * commit (14 before issue 13: a statement each, and the start on its own; 8 with licenses, policy
   * and last ordinal read each on its own). H2 keeps one statement each. A page: start, account and
   * member; the page; commit (5 before).
   */
  @Test
  void aKeyCreationAndAPageCostAFixedNumberOfRoundTrips() {
    AccountId a = accountWithDevices("f", 3);
    keys.createKeys(ADMIN, a, NewKeys.forDevices(serials("f", 0, 1)));
    assertThat(counted(() -> keys.createKeys(ADMIN, a, NewKeys.forDevices(serials("f", 1, 3)))))
        .as("a key creation").isEqualTo(multiStatements ? 5 : 14);
    assertThat(counted(() -> keys.keys(ADMIN, a, KeyQuery.first(100).withSort(KeySort.DEVICE_NAME, false))))
        .as("a page of the keys table").isEqualTo(multiStatements ? 3 : 4);
  }

  @Test
  void anImportCostsTheSameStatementsWhateverItsSize() {
    AccountId a = accountWithDevices("i", 0);
    IntFunction<Integer> importOf = new IntFunction<>() {
      int next;

      @Override
      public Integer apply(int n) {
        List<KeyImport> records = new ArrayList<>();
        for (int i = next; i < next + n; i++) {
          records.add(KeyImport.ofSecret("i-" + i, new UUID(0x1111_0000_0000_4000L, 0x8000_0000_0000_0000L | i)
              .toString()));
        }
        next += n;
        return counted(() -> keys.importKeys(OPERATOR, a, records, true));
      }
    };
    importOf.apply(1);
    int one = importOf.apply(1);
    assertThat(importOf.apply(200)).as("an import of 200 records costs the statements of an import of 1")
        .isEqualTo(one);
  }

  @Test
  void aPageOfTheKeysTableCostsTheSameStatementsWhateverTheAccountsSize() {
    AccountId small = accountWithDevices("s", 5);
    keys.createKeys(ADMIN, small, NewKeys.forDevices(serials("s", 0, 5)));
    AccountId large = accountWithDevices("l", 500);
    keys.createKeys(ADMIN, large, NewKeys.forDevices(serials("l", 0, 500)));
    for (KeyQuery q : List.of(KeyQuery.first(100), KeyQuery.first(100).withSort(KeySort.DEVICE_NAME, true),
        KeyQuery.first(100).withSearch("monitor 1"))) {
      int onSmall = counted(() -> keys.keys(ADMIN, small, q));
      assertThat(counted(() -> keys.keys(ADMIN, large, q))).as("a page of %s from 500 keys costs as from 5", q)
          .isEqualTo(onSmall);
    }
    assertThat(counted(() -> keys.keys(ADMIN, large))).as("the whole table of 500 keys costs as of 5")
        .isEqualTo(counted(() -> keys.keys(ADMIN, small)));
    assertThat(counted(() -> keys.keysUnusedSince(ADMIN, large, java.time.Instant.now())))
        .as("the unused keys of 500 cost as of 5")
        .isEqualTo(counted(() -> keys.keysUnusedSince(ADMIN, small, java.time.Instant.now())));
  }

  @Test
  void theOperatorsAccountListCostsTheSameStatementsWhateverThePageSize() {
    for (int i = 0; i < 30; i++) {
      keys.createAccount(OPERATOR, AccountId.of("acct-" + i), new NewAccount("A " + i, UserId.of("admin"), 3));
    }
    int two = counted(() -> keys.accounts(OPERATOR, null, 2));
    assertThat(counted(() -> keys.accounts(OPERATOR, null, 30))).as("a page of 30 accounts costs as a page of 2")
        .isEqualTo(two);
  }

  private DataSource counting(DataSource target) {
    Set<String> executing = Set.of("execute", "executeQuery", "executeUpdate", "executeBatch", "executeLargeUpdate",
        "executeLargeBatch");
    return new DataSource() {
      @Override
      public Connection getConnection() throws java.sql.SQLException {
        return wrap(target.getConnection());
      }

      @Override
      public Connection getConnection(String user, String password) throws java.sql.SQLException {
        return wrap(target.getConnection(user, password));
      }

      private Connection wrap(Connection c) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
            (proxy, m, args) -> {
              Object result = invoke(c, m, args);
              if (result instanceof Statement st) {
                Class<?> type = m.getReturnType();
                return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, (p2, m2, a2) -> {
                  if (executing.contains(m2.getName())) {
                    executions.incrementAndGet();
                  }
                  return invoke(st, m2, a2);
                });
              }
              if (m.getName().equals("commit")) {
                executions.incrementAndGet();
              }
              return result;
            });
      }

      private Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
          return m.invoke(target, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      }

      @Override
      public PrintWriter getLogWriter() throws java.sql.SQLException {
        return target.getLogWriter();
      }

      @Override
      public void setLogWriter(PrintWriter out) throws java.sql.SQLException {
        target.setLogWriter(out);
      }

      @Override
      public void setLoginTimeout(int seconds) throws java.sql.SQLException {
        target.setLoginTimeout(seconds);
      }

      @Override
      public int getLoginTimeout() throws java.sql.SQLException {
        return target.getLoginTimeout();
      }

      @Override
      public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
      }

      @Override
      public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
        return target.unwrap(iface);
      }

      @Override
      public boolean isWrapperFor(Class<?> iface) throws java.sql.SQLException {
        return target.isWrapperFor(iface);
      }
    };
  }
}
