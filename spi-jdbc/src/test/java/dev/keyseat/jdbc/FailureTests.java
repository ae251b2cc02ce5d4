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

import dev.keyseat.Account;
import dev.keyseat.Device;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.UsageDelta;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries of transactions the database rolled back, and everything else surfacing as
 * {@link StoreUnavailableException} with nothing changed; failures are injected with the SQLStates
 * the database would use. Extended once per database by {@link JdbcFailureTest}.
 */
abstract class FailureTests {
  FaultyDataSource faulty;
  JdbcKeyStore store;
  JdbcKeyStore plain;
  final AtomicInteger runs = new AtomicInteger();

  abstract TestDatabase database();

  @BeforeEach
  void freshStore() {
    database().clear();
    faulty = new FaultyDataSource(database().dataSource());
    store = JdbcKeyStore.builder(faulty).maxAttempts(3).retryBackoff(Duration.ZERO, Duration.ofMillis(5)).build();
    plain = database().storeBuilder().build();
    plain.inAccount(ACME, tx -> tx.insertAccount(account(ACME, 5)));
  }

  private boolean insertDevice(AccountTransaction tx, Device d) {
    runs.incrementAndGet();
    return tx.insertDevice(d);
  }

  private List<Device> devices() {
    return plain.readAccount(ACME, AccountTransaction::devices);
  }

  @Test
  void aTransactionRolledBackForADeadlockIsRunAgainAndCommitsOnce() {
    faulty.failCommits(2, database().deadlockState());
    boolean inserted = store.inAccount(ACME, tx -> insertDevice(tx, device(ACME, "AQ-1")));
    assertThat(inserted).isTrue();
    assertThat(runs).hasValue(3);
    assertThat(devices()).containsExactly(device(ACME, "AQ-1"));
  }

  @Test
  void aSerializationFailureInsideTheWorkRestartsItFromTheBeginning() {
    faulty.failStatements("INSERT INTO keyseat_device", 1, "40001");
    boolean inserted = store.inAccount(ACME, tx -> insertDevice(tx, device(ACME, "AQ-1")));
    assertThat(inserted).isTrue();
    assertThat(runs).hasValue(2);
    assertThat(devices()).hasSize(1);
  }

  @Test
  void afterTheLastAttemptTheStoreIsUnavailableAndNothingChanged() {
    faulty.failCommits(10, database().deadlockState());
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> insertDevice(tx, device(ACME, "AQ-1"))))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("SQLState " + database().deadlockState())
        .hasMessageContaining("after 3 attempts")
        .hasMessageContaining("nothing was changed");
    assertThat(runs).hasValue(3);
    assertThat(devices()).isEmpty();
  }

  @Test
  void aLostConnectionAtCommitIsNotRetriedAndTheMessageSaysTheOutcomeIsUnknown() {
    faulty.failCommits(1, "08006");
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> insertDevice(tx, device(ACME, "AQ-1"))))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("08006")
        .hasMessageContaining("unknown");
    assertThat(runs).hasValue(1);
  }

  @Test
  void aStoreFailureThatTheWorkSwallowsStillRollsTheTransactionBack() {
    faulty.failStatements("FROM keyseat_device", 1, "08003");
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      tx.insertDevice(device(ACME, "AQ-1"));
      try {
        tx.devices();
      } catch (RuntimeException swallowed) {
        // a careless work goes on
      }
      return tx.insertDevice(device(ACME, "AQ-2"));
    })).isInstanceOf(StoreUnavailableException.class).hasMessageContaining("08003");
    assertThat(devices()).isEmpty();
  }

  @Test
  void theWorksOwnExceptionIsNeitherRetriedNorWrapped() {
    IllegalArgumentException own = new IllegalArgumentException("the work's own");
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> {
      insertDevice(tx, device(ACME, "AQ-1"));
      throw own;
    })).isSameAs(own);
    assertThat(runs).hasValue(1);
    assertThat(devices()).isEmpty();
  }

  @Test
  void aUsageFlushRolledBackForADeadlockIsWrittenOnceOnRetry() {
    plain.inAccount(ACME, tx -> tx.insertDevice(device(ACME, "AQ-1")) && tx.insertKey(key(1, ACME, "AQ-1")));
    faulty.failCommits(1, database().deadlockState());
    store.recordUsage(List.of(new UsageDelta(keyId(1), T0, 5)));
    KeyUsage usage = plain.readAccount(ACME, tx -> tx.usage(keyId(1)));
    assertThat(usage).isEqualTo(new KeyUsage(T0, 5));
  }

  @Test
  void failureMessagesCarryNoDataValues() {
    String secretLikeName = "name-7f3a9c1e-never-in-messages";
    faulty.failStatements("INSERT INTO keyseat_device", 5, "23514");
    assertThatThrownBy(() -> store.inAccount(ACME, tx -> tx.insertDevice(
        new Device("AQ-1", ACME, secretLikeName, "model", T0))))
        .isInstanceOf(StoreUnavailableException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secretLikeName).doesNotContain("AQ-1")
            .contains("23514"));
  }

  @Test
  void everyOperationReportsAnUnreachableDatabaseAsUnavailable() {
    faulty.down(true);
    List<Runnable> calls = List.of(
        () -> store.inAccount(ACME, AccountTransaction::account),
        () -> store.readAccount(ACME, AccountTransaction::account),
        () -> store.findKeyByHash(hash("x")),
        () -> store.changesSince(0, 10),
        () -> store.latestChangeSequence(),
        () -> store.recordUsage(List.of(new UsageDelta(keyId(1), T0, 1))),
        () -> store.purgeChanges(),
        () -> store.forEachKey(k -> {}));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class).hasMessageContaining("08001");
    }
    faulty.down(false);
    Optional<Account> recovered = store.readAccount(ACME, AccountTransaction::account);
    assertThat(recovered).isPresent();
  }
}
