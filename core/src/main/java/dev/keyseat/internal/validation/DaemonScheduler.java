package dev.keyseat.internal.validation;

import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default scheduler: one daemon thread per task. Cancelling lets a run in progress finish,
 * then stops and joins the thread.
 */
final class DaemonScheduler implements ValidatorScheduler {
  private static final Logger log = LoggerFactory.getLogger(CachedKeyValidator.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private final int instance = INSTANCES.incrementAndGet();

  @Override
  public Cancellable schedule(String name, Duration period, Runnable task) {
    Thread[] thread = new Thread[1];
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "keyseat-" + name + "-" + instance);
      t.setDaemon(true);
      thread[0] = t;
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    long nanos = period.toNanos();
    executor.scheduleWithFixedDelay(task, nanos, nanos, TimeUnit.NANOSECONDS);
    return () -> {
      executor.shutdown();
      if (thread[0] == Thread.currentThread()) {
        return; // the task cancels itself: its run ends when it returns, and no other follows
      }
      try {
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          log.warn("keyseat {} thread did not stop within 10 s", name);
          return;
        }
        Thread t = thread[0];
        if (t != null) {
          t.join(TimeUnit.SECONDS.toMillis(10));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }
}
