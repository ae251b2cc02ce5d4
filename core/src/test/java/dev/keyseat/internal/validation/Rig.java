package dev.keyseat.internal.validation;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.Ticker;
import dev.keyseat.validation.ValidatorScheduler;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What the mechanism's unit tests build validators from: a {@link StubStore}, a ticker moved by
 * hand (its reads counted), a scheduler whose tasks the test runs, and the validators started, closed
 * by {@link #close()}.
 */
final class Rig implements AutoCloseable {
  static final long SECOND = 1_000_000_000L;
  /** The management clock's fixed time. */
  static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");
  final AtomicLong nanos = new AtomicLong(500 * SECOND);
  final AtomicInteger reads = new AtomicInteger();
  final Ticker ticker = () -> {
    reads.incrementAndGet();
    return nanos.get();
  };
  final KeyFormat format;
  final KeyHasher hasher = new KeyHasher(null);
  final StubStore store = new StubStore();
  final CommitStream commits = new CommitStream();
  final OpenValidators open = new OpenValidators();
  final Map<String, Runnable> tasks = new HashMap<>();
  final ValidatorScheduler byHand = (name, period, task) -> {
    tasks.put(name, task);
    return () -> tasks.remove(name);
  };
  private final List<CachedKeyValidator> started = new ArrayList<>();

  /** A rig for keys of the default shape, prefix {@code ks}. */
  Rig() {
    this(new KeyFormat("ks", new SecureRandom()));
  }

  /** @param format the key format, legacy shapes declared or not */
  Rig(KeyFormat format) {
    this.format = format;
  }

  /**
   * @return a management clock that moves with the ticker: {@link #NOW} at the ticker's start, and
   *     as far after it as the ticker has moved since
   */
  Clock movingClock() {
    long start = nanos.get();
    InstantSource source = () -> NOW.plusNanos(nanos.get() - start);
    return source.withZone(ZoneOffset.UTC);
  }

  /** @return a builder over the stub store, the ticker read on every call, the fixed clock, tasks run by hand */
  ValidationCacheBuilder builder() {
    return builder(Clock.fixed(NOW, ZoneOffset.UTC), CoarseTicker.precise(ticker));
  }

  /** @return a builder over the stub store with {@code clock} and {@code time}, tasks run by hand */
  ValidationCacheBuilder builder(Clock clock, CoarseTicker time) {
    ValidationCacheBuilder b = new ValidationCacheBuilder(store, format, hasher, clock, commits, open).time(time);
    b.scheduler(byHand).storeLookupsPerSecond(100_000);
    return b;
  }

  /** @return the validator {@code b} builds, closed with this rig */
  CachedKeyValidator start(CachedKeyValidatorBuilder b) {
    CachedKeyValidator v = b.build();
    started.add(v);
    return v;
  }

  /** @return a new stored key's secret */
  String key() {
    return store.add(format, hasher);
  }

  /** Runs the scheduled task {@code name} ("feed-poller" or "usage-flusher") once. */
  void run(String name) {
    tasks.get(name).run();
  }

  /** @return the live threads whose names start with {@code prefix} */
  static Set<Thread> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix))
        .collect(Collectors.toSet());
  }

  @Override
  public void close() {
    started.forEach(CachedKeyValidator::close);
  }
}
