package dev.keyseat.spring.boot;

import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * A periodic job on a daemon thread of its own that runs while the application context does: the
 * lifecycle ({@link #start()}, {@link #stop()}, {@link #isRunning()}) shared by the change-feed
 * purger and the license end sweeper. A subclass says what to schedule; the thread, its
 * scheduler and their shutdown live here.
 */
abstract class DaemonJob implements SmartLifecycle {
  private final String threadName;
  private final Duration interval;
  private @Nullable ScheduledExecutorService executor;
  private ValidatorScheduler.@Nullable Cancellable job;

  /**
   * @param threadName the name of the job's thread
   * @param interval time between runs; zero for never ({@link #start()} then does nothing)
   */
  DaemonJob(String threadName, Duration interval) {
    this.threadName = threadName;
    this.interval = interval;
  }

  /** @return the time between runs */
  final Duration interval() {
    return interval;
  }

  /**
   * Schedules the job's task, once per start.
   *
   * @param scheduler runs a task with a fixed delay on the job's thread
   * @param interval the time between runs, never zero
   * @return the handle {@link #stop()} cancels
   */
  abstract ValidatorScheduler.Cancellable schedule(ValidatorScheduler scheduler, Duration interval);

  @Override
  public synchronized void start() {
    if (executor != null || interval.isZero()) {
      return;
    }
    ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    executor = started;
    job = schedule((name, period, task) -> {
      long millis = period.toMillis();
      ScheduledFuture<?> future = started.scheduleWithFixedDelay(task, millis, millis, TimeUnit.MILLISECONDS);
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
