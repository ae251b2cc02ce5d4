package dev.keyseat.internal.validation;

import dev.keyseat.validation.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The validator's sense of time on the hot path, without a clock read per call: a helper thread
 * (the <em>publisher</em>) writes the ticker's time into a volatile field every millisecond, and a
 * validation reads that field, one plain load on x86, instead of calling {@link System#nanoTime}
 * (about 20 ns on a virtual machine). Deadlines and the staleness bound are then decided up to a
 * millisecond late.
 *
 * <p><b>The guard.</b> If the publisher stalls, the published time stops and, read alone, would
 * keep a stale cache serving forever. A second helper thread (the <em>watchdog</em>) reads the
 * ticker every {@link #WATCH_NANOS}; when the published time is more than {@link #STALL_NANOS}
 * behind, it replaces it with {@link #PRECISE}, and every validation then reads the ticker itself
 * until the publisher writes again. So a validator fails closed at most {@code STALL_NANOS +
 * WATCH_NANOS} = 10 ms after its {@code maxStaleness} (and decides an expiry at most that late)
 * whatever happens to the publisher; only both helpers stalling at once would defeat it.
 *
 * <p>A ticker that is not the system's (a test's, or the host's own) is read on every call, as
 * before: {@link #precise(Ticker)}. Tests step the helpers by hand with {@link #publish()} and
 * {@link #watch()}.
 */
final class CoarseTicker {
  /** Published instead of a time: "read the ticker yourself". */
  static final long PRECISE = Long.MIN_VALUE;
  /** How often the publisher writes the time. */
  static final long TICK_NANOS = 1_000_000L;
  /** How far behind the published time may fall before the watchdog stops trusting it. */
  static final long STALL_NANOS = 8_000_000L;
  /** How often the watchdog looks. */
  static final long WATCH_NANOS = 2_000_000L;
  private static final VarHandle COARSE;
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  static {
    try {
      COARSE = MethodHandles.lookup().findVarHandle(CoarseTicker.class, "coarse", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private volatile long coarse = PRECISE;
  private volatile boolean running;
  private @Nullable Thread publisher;
  private @Nullable Thread watchdog;

  private CoarseTicker(Ticker ticker) {
    this.ticker = ticker;
  }

  /** @return a coarse ticker over {@code ticker} whose helpers the caller steps (tests) or {@link #start}s */
  static CoarseTicker over(Ticker ticker) {
    return new CoarseTicker(ticker);
  }

  /** @return a ticker read on every call, with no helper threads */
  static CoarseTicker precise(Ticker ticker) {
    return new CoarseTicker(ticker);
  }

  /** @return the system ticker with its two daemon helpers running */
  static CoarseTicker system() {
    CoarseTicker t = new CoarseTicker(Ticker.system());
    t.start();
    return t;
  }

  /** @return the time for the hot path: the published one, or the ticker's while none is trusted */
  long read() {
    long c = coarse;
    return c != PRECISE ? c : ticker.read();
  }

  /** @return the ticker's own time, for the slow paths (loads, the lookup budget, polls) */
  long precise() {
    return ticker.read();
  }

  /** The publisher's step: the time now. */
  void publish() {
    coarse = ticker.read();
  }

  /** The watchdog's step: distrust a published time that fell more than {@link #STALL_NANOS} behind. */
  void watch() {
    long c = coarse;
    if (c != PRECISE && ticker.read() - c > STALL_NANOS) {
      COARSE.compareAndSet(this, c, PRECISE);
    }
  }

  /** @return whether a published time is trusted now (false before the first, and after a stall) */
  boolean publishing() {
    return coarse != PRECISE;
  }

  /** Starts the publisher and the watchdog, daemon threads that {@link #stop} ends. */
  synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    int n = INSTANCES.incrementAndGet();
    publish();
    publisher = helper("keyseat-clock-" + n, TICK_NANOS, this::publish);
    watchdog = helper("keyseat-clock-watchdog-" + n, WATCH_NANOS, this::watch);
  }

  private Thread helper(String name, long period, Runnable step) {
    Thread t = new Thread(() -> {
      while (running) {
        step.run();
        LockSupport.parkNanos(period);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Stops the helpers and waits for them; afterwards every read is the ticker's. Idempotent. */
  void stop() {
    Thread p;
    Thread w;
    synchronized (this) {
      running = false;
      p = publisher;
      w = watchdog;
      publisher = null;
      watchdog = null;
    }
    for (Thread t : new Thread[] {p, w}) {
      if (t != null && t != Thread.currentThread()) {
        LockSupport.unpark(t);
        try {
          t.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    coarse = PRECISE;
  }

  @Override
  public String toString() {
    return "CoarseTicker[" + (publishing() ? "published" : "precise") + "]";
  }
}
