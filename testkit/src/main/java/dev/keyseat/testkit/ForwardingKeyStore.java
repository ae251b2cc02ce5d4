package dev.keyseat.testkit;

import dev.keyseat.AccountId;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KeyStore} that passes every call to another. Extend it to count, delay or fail
 * chosen calls in tests; see {@link InstrumentedKeyStore}.
 */
public class ForwardingKeyStore implements KeyStore {
  private final KeyStore delegate;

  /** @param delegate the store that does the work */
  public ForwardingKeyStore(KeyStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** @return the store that does the work */
  protected KeyStore delegate() {
    return delegate;
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    return delegate.inAccount(accountId, work);
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    return delegate.readAccount(accountId, work);
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

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    delegate.recordUsage(batch);
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
