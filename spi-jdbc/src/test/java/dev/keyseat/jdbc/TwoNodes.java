package dev.keyseat.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.Keyseat;
import dev.keyseat.spi.KeyStore;
import java.time.Clock;
import java.util.List;

/**
 * Two Keyseat instances ("nodes") on one database, each with its own connection pool and store,
 * as two JVMs would have. Close it to close the pools.
 */
final class TwoNodes implements AutoCloseable {
  final HikariDataSource poolA;
  final HikariDataSource poolB;
  final JdbcKeyStore storeA;
  final JdbcKeyStore storeB;
  final Keyseat a;
  final Keyseat b;

  TwoNodes(TestDatabase db, int poolSize, Clock clock) {
    poolA = db.newPool("node-a", poolSize);
    poolB = db.newPool("node-b", poolSize);
    storeA = JdbcKeyStore.builder(poolA).build();
    storeB = JdbcKeyStore.builder(poolB).build();
    a = Keyseat.builder(storeA).clock(clock).build();
    b = Keyseat.builder(storeB).clock(clock).build();
  }

  /** @return node a for even numbers, node b for odd ones */
  Keyseat node(int n) {
    return n % 2 == 0 ? a : b;
  }

  List<KeyStore> stores() {
    return List.of(storeA, storeB);
  }

  @Override
  public void close() {
    poolA.close();
    poolB.close();
  }
}
