package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for a condition that another thread makes true, for the mechanism's tests. */
final class Waits {
  private Waits() {}

  /**
   * Spins until {@code condition} holds, failing the test after 30 seconds.
   *
   * @param what what the condition means, for the failure message
   * @param condition the condition to wait for
   */
  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out waiting until " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }
}
