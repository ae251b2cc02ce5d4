package dev.keyseat.testkit;

import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A store wrapper for validator tests: counts the validation-path calls, fails chosen kinds of
 * call on demand with {@link StoreUnavailableException} (as an unreachable database would), and
 * can hold lookups until the test lets them go. Management transactions pass through untouched.
 * Thread-safe.
 */
public final class InstrumentedKeyStore extends ForwardingKeyStore {
  private final AtomicInteger lookups = new AtomicInteger();
  private final AtomicInteger feedReads = new AtomicInteger();
  private final List<List<UsageDelta>> usageBatches = new ArrayList<>();
  private final Semaphore lookupsEntered = new Semaphore(0);
  private volatile boolean failLookups;
  private volatile boolean failFeed;
  private volatile boolean failUsage;
  private volatile long purgedThrough;
  private volatile CountDownLatch lookupGate = new CountDownLatch(0);

  /** @param delegate the store that does the work */
  public InstrumentedKeyStore(KeyStore delegate) {
    super(delegate);
  }

  // ------------------------------------------------------------------ counters

  /** @return how many times {@link #findKeyByHash} was called */
  public int lookups() {
    return lookups.get();
  }

  /** @return how many times the change feed was read ({@link #changesSince}) */
  public int feedReads() {
    return feedReads.get();
  }

  /** @return every successful {@link #recordUsage} batch, in order */
  public synchronized List<List<UsageDelta>> usageBatches() {
    return List.copyOf(usageBatches);
  }

  // ------------------------------------------------------------------ failures

  /** @param fail whether {@link #findKeyByHash} and {@link #forEachKey} fail from now on */
  public void failLookups(boolean fail) {
    this.failLookups = fail;
  }

  /** @param fail whether {@link #changesSince} and {@link #latestChangeSequence} fail from now on */
  public void failFeed(boolean fail) {
    this.failFeed = fail;
  }

  /** @param fail whether {@link #recordUsage} fails from now on */
  public void failUsage(boolean fail) {
    this.failUsage = fail;
  }

  /**
   * Hides all but the newest {@code keep} entries of the change feed from {@link #changesSince},
   * as a store's purge of old entries would, without touching the store under test. Works while
   * the feed is {@linkplain #failFeed failed}.
   *
   * @param keep how many of the newest entries stay readable
   * @return the sequence of the last entry hidden
   */
  public long purgeFeedKeeping(int keep) {
    long through = delegate().latestChangeSequence() - keep;
    this.purgedThrough = through;
    return through;
  }

  /** @param fail whether every validation-path call (lookups, feed, usage) fails from now on */
  public void failAll(boolean fail) {
    failLookups(fail);
    failFeed(fail);
    failUsage(fail);
  }

  // ------------------------------------------------------------------ holding lookups

  /**
   * Makes lookups from now on wait until the returned latch is counted down. Each waiting lookup
   * has been counted, and releases one permit of {@link #lookupsEntered()}, before it waits.
   *
   * @return the latch to count down to let the lookups go
   */
  public CountDownLatch holdLookups() {
    CountDownLatch gate = new CountDownLatch(1);
    lookupGate = gate;
    return gate;
  }

  /** @return a semaphore receiving one permit per lookup as it starts */
  public Semaphore lookupsEntered() {
    return lookupsEntered;
  }

  // ------------------------------------------------------------------ the store

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    lookups.incrementAndGet();
    lookupsEntered.release();
    try {
      lookupGate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while held");
    }
    if (failLookups) {
      throw new StoreUnavailableException("simulated outage: lookup");
    }
    return super.findKeyByHash(hash);
  }

  @Override
  public void forEachKey(Consumer<? super StoredKey> action) {
    if (failLookups) {
      throw new StoreUnavailableException("simulated outage: listing keys");
    }
    super.forEachKey(action);
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    feedReads.incrementAndGet();
    if (failFeed) {
      throw new StoreUnavailableException("simulated outage: change feed");
    }
    long purged = purgedThrough;
    return super.changesSince(Math.max(afterSequence, purged), max);
  }

  @Override
  public long latestChangeSequence() {
    if (failFeed) {
      throw new StoreUnavailableException("simulated outage: change feed");
    }
    return super.latestChangeSequence();
  }

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    if (failUsage) {
      throw new StoreUnavailableException("simulated outage: usage");
    }
    super.recordUsage(batch);
    synchronized (this) {
      usageBatches.add(List.copyOf(batch));
    }
  }
}
