package dev.keyseat.validation;

import java.time.Duration;

/**
 * Runs a {@link CachedKeyValidator}'s background work: the change-feed poller and the usage
 * flusher. By default each runs on its own daemon thread, stopped by
 * {@link CachedKeyValidator#close()}. Tests supply a scheduler they drive by hand (the testkit's
 * {@code ManualScheduler}) so that polling and flushing happen exactly when the test says.
 */
@FunctionalInterface
public interface ValidatorScheduler {

  /**
   * Runs {@code task} every {@code period}, first one period from now, until the returned handle
   * is cancelled. Runs of one task must not overlap.
   *
   * @param name a short name for the task, such as {@code feed-poller}, for thread names and logs
   * @param period the time between the end of one run and the start of the next
   * @param task the work; it never throws
   * @return a handle that stops further runs
   */
  Cancellable schedule(String name, Duration period, Runnable task);

  /** Stops a scheduled task. */
  @FunctionalInterface
  interface Cancellable {
    /** Stops further runs and waits for a run in progress to end. Idempotent. */
    void cancel();
  }
}
