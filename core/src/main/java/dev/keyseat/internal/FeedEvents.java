package dev.keyseat.internal;

import dev.keyseat.KeyEvent;
import dev.keyseat.KeyEvents;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KeyEvents} over the store's change feed: no second mechanism. A page is the feed read
 * from the cursor, each entry mapped to a {@link KeyEvent} (hashes dropped); a hole between the
 * cursor and the first entry (or entries after the cursor purged with nothing left) is reported as
 * {@link KeyEvents.Page#missedSome()}, as the validators detect it.
 */
public final class FeedEvents implements KeyEvents {
  private static final Logger log = LoggerFactory.getLogger(KeyEvents.class);
  private static final int PAGE = 500;

  private final KeyStore store;

  /** @param store the store whose feed is read */
  public FeedEvents(KeyStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public Page read(long afterCursor, int max) {
    if (afterCursor < 0) {
      throw new IllegalArgumentException("cursor must not be negative, was " + afterCursor);
    }
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    List<ChangeEvent> raw = store.changesSince(afterCursor, max);
    if (raw.isEmpty()) {
      long latest = store.latestChangeSequence();
      if (latest <= afterCursor) {
        return new Page(List.of(), afterCursor, false);
      }
      // something above the cursor: committed just now, or purged
      raw = store.changesSince(afterCursor, max);
      if (raw.isEmpty()) {
        return new Page(List.of(), latest, true);
      }
    }
    boolean missed = raw.get(0).sequence() != afterCursor + 1;
    List<KeyEvent> events = new ArrayList<>(raw.size());
    long cursor = afterCursor;
    for (ChangeEvent e : raw) {
      if (e.sequence() <= cursor) {
        continue;
      }
      if (e.sequence() != cursor + 1 && !events.isEmpty()) {
        break; // a hole inside the page: the next read reports it
      }
      events.add(toKeyEvent(e));
      cursor = e.sequence();
    }
    return new Page(events, cursor, missed);
  }

  static KeyEvent toKeyEvent(ChangeEvent e) {
    KeyEvent.Type type = switch (e.type()) {
      case CREATED -> KeyEvent.Type.KEY_CREATED;
      case REGENERATED -> KeyEvent.Type.KEY_REGENERATED;
      case EDITED -> KeyEvent.Type.KEY_EDITED;
      case SUSPENDED -> KeyEvent.Type.KEY_SUSPENDED;
      case RESUMED -> KeyEvent.Type.KEY_RESUMED;
      case DELETED -> KeyEvent.Type.KEY_DELETED;
      case LICENSES_CONTRACTED -> KeyEvent.Type.LICENSES_CONTRACTED;
      case LICENSES_CANCELLED -> KeyEvent.Type.LICENSES_CANCELLED;
      case LICENSES_GRANTED -> KeyEvent.Type.LICENSES_GRANTED;
      case LICENSE_TERM_CHANGED -> KeyEvent.Type.LICENSE_TERM_CHANGED;
      case LICENSES_ENDED -> KeyEvent.Type.LICENSES_ENDED;
    };
    return new KeyEvent(e.sequence(), type, e.accountId(), e.keyId(), e.at());
  }

  @Override
  public Subscription subscribe(long afterCursor, Duration pollInterval, Listener listener) {
    if (afterCursor < 0) {
      throw new IllegalArgumentException("cursor must not be negative, was " + afterCursor);
    }
    Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.compareTo(Duration.ofMillis(1)) < 0 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("poll interval must be between 1 ms and 1 hour, was " + pollInterval);
    }
    return new Running(afterCursor, pollInterval, Objects.requireNonNull(listener, "listener"));
  }

  /** One subscription: a single daemon thread reads and delivers; notifications wake it early. */
  private final class Running implements Subscription {
    private final Listener listener;
    private final ScheduledExecutorService thread;
    private final @Nullable ChangeSubscription push;
    private volatile long cursor;
    private volatile boolean closed;

    Running(long afterCursor, Duration interval, Listener listener) {
      this.cursor = afterCursor;
      this.listener = listener;
      this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keyseat-events");
        t.setDaemon(true);
        return t;
      });
      // deliver() catches its failures, so the future never holds one; close() ends it (shutdown)
      ScheduledFuture<?> unused = thread.scheduleWithFixedDelay(this::deliver, 0, interval.toNanos(),
          TimeUnit.NANOSECONDS);
      ChangeSubscription p;
      try {
        p = store.subscribeToChanges(() -> {
          if (!closed) {
            thread.execute(this::deliver);
          }
        });
      } catch (UnsupportedOperationException e) {
        p = null;
      } catch (RuntimeException e) {
        log.warn("could not subscribe to the store's change notifications; polling alone: {}", e.toString());
        p = null;
      }
      this.push = p;
    }

    /** Reads to the end of the feed, delivering each event; runs on the subscription's thread only. */
    private void deliver() {
      try {
        while (!closed) {
          Page page = read(cursor, PAGE);
          if (page.missedSome()) {
            long from = cursor;
            long to = page.events().isEmpty() ? page.cursor() : page.events().get(0).cursor() - 1;
            log.warn("key events after cursor {} up to {} were purged before they were delivered; going on", from, to);
            listener.missed(from, to);
            cursor = to;
          }
          for (KeyEvent e : page.events()) {
            if (closed) {
              return;
            }
            listener.onEvent(e);
            cursor = e.cursor();
          }
          if (page.events().size() < PAGE) {
            return;
          }
        }
      } catch (RuntimeException e) {
        log.warn("key event delivery stopped at cursor {}; retrying at the next read: {}", cursor, e.toString());
      }
    }

    @Override
    public long cursor() {
      return cursor;
    }

    @Override
    public void close() {
      closed = true;
      if (push != null) {
        try {
          push.close();
        } catch (RuntimeException e) {
          log.debug("could not stop listening for change notifications: {}", e.toString());
        }
      }
      thread.shutdown();
      try {
        thread.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return "KeyEvents.Subscription[cursor=" + cursor + (closed ? ", closed" : "") + "]";
    }
  }

  @Override
  public String toString() {
    return "KeyEvents[" + store + "]";
  }
}
