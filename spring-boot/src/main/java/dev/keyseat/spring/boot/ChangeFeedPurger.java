package dev.keyseat.spring.boot;

import dev.keyseat.jdbc.JdbcKeyStore;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Deletes change-feed entries older than {@code keyseat.jdbc.change-retention}, every
 * {@code keyseat.jdbc.purge-interval} (never when zero), on a daemon thread of its own that runs
 * while the application context does. Any node may purge; purging is idempotent.
 */
public final class ChangeFeedPurger implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeedPurger.class);

  private final JdbcKeyStore store;
  private final Duration interval;
  private @Nullable ScheduledExecutorService executor;

  /**
   * @param store the store whose feed is purged
   * @param interval time between purges; zero for never
   */
  public ChangeFeedPurger(JdbcKeyStore store, Duration interval) {
    this.store = store;
    this.interval = interval;
  }

  /**
   * Purges once now.
   *
   * @return the entries deleted, or -1 if the store failed (logged)
   */
  public int purgeNow() {
    try {
      return store.purgeChanges();
    } catch (RuntimeException e) {
      log.warn("Keyseat: purging the change feed failed ({}); next try in {}", e.getClass().getSimpleName(), interval);
      return -1;
    }
  }

  @Override
  public synchronized void start() {
    if (executor != null || interval.isZero()) {
      return;
    }
    ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keyseat-change-feed-purger");
      t.setDaemon(true);
      return t;
    });
    executor = started;
    long millis = interval.toMillis();
    // purgeNow() catches its failures, so the future never holds one; stop() cancels it (shutdownNow)
    ScheduledFuture<?> unused = started.scheduleWithFixedDelay(this::purgeNow, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void stop() {
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
