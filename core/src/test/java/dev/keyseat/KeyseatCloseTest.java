package dev.keyseat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.ValidatorScheduler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Keyseat tracks the validators it built: closed by {@link Keyseat#close()}, forgotten when closed alone. */
class KeyseatCloseTest {
  private final List<String> cancelled = new ArrayList<>();
  /** Counts cancellations instead of running anything. */
  private final ValidatorScheduler scheduler = (name, period, task) -> () -> cancelled.add(name);
  private final Keyseat keyseat = Keyseat.builder(new EmptyStore()).build();

  @Test
  void aValidatorClosedOnItsOwnIsForgotten() {
    CachedKeyValidator a = keyseat.validator().scheduler(scheduler).build();
    CachedKeyValidator b = keyseat.validator().scheduler(scheduler).build();
    assertThat(keyseat.openValidators()).isEqualTo(2);
    a.close();
    assertThat(keyseat.openValidators()).isEqualTo(1);
    a.close();
    assertThat(keyseat.openValidators()).isEqualTo(1);
    b.close();
    assertThat(keyseat.openValidators()).isZero();
  }

  @Test
  void closeClosesEachOpenValidatorOnceAndForgetsIt() {
    keyseat.validator().scheduler(scheduler).build().close();
    keyseat.validator().scheduler(scheduler).build();
    keyseat.validator().scheduler(scheduler).build();
    cancelled.clear();
    keyseat.close();
    assertThat(keyseat.openValidators()).isZero();
    assertThat(cancelled).as("poller and flusher of the two open validators")
        .containsExactlyInAnyOrder("feed-poller", "usage-flusher", "feed-poller", "usage-flusher");
    keyseat.close();
    assertThat(cancelled).as("closing again closes nothing").hasSize(4);
  }

  @Test
  void closeNeverThrowsEvenWhenAValidatorFailsToStop() {
    ValidatorScheduler failing = (name, period, task) -> () -> {
      throw new IllegalStateException("cannot cancel " + name);
    };
    keyseat.validator().scheduler(failing).build();
    keyseat.validator().scheduler(scheduler).build();
    assertThatCode(keyseat::close).doesNotThrowAnyException();
    assertThat(keyseat.openValidators()).isZero();
    assertThat(cancelled).hasSize(2);
  }

  /** A store with nothing in it, enough for validators to start. */
  private static final class EmptyStore implements KeyStore {
    @Override
    public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<StoredKey> findKeyByHash(KeyHash hash) {
      return Optional.empty();
    }

    @Override
    public List<ChangeEvent> changesSince(long afterSequence, int max) {
      return List.of();
    }

    @Override
    public long latestChangeSequence() {
      return 0;
    }

    @Override
    public void recordUsage(Collection<UsageDelta> batch) {}

    @Override
    public List<DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, java.time.LocalDate from,
        java.time.LocalDate to) {
      return List.of();
    }

    @Override
    public List<AccountSummary> accounts(@Nullable AccountId after, int limit) {
      return List.of();
    }
  }
}
