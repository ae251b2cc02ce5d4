package dev.keyseat.spring.boot;

import dev.keyseat.LicenseEndSweep;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;

/**
 * Runs Keyseat's {@link LicenseEndSweep} every {@code keyseat.license-end-sweep.interval} while
 * the application context runs, on a daemon thread of its own, when {@code
 * keyseat.license-end-sweep.enabled=true}. Safe on every node at once: each passed end is applied
 * once. The sweep logs what it applied and what failed; {@link #sweep()} gives its totals.
 */
public final class LicenseEndSweeper extends DaemonJob {
  private final LicenseEndSweep sweep;

  /**
   * @param sweep the sweep to run
   * @param interval time between passes, 1 second to 1 day
   */
  public LicenseEndSweeper(LicenseEndSweep sweep, Duration interval) {
    super("keyseat-license-end-sweep", interval);
    this.sweep = sweep;
  }

  /** @return the sweep, for its last result and totals */
  public LicenseEndSweep sweep() {
    return sweep;
  }

  @Override
  ValidatorScheduler.Cancellable schedule(ValidatorScheduler scheduler, Duration interval) {
    return sweep.schedule(scheduler, interval);
  }
}
