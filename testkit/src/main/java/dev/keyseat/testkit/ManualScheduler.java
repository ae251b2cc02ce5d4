package dev.keyseat.testkit;

import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link ValidatorScheduler} that runs nothing by itself: {@link #advance(Duration)} moves a
 * {@link MutableClock} forward and runs every task that falls due on the way, at its due time, in
 * time order. Tests thereby drive a validator's poller and flusher without threads or sleeps.
 * Several validators may share one scheduler (one clock for a whole test cluster).
 */
public final class ManualScheduler implements ValidatorScheduler {
  private final MutableClock clock;
  private final List<Task> tasks = new ArrayList<>();

  private static final class Task {
    final String name;
    final Duration period;
    final Runnable work;
    Instant due;
    boolean cancelled;

    Task(String name, Duration period, Runnable work, Instant due) {
      this.name = name;
      this.period = period;
      this.work = work;
      this.due = due;
    }
  }

  /** @param clock the clock this scheduler moves; give the same clock to the {@code Keyseat} */
  public ManualScheduler(MutableClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized Cancellable schedule(String name, Duration period, Runnable task) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive, was " + period);
    }
    Task t = new Task(name, period, task, clock.instant().plus(period));
    tasks.add(t);
    return () -> {
      synchronized (this) {
        t.cancelled = true;
        tasks.remove(t);
      }
    };
  }

  /**
   * Moves the clock forward by {@code d}, running each task as often as it falls due on the way,
   * with the clock set to its due time.
   *
   * @param d how far to move, not negative
   */
  public void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("cannot go back in time: " + d);
    }
    Instant target = clock.instant().plus(d);
    for (;;) {
      Task next;
      synchronized (this) {
        next = tasks.stream()
            .filter(t -> !t.due.isAfter(target))
            .min((a, b) -> a.due.compareTo(b.due))
            .orElse(null);
        if (next == null) {
          break;
        }
        if (clock.instant().isBefore(next.due)) {
          clock.set(next.due);
        }
        next.due = next.due.plus(next.period);
      }
      next.work.run();
    }
    clock.set(target);
  }

  /**
   * Runs now, once, every task with this name, without moving the clock or their schedule.
   *
   * @param name a task name such as {@code feed-poller} or {@code usage-flusher}
   * @return how many tasks ran
   */
  public int runNow(String name) {
    List<Task> matching;
    synchronized (this) {
      matching = tasks.stream().filter(t -> t.name.equals(name)).toList();
    }
    matching.forEach(t -> t.work.run());
    return matching.size();
  }

  /** @return the names of the scheduled, not cancelled tasks */
  public synchronized List<String> activeTasks() {
    return tasks.stream().filter(t -> !t.cancelled).map(t -> t.name).toList();
  }

  /** @return the clock */
  public MutableClock clock() {
    return clock;
  }

  @Override
  public synchronized String toString() {
    return "ManualScheduler[" + clock.instant() + ", tasks=" + activeTasks() + "]";
  }
}
