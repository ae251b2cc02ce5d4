package dev.keyseat.spring.boot;

import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes change-feed entries older than {@code keyseat.jdbc.change-retention}, every
 * {@code keyseat.jdbc.purge-interval} (never when zero), on a daemon thread of its own that runs
 * while the application context does. Any node may purge; purging is idempotent.
 */
public final class ChangeFeedPurger extends DaemonJob {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeedPurger.class);

  private final JdbcKeyStore store;

  /**
   * @param store the store whose feed is purged
   * @param interval time between purges; zero for never
   */
  public ChangeFeedPurger(JdbcKeyStore store, Duration interval) {
    super("keyseat-change-feed-purger", interval);
    this.store = store;
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
      log.warn("Keyseat: purging the change feed failed ({}); next try in {}", e.getClass().getSimpleName(), interval());
      return -1;
    }
  }

  @Override
  ValidatorScheduler.Cancellable schedule(ValidatorScheduler scheduler, Duration interval) {
    // purgeNow() catches its failures, so the task never throws; stop() cancels it
    return scheduler.schedule("change-feed-purge", interval, this::purgeNow);
  }
}
