package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import dev.keyseat.testkit.TestKeys;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.ValidatorMetrics;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the cached validator asks of the store and tells its metrics, stated as interactions: the
 * store behind the validator is a Mockito mock that delegates to a real {@link InMemoryKeyStore}.
 */
class CachedValidatorInteractionsTest {
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final KeyStore store = mock(KeyStore.class, delegatesTo(new InMemoryKeyStore()));
  private final Keyseat keyseat = Keyseat.builder(store).clock(clock).build();
  private String secret;

  @BeforeEach
  void oneKey() {
    KeyManager keys = keyseat.manager();
    AccountId acme = AccountId.of("acme");
    Actor admin = Actor.user("alice");
    keys.createAccount(Actor.operator("ops"), acme, new NewAccount("Acme Air", UserId.of("alice"), 1));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    secret = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001")).get(0).secret().reveal();
  }

  @Test
  void aCachedKeyIsLoadedFromTheStoreOnceHowEverOftenItIsValidated() {
    try (CachedKeyValidator validator = keyseat.validator().scheduler(scheduler).build()) {
      for (int i = 0; i < 1_000; i++) {
        assertThat(validator.validate(secret, "AQ-1001").status()).isEqualTo(Status.VALID);
      }
    }

    verify(store, times(1)).findKeyByHash(any());
  }

  @Test
  void anUnknownKeyIsLookedUpOnceThenAnsweredFromTheNegativeEntry() {
    String unknown = TestKeys.wellFormed("ks", new Random(7));
    try (CachedKeyValidator validator = keyseat.validator().scheduler(scheduler).build()) {
      for (int i = 0; i < 100; i++) {
        assertThat(validator.validate(unknown).status()).isEqualTo(Status.UNKNOWN);
      }
    }

    verify(store, times(1)).findKeyByHash(any());
  }

  @Test
  void aMalformedKeyNeverReachesTheStore() {
    try (CachedKeyValidator validator = keyseat.validator().scheduler(scheduler).build()) {
      assertThat(validator.validate(secret + "x").status()).isEqualTo(Status.MALFORMED);
      assertThat(validator.validate("").status()).isEqualTo(Status.MALFORMED);
    }

    verify(store, never()).findKeyByHash(any());
  }

  @Test
  void everyVerdictHitMissAndStoreLookupIsReportedToTheMetrics() {
    ValidatorMetrics metrics = mock(ValidatorMetrics.class);
    try (CachedKeyValidator validator = keyseat.validator().scheduler(scheduler).metrics(metrics).build()) {
      Verdict first = validator.validate(secret);
      Verdict second = validator.validate(secret);
      Verdict wrongDevice = validator.validate(secret, "AQ-9999");

      assertThat(first.status()).isEqualTo(Status.VALID);
      assertThat(second.status()).isEqualTo(Status.VALID);
      assertThat(wrongDevice.status()).isEqualTo(Status.DEVICE_MISMATCH);
    }

    verify(metrics, times(1)).cacheMiss();
    verify(metrics, times(1)).storeLookup();
    verify(metrics, times(2)).cacheHit();
    verify(metrics, times(2)).verdict(Status.VALID);
    verify(metrics, times(1)).verdict(Status.DEVICE_MISMATCH);
    verify(metrics, never()).storeLookupRefused();
    verify(metrics, atLeastOnce()).feedLag(any());
  }
}
