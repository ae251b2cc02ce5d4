package dev.keyseat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.keyseat.internal.validation.StubStore;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.ValidatorScheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keyseat tracks the validators it built: closed by {@link Keyseat#close()}, forgotten when closed alone. */
class KeyseatCloseTest {
  private final List<String> cancelled = new ArrayList<>();
  /** Counts cancellations instead of running anything. */
  private final ValidatorScheduler scheduler = (name, period, task) -> () -> cancelled.add(name);
  private final Keyseat keyseat = Keyseat.builder(new StubStore()).build(); // no key, an empty feed

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
}
