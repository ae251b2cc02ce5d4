package dev.keyseat;

import java.time.Duration;
import java.util.List;

/**
 * The host's view of key and license changes ({@link Keyseat#events()}), built on the store's
 * change feed: every node's commits, in commit order, delivered <b>at least once</b> and
 * resumable from a cursor the host stores (e.g. next to the work it did for the event). A host
 * that handles an event and then crashes before storing its cursor sees it again.
 *
 * <pre>{@code
 * try (KeyEvents.Subscription s = keyseat.events().subscribe(cursorStore.load(), Duration.ofSeconds(1),
 *     event -> {
 *       if (event.type() == KeyEvent.Type.KEY_REGENERATED) {
 *         mailer.sendKeyRegenerated(event.accountId(), event.keyId());
 *       }
 *       cursorStore.save(event.cursor());
 *     })) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Events are kept as long as the store keeps its feed ({@code purgeChanges}): a host that
 * resumes from a cursor older than that is told what it {@linkplain Listener#missed missed}.
 */
public interface KeyEvents {

  /**
   * Reads the next events after {@code afterCursor}.
   *
   * @param afterCursor the cursor of the last event handled, 0 for the beginning of the feed
   * @param max at most this many events, at least 1
   * @return the events and the cursor to resume from
   * @throws IllegalArgumentException if {@code afterCursor} is negative or {@code max} below 1
   * @throws StoreUnavailableException if the store fails
   */
  Page read(long afterCursor, int max);

  /**
   * Delivers every event after {@code afterCursor} to {@code listener} on a daemon thread of its
   * own, one at a time, in order: reads the feed every {@code pollInterval}, and at once when the
   * store notifies a change (PostgreSQL). An event whose listener throws is delivered again at
   * the next read, and the events after it wait.
   *
   * @param afterCursor where to start, 0 for the beginning
   * @param pollInterval how often the feed is read, from 1 ms to 1 hour
   * @param listener receives the events
   * @return the running subscription; close it to stop
   * @throws IllegalArgumentException if an argument is out of range
   */
  Subscription subscribe(long afterCursor, Duration pollInterval, Listener listener);

  /**
   * A page of events.
   *
   * @param events in commit order
   * @param cursor where the next read starts: the last event's cursor, or, past a gap, the
   *     position after what was purged
   * @param missedSome true if events after the cursor given were purged before they were read
   */
  record Page(List<KeyEvent> events, long cursor, boolean missedSome) {

    /**
     * Copies the list.
     *
     * @param events in commit order
     * @param cursor where the next read starts: the last event's cursor, or, past a gap, the
     *     position after what was purged
     * @param missedSome true if events after the cursor given were purged before they were read
     */
    public Page {
      events = List.copyOf(events);
    }
  }

  /** Receives a subscription's events. */
  @FunctionalInterface
  interface Listener {

    /**
     * Handles one event; throw to have it delivered again.
     *
     * @param event the event
     */
    void onEvent(KeyEvent event);

    /**
     * Told that events between two cursors were purged from the store before they could be
     * delivered (the host's cursor was older than the store's retention). The default does
     * nothing; the subscription logs a warning either way.
     *
     * @param afterCursor the cursor the subscription had
     * @param resumedAfter the cursor it goes on from
     */
    default void missed(long afterCursor, long resumedAfter) {}
  }

  /** A running {@link #subscribe subscription}. */
  interface Subscription extends AutoCloseable {

    /** @return the cursor of the last event the listener handled */
    long cursor();

    /** Stops delivering; waits for an event being handled. Idempotent, never throws. */
    @Override
    void close();
  }
}
