package dev.keyseat.testkit;

import dev.keyseat.AccountId;
import dev.keyseat.DailyUsage;
import dev.keyseat.KeyId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.ChangeSubscription;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SharedRateLimiter;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KeyStore} that passes every call to another. Extend it to count, delay, drop or fail
 * chosen calls in tests and benchmarks; see {@link InstrumentedKeyStore}. To change what a
 * transaction does, pass a wrapper of every transaction.
 */
public class ForwardingKeyStore implements KeyStore {
  private final KeyStore delegate;
  private final UnaryOperator<AccountTransaction> transactions;

  /** @param delegate the store that does the work */
  public ForwardingKeyStore(KeyStore delegate) {
    this(delegate, UnaryOperator.identity());
  }

  /**
   * @param delegate the store that does the work
   * @param transactions wraps every transaction of {@link #inAccount} and {@link #readAccount}
   *     before the work sees it, e.g. to plant a bug in one of its methods
   */
  public ForwardingKeyStore(KeyStore delegate, UnaryOperator<AccountTransaction> transactions) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.transactions = Objects.requireNonNull(transactions, "transactions");
  }

  /** @return the store that does the work */
  protected KeyStore delegate() {
    return delegate;
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    return delegate.inAccount(accountId, tx -> work.run(transactions.apply(tx)));
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    return delegate.readAccount(accountId, tx -> work.run(transactions.apply(tx)));
  }

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    return delegate.findKeyByHash(hash);
  }

  @Override
  public void forEachKey(Consumer<? super StoredKey> action) {
    delegate.forEachKey(action);
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    return delegate.changesSince(afterSequence, max);
  }

  @Override
  public long latestChangeSequence() {
    return delegate.latestChangeSequence();
  }

  /** Deletes old feed entries through the store that does the work. */
  @Override
  public int purgeChanges(Instant cutoff) {
    return delegate.purgeChanges(cutoff);
  }

  /** @return what the store that does the work declares */
  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public ChangeSubscription subscribeToChanges(Runnable onChange) {
    return delegate.subscribeToChanges(onChange);
  }

  @Override
  public SharedRateLimiter sharedRateLimiter(long requests, Duration period) {
    return delegate.sharedRateLimiter(requests, period);
  }

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    delegate.recordUsage(batch);
  }

  @Override
  public List<DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, LocalDate from, LocalDate to) {
    return delegate.dailyUsage(accountId, keyId, from, to);
  }

  @Override
  public List<AccountSummary> accounts(@Nullable AccountId after, int limit) {
    return delegate.accounts(after, limit);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + delegate + "]";
  }
}
