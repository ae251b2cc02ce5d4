package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.validation.ValidatorScheduler;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The default scheduler's cancel, from a thread that is interrupted while a run is in progress. */
class DaemonSchedulerTest {

  @Test
  public void aCancelFromAnInterruptedThreadReturnsKeepsTheInterruptAndALaterCancelJoinsTheThread()
      throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> ran = new AtomicReference<>();
    ValidatorScheduler.Cancellable c = new DaemonScheduler().schedule("held", Duration.ofMillis(1), () -> {
      ran.set(Thread.currentThread());
      running.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
      Thread.currentThread().interrupt();
      c.cancel(); // the run in progress is held: waiting for it is interrupted at once
      assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
      assertThat(ran.get().isAlive()).as("the held run goes on").isTrue();
    } finally {
      Thread.interrupted();
      release.countDown();
    }
    c.cancel();
    assertThat(ran.get().isAlive()).as("the second cancel waited for the thread's end").isFalse();
  }
}
