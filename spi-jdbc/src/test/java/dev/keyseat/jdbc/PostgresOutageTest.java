package dev.keyseat.jdbc;

import static dev.keyseat.jdbc.Fixtures.ACME;
import static dev.keyseat.jdbc.Fixtures.T0;
import static dev.keyseat.jdbc.Fixtures.account;
import static dev.keyseat.jdbc.Fixtures.device;
import static dev.keyseat.jdbc.Fixtures.hash;
import static dev.keyseat.jdbc.Fixtures.key;
import static dev.keyseat.jdbc.Fixtures.keyId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The database stops under a running store: every call fails fast as unavailable, nothing hangs,
 * and the same store (and pool) works again once the database is back.
 */
class PostgresOutageTest {

  @Test
  void aStoppedDatabaseMakesEveryCallUnavailableAndTheStoreRecoversAfterRestart() throws Exception {
    try (TestDatabases.RestartablePostgres pg = TestDatabases.restartablePostgres().start();
        HikariDataSource pool = pg.database().newPool("outage-node", 4)) {
      pool.setConnectionTimeout(1000);
      JdbcKeyStore store = JdbcKeyStore.builder(pool).build();
      store.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 5)) && tx.insertDevice(device(ACME, "AQ-1"))
          && tx.insertKey(key(1, ACME, "AQ-1")));
      assertThat(store.findKeyByHash(hash("secret-1"))).isPresent();

      pg.stop();
      long start = System.nanoTime();
      List<Runnable> calls = List.of(
          () -> store.findKeyByHash(hash("secret-1")),
          () -> store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-2"))),
          () -> store.readAccount(ACME, tx -> tx.keys()),
          () -> store.changesSince(0, 10),
          () -> store.recordUsage(List.of(new UsageDelta(keyId(1), T0, 1))));
      for (Runnable call : calls) {
        assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining("retry later");
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(millis).as("five calls against a stopped database, in ms").isLessThan(15_000);

      pg.start();
      Optional<StoredKey> found = Optional.empty();
      for (int attempt = 1; attempt <= 3 && found.isEmpty(); attempt++) {
        try {
          found = store.findKeyByHash(hash("secret-1"));
        } catch (StoreUnavailableException brokenPooledConnection) {
          // the pool drops a connection of the old server when it fails; the next one is new
        }
      }
      assertThat(found).contains(key(1, ACME, "AQ-1"));
      boolean inserted = store.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-2")));
      assertThat(inserted).isTrue();
      System.out.printf("outage: 5 calls failed as unavailable in %d ms; recovered after restart%n", millis);
    }
  }
}
