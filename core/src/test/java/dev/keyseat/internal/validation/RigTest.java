package dev.keyseat.internal.validation;

import static org.mockito.Mockito.mock;

import dev.keyseat.spi.KeyHash;
import dev.keyseat.validation.ValidatorMetrics;
import org.junit.jupiter.api.AfterEach;

/** A test of the mechanism on a {@link Rig}: its validators closed after each test, metrics recorded by a mock. */
abstract class RigTest {
  static final long SECOND = Rig.SECOND;
  final Rig rig = new Rig();
  final StubStore store = rig.store;
  final ValidatorMetrics metrics = mock(ValidatorMetrics.class);

  @AfterEach
  final void closeRig() {
    rig.close();
  }

  /** @return the hash the store holds for {@code secret} */
  KeyHash hashOf(String secret) {
    return rig.hasher.hash(secret);
  }
}
