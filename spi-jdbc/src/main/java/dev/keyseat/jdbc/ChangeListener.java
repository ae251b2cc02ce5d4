package dev.keyseat.jdbc;

import dev.keyseat.spi.ChangeSubscription;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription to PostgreSQL's notifications of feed changes: a daemon thread holding one
 * connection that has run {@code LISTEN keyseat_change}, calling the subscriber for each batch of
 * notifications that arrives, and once each time it starts listening (what was sent while it was
 * not listening is lost). A failed connection is given back and a new one taken, after a backoff
 * doubling from {@link #INITIAL_BACKOFF} up to {@link #MAX_BACKOFF}; the subscriber's polling
 * covers the time in between.
 *
 * <p>The notifications carry no payload (see {@link Dialect.Postgres#notifyChanges}): feed rows may
 * be numbered after their commit, so a number in the payload would tell the listener nothing it
 * can rely on; it reads the feed instead.
 */
final class ChangeListener implements ChangeSubscription {
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);
  static final String CHANNEL = "keyseat_change";
  static final Duration INITIAL_BACKOFF = Duration.ofMillis(50);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /** How long one wait for notifications lasts, so that closing is noticed. */
  private static final int WAIT_MILLIS = 250;

  private final DataSource dataSource;
  private final Runnable onChange;
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private volatile boolean closed;
  private final AtomicInteger listening = new AtomicInteger();
  private volatile int pid;

  ChangeListener(DataSource dataSource, Runnable onChange) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.thread = new Thread(this::run, "keyseat-change-listener");
    thread.setDaemon(true);
  }

  ChangeListener start() {
    thread.start();
    return this;
  }

  /** @return how many times a connection started listening, for tests */
  int timesListening() {
    return listening.get();
  }

  /** @return the backend process id of the listening connection (0 before the first), for tests */
  int backendPid() {
    return pid;
  }

  private void run() {
    Duration backoff = INITIAL_BACKOFF;
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        pid = pg.getBackendPID();
        listening.incrementAndGet();
        backoff = INITIAL_BACKOFF;
        tell();
        while (!closed) {
          PGNotification[] arrived = pg.getNotifications(WAIT_MILLIS);
          if (arrived != null && arrived.length > 0) {
            tell();
          }
        }
        try (Statement s = c.createStatement()) {
          s.execute("UNLISTEN " + CHANNEL);
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        String state = e instanceof SQLException x ? x.getSQLState() : e.getClass().getName();
        if (backoff.equals(INITIAL_BACKOFF)) { // once per outage, not once per attempt
          log.warn("the change notification listener lost its connection (SQLState {}); reconnecting with backoff"
              + " up to {} s; polling goes on meanwhile", state, MAX_BACKOFF.toSeconds());
        } else {
          log.debug("the change notification listener could not reconnect (SQLState {}); next try in {} ms", state,
              backoff.toMillis());
        }
        pause(backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  private void tell() {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("a change notification subscriber failed: {}", e.toString());
    }
  }

  /** Waits for the backoff, or less if the subscription is closed meanwhile. */
  private void pause(Duration d) {
    lock.lock();
    try {
      long left = d.toNanos();
      while (!closed && left > 0) {
        left = wake.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "ChangeListener[" + CHANNEL + (closed ? ", closed" : "") + "]";
  }
}
