package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Validation straight from the store: one lookup per call, usage written for valid keys only. */
class StoreLookupValidatorTest {
  private final Rig rig = new Rig();
  private final StubStore store = rig.store;
  private final StoreLookupValidator validator = new StoreLookupValidator(store, rig.format, rig.hasher,
      Clock.fixed(Rig.NOW, ZoneOffset.UTC));

  @Test
  public void aValidKeyIsAnsweredFromTheStoreAndItsUseWritten() {
    String key = rig.key();
    Verdict v = validator.validate(key);
    assertThat(v.status()).isEqualTo(Status.VALID);
    assertThat(store.usage).containsExactly(new UsageDelta(Objects.requireNonNull(v.keyId()), Rig.NOW, 1));
    assertThat(validator.validate(key, "another device").status()).isEqualTo(Status.DEVICE_MISMATCH);
    assertThat(store.lookups.get()).as("no cache").isEqualTo(2);
    assertThat(store.usage).as("a mismatch is no use").hasSize(1);
  }

  @Test
  public void aSuspendedKeyIsRefusedAndNoUseIsWritten() {
    String key = rig.key();
    KeyHash h = rig.hasher.hash(key);
    store.keys.put(h, Objects.requireNonNull(store.keys.get(h)).withSuspended(true));
    assertThat(validator.validate(key).status()).isEqualTo(Status.SUSPENDED);
    assertThat(store.usageWrites.get()).isZero();
  }

  @Test
  public void malformedUnknownAndUnreachableAreTold() {
    assertThat(validator.validate("nope").status()).isEqualTo(Status.MALFORMED);
    assertThat(store.lookups.get()).as("no lookup for a malformed key").isZero();
    assertThat(validator.validate(rig.format.generate()).status()).isEqualTo(Status.UNKNOWN);
    store.failing = true;
    assertThat(validator.validate(rig.key()).status()).isEqualTo(Status.UNAVAILABLE);
  }
}
