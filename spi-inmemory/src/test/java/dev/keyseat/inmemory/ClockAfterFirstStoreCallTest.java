package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.testkit.ForwardingKeyStore;
import dev.keyseat.testkit.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The manager reads its clock only after its first call on the store's transaction: a store may
 * take the account's lock at that call (the JDBC store does), and a time read before it could be
 * older than the time of a write that committed while this one waited for the lock (a grant that
 * write ended would still count, R1). The soak test on PostgreSQL found exactly that.
 */
class ClockAfterFirstStoreCallTest {
  static final Actor OPS = Actor.operator("ops");
  static final Actor ALICE = Actor.user("alice");
  static final AccountId ACME = AccountId.of("acme");

  final List<String> events = new ArrayList<>();
  final MutableClock time = new MutableClock();
  final Clock clock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      events.add("clock");
      return time.instant();
    }
  };
  final KeyManager manager = Keyseat.builder(new ForwardingKeyStore(new InMemoryKeyStore(), this::recordingFirstCall))
      .clock(clock).build().manager();

  /** The transaction, recording its first call. */
  AccountTransaction recordingFirstCall(AccountTransaction tx) {
    boolean[] called = {false};
    return (AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
        new Class<?>[] {AccountTransaction.class}, (proxy, method, args) -> {
          if (!called[0]) {
            called[0] = true;
            events.add("store");
          }
          try {
            return method.invoke(tx, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  void assertClockReadAfterTheFirstStoreCall(String call, Consumer<KeyManager> action) {
    events.clear();
    action.accept(manager);
    assertThat(events).as(call).contains("store", "clock");
    assertThat(events.indexOf("store")).as("%s: the first store call comes before the first clock read, in %s",
        call, events).isLessThan(events.indexOf("clock"));
  }

  @Test
  void everyKindOfCallReadsTheTimeOnlyOnceItsTransactionHasStarted() {
    // an operator-only action (nothing to check in the account, which does not exist yet)
    assertClockReadAfterTheFirstStoreCall("createAccount",
        m -> m.createAccount(OPS, ACME, new NewAccount("Acme", UserId.of("alice"), 2)));
    // an operator action in an account
    assertClockReadAfterTheFirstStoreCall("contractLicenses", m -> m.contractLicenses(OPS, ACME, 1));
    assertClockReadAfterTheFirstStoreCall("cancelLicenses", m -> m.cancelLicenses(OPS, ACME, 1));
    // member actions: the member is the first call
    assertClockReadAfterTheFirstStoreCall("associateDevice",
        m -> m.associateDevice(ALICE, ACME, new NewDevice("SN-1", "Lobby")));
    assertClockReadAfterTheFirstStoreCall("createKeys",
        m -> m.createKeys(ALICE, ACME, NewKeys.forDevices(List.of("SN-1"))));
    // a read
    assertClockReadAfterTheFirstStoreCall("licenseUsage", m -> m.licenseUsage(ALICE, ACME));
    assertThat(manager.licenseUsage(ALICE, ACME).used()).isEqualTo(1);
  }
}
