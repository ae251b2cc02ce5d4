package dev.keyseat.spi;

import dev.keyseat.AccountId;
import dev.keyseat.StoreUnavailableException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Storage behind Keyseat: a transactional repository that enforces nothing but atomicity,
 * isolation and uniqueness — of device serials, key ids and key hashes (current and previous)
 * across all accounts, and of one key per device. All rules live in {@code KeyManager}. A new store proves itself by passing the contract suite in
 * {@code keyseat-testkit}.
 *
 * <p>Implementations are thread-safe. Failures to reach the storage surface as
 * {@link StoreUnavailableException}; exceptions thrown by the work pass through unchanged after
 * rollback.
 */
public interface KeyStore {

  /**
   * Runs {@code work} atomically and serialized with every other writer of the account, on every
   * node sharing the storage. Either all of its writes become visible together at commit, or none
   * does (when {@code work} throws). The account need not exist yet: {@link
   * AccountTransaction#account()} is then empty and the work may insert it.
   *
   * @param accountId the account whose writers are serialized
   * @param work the work; it may be run more than once when the store retries a serialization
   *     failure, so it must not have effects outside the transaction
   * @param <T> result type
   * @return what the work returned
   * @throws StoreUnavailableException if the storage fails
   */
  <T> T inAccount(AccountId accountId, AccountWork<T> work);

  /**
   * Runs read-only {@code work} on a consistent snapshot of the account without taking the
   * writers' lock. Write methods of the transaction throw {@link UnsupportedOperationException}.
   *
   * @param accountId the account
   * @param work the work
   * @param <T> result type
   * @return what the work returned
   */
  <T> T readAccount(AccountId accountId, AccountWork<T> work);

  /**
   * The validation path's loader: read-only, no lock, one indexed lookup.
   *
   * @param hash hash of a presented key
   * @return the key whose current or previous hash equals {@code hash}
   */
  Optional<StoredKey> findKeyByHash(KeyHash hash);

  /**
   * Passes every stored key to {@code action}, for validators that preload their cache
   * ({@code CachedKeyValidatorBuilder.preloadAllKeys()}). Read-only and without the writers'
   * lock: keys changed meanwhile may be seen before or after the change, which the caller
   * reconciles through the change feed, read from a position taken before this call.
   *
   * <p>Optional: the default throws {@link UnsupportedOperationException}, and preloading is then
   * refused when the validator is built.
   *
   * @param action receives each key once
   * @throws StoreUnavailableException if the storage fails
   * @throws UnsupportedOperationException if the store cannot list its keys
   */
  default void forEachKey(Consumer<? super StoredKey> action) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot list its keys");
  }

  /**
   * Reads the change feed.
   *
   * <p>Sequences are <b>gapless and in commit order</b>: each committed event is numbered one
   * above the event committed before it (a transaction that rolls back uses up no number), and an
   * event never commits under a lower number than one already visible. So a poller that has read
   * up to {@code s} has seen every event numbered {@code s} or less, and can never miss one that
   * commits later. A gap therefore has one meaning: if the first event returned is numbered above
   * {@code afterSequence + 1} (or an event above the one before it plus one), the entries in
   * between were purged before the poller read them, for example during a long outage of the
   * poller. It must then forget everything it cached, not just the keys of the events it reads.
   *
   * @param afterSequence return events with a greater sequence (0 for the beginning)
   * @param max at most this many events
   * @return events in increasing sequence order
   */
  List<ChangeEvent> changesSince(long afterSequence, int max);

  /**
   * @return the greatest sequence in the change feed, 0 if nothing was ever appended; purging
   *     old entries does not lower it
   */
  long latestChangeSequence();

  /**
   * Adds usage coalesced in memory: greatest last-used time, summed counts. Deltas for unknown
   * keys are ignored.
   *
   * @param batch usage per key
   */
  void recordUsage(Collection<UsageDelta> batch);

  /**
   * A page of every account the store holds, open or closed, for the operator's account list
   * ({@code KeyManager.accounts}). Read-only and without the writers' lock; each account's key
   * count is read together with its row (one consistent snapshot per call where the store offers
   * one; otherwise an account changed meanwhile may show its count from just before or after the
   * change).
   *
   * <p>The store must: return only accounts whose id is greater than {@code after} in {@link
   * String#compareTo} order of {@link AccountId#value()} (every account when {@code after} is
   * null), in increasing id order, at most {@code limit} of them; return each account as last
   * committed, {@link dev.keyseat.Account#closedAt()} included; and count its keys as committed.
   * Accounts created by a transaction that rolled back are never listed.
   *
   * @param after list accounts after this id, or null to start at the first
   * @param limit at most this many, at least 1
   * @return the accounts with their key counts, in increasing id order
   * @throws IllegalArgumentException if {@code limit} is less than 1
   * @throws StoreUnavailableException if the storage fails
   */
  List<AccountSummary> accounts(@Nullable AccountId after, int limit);
}
