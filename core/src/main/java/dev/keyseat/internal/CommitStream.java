package dev.keyseat.internal;

import dev.keyseat.spi.ChangeEvent;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The key changes of one {@code Keyseat}'s management calls, told to subscribers right after each
 * call commits, in the committing thread. The management side publishes; the validators of the
 * same {@code Keyseat} subscribe, so that a change made in this JVM is seen at once. Changes made
 * elsewhere reach validators through the store's change feed. Thread-safe.
 */
public final class CommitStream {
  private final List<Consumer<List<ChangeEvent>>> subscribers = new CopyOnWriteArrayList<>();

  /** @param subscriber told of every commit's changes until {@link #unsubscribe}d */
  public void subscribe(Consumer<List<ChangeEvent>> subscriber) {
    subscribers.add(Objects.requireNonNull(subscriber, "subscriber"));
  }

  /** @param subscriber no longer told */
  public void unsubscribe(Consumer<List<ChangeEvent>> subscriber) {
    subscribers.remove(subscriber);
  }

  /** @param changes the changes of one call, after it committed */
  public void publish(List<ChangeEvent> changes) {
    for (Consumer<List<ChangeEvent>> s : subscribers) {
      s.accept(changes);
    }
  }
}
