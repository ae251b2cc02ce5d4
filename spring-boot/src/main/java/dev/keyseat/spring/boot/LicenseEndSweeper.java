package dev.keyseat.spring.boot;

import dev.keyseat.LicenseEndSweep;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Runs Keyseat's {@link LicenseEndSweep} every {@code keyseat.license-end-sweep.interval} while
 * the application context runs, on a daemon thread of its own, when {@code
 * keyseat.license-end-sweep.enabled=true}. Safe on every node at once: each passed end is applied
 * once. The sweep logs what it applied and what failed; {@link #sweep()} gives its totals.
 */
public final class LicenseEndSweeper implements SmartLifecycle {
  private final LicenseEndSweep sweep;
  private final Duration interval;
  private @Nullable ScheduledExecutorService executor;
  private ValidatorScheduler.@Nullable Cancellable job;

  /**
   * @param sweep the sweep to run
   * @param interval time between passes, 1 second to 1 day
   */
  public LicenseEndSweeper(LicenseEndSweep sweep, Duration interval) {
    this.sweep = sweep;
    this.interval = interval;
  }

  /** @return the sweep, for its last result and totals */
  public LicenseEndSweep sweep() {
    return sweep;
  }

  @Override
  public synchronized void start() {
    if (executor != null) {
      return;
    }
    ScheduledExecutorService e = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keyseat-license-end-sweep");
      t.setDaemon(true);
      return t;
    });
    executor = e;
    job = sweep.schedule((name, period, task) -> {
      var future = e.scheduleWithFixedDelay(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
      return () -> future.cancel(false);
    }, interval);
  }

  @Override
  public synchronized void stop() {
    if (job != null) {
      job.cancel();
      job = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return executor != null;
  }
}
