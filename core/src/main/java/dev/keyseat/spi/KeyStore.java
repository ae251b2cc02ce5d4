package dev.keyseat.spi;

import dev.keyseat.AccountId;
import dev.keyseat.DailyUsage;
import dev.keyseat.KeyId;
import dev.keyseat.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 *
 * <p>What the store checks and what core checks before calling it: the store refuses (returns
 * {@code false} from a conditional write) only what breaks a uniqueness rule above, and throws for
 * misuse (writing into a missing account, updating a missing row, writing another account's
 * rows, deleting a device that still has a key). Every business rule (licenses, roles, closed
 * accounts) is core's precondition, checked before the store is called.
 *
 * <p>Optional parts are declared by {@link #capabilities()}: listing keys ({@link
 * #forEachKey}), purging the change feed ({@link #purgeChanges}) and notifying other nodes on
 * commit. The test kit runs the tests of a capability only for stores that declare it.
 */
public interface KeyStore {

  /** The optional parts of the SPI a store may declare in {@link KeyStore#capabilities()}. */
  enum Capability {
    /** {@link KeyStore#forEachKey} lists every stored key (validators may preload their cache). */
    LISTS_KEYS,
    /**
     * The store tells other nodes sharing it that the change feed grew, as soon as a transaction
     * that appended changes commits (for example with PostgreSQL's {@code NOTIFY}), so their
     * validators need not wait for the next poll.
     */
    NOTIFIES_ON_COMMIT,
    /** {@link KeyStore#purgeChanges} deletes old change feed entries. */
    PURGES_CHANGES
  }

  /**
   * The optional parts of the SPI this store implements. The default derives them from the
   * methods the store's class overrides: {@link Capability#LISTS_KEYS} if it overrides {@link
   * #forEachKey}, {@link Capability#PURGES_CHANGES} if it overrides {@link #purgeChanges}; never
   * {@link Capability#NOTIFIES_ON_COMMIT}, which a store must declare itself. A store that wraps
   * another (a forwarding store) answers what the store it wraps answers.
   *
   * @return the capabilities, never null
   */
  default Set<Capability> capabilities() {
    Set<Capability> declared = EnumSet.noneOf(Capability.class);
    try {
      if (getClass().getMethod("forEachKey", Consumer.class).getDeclaringClass() != KeyStore.class) {
        declared.add(Capability.LISTS_KEYS);
      }
      if (getClass().getMethod("purgeChanges", Instant.class).getDeclaringClass() != KeyStore.class) {
        declared.add(Capability.PURGES_CHANGES);
      }
    } catch (NoSuchMethodException e) {
      throw new AssertionError("KeyStore declares both methods", e);
    }
    return Set.copyOf(declared);
  }

  /**
   * Runs {@code work} atomically and serialized with every other writer of the account, on every
   * node sharing the storage. Either all of its writes become visible together at commit, or none
   * does (when {@code work} throws): audit entries and change events included, so a refusal that
   * core audits inside a transaction that then rolls back leaves no audit entry (core audits
   * refusals in a transaction of their own that commits). The account need not exist yet: {@link
   * AccountTransaction#account()} is then empty and the work may insert it. A store may take the
   * lock when the work makes its first call on the transaction rather than before the work runs
   * (the JDBC store does, to send it with that call's statement): core makes no decision before its
   * first call, and reads its clock after it.
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
   * <p>Optional ({@link Capability#LISTS_KEYS}): the default throws {@link
   * UnsupportedOperationException}, and preloading is then refused when the validator is built.
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
   * above the event numbered before it (a transaction that rolls back uses up no number); an event
   * becomes readable only under a number above every number readable before it, so no event ever
   * appears under a lower number than one already visible; the events of one transaction keep
   * their order; and an event of a transaction that began after another committed is numbered
   * above that one's events (events of transactions that overlapped may be numbered in either
   * order). A store may number events at commit (under a lock held until then) or after commit,
   * when the feed is read (the JDBC store on PostgreSQL, so that writers of different accounts
   * share no lock): either way, every event committed before this call returns is readable
   * through it, and through {@link #latestChangeSequence()}. So a poller that has read up to
   * {@code s} has seen every event numbered {@code s} or less, and can never miss one that commits
   * later. A gap therefore has one meaning: if the first event returned is numbered above
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
   * @return the greatest sequence in the change feed, every event committed before this call
   *     included, 0 if nothing was ever appended; purging old entries does not lower it
   */
  long latestChangeSequence();

  /**
   * Push notification of changes committed to the feed by any node, so that validators read the
   * feed at once instead of waiting for their next poll (PostgreSQL: {@code LISTEN/NOTIFY}).
   *
   * <p>The store calls {@code onChange} on a thread of its own, one call at a time, soon after
   * changes commit; calls carry nothing (the subscriber reads the feed with {@link
   * #changesSince}) and may be coalesced. It also calls it each time the subscription (re)starts
   * listening, since notifications sent while it was not listening are lost. Notifications are a
   * hint, never a guarantee: a subscriber keeps polling the feed. A lost listening connection is
   * re-established by the store, with backoff, until the subscription is closed. What {@code
   * onChange} throws is logged and ignored.
   *
   * <p>Optional ({@link Capability#NOTIFIES_ON_COMMIT}, which a store that implements this must
   * declare in {@link #capabilities()}): the default throws {@link UnsupportedOperationException},
   * and validators then rely on polling alone (within one JVM, local commits invalidate at once
   * anyway).
   *
   * @param onChange told that the feed may have grown; may block (the next call waits)
   * @return the subscription, to close when done
   * @throws NullPointerException if {@code onChange} is null
   * @throws UnsupportedOperationException if the store offers no notifications
   */
  default ChangeSubscription subscribeToChanges(Runnable onChange) {
    throw new UnsupportedOperationException(getClass().getName() + " offers no change notifications");
  }

  /**
   * A rate limit of {@code requests} per {@code period} per key, held in the shared storage so
   * that it is one limit across every node ({@code RateLimitMode.CLUSTER}). The allowance refills
   * greedily: {@code requests} spread evenly over the period, up to {@code requests} at once.
   *
   * <p>Optional: the default throws {@link UnsupportedOperationException}, and a validator asked
   * for the {@code CLUSTER} mode refuses to build; the {@code LOCAL} mode needs nothing of the
   * store.
   *
   * @param requests the allowance per period, at least 1
   * @param period the period
   * @return the limiter
   * @throws UnsupportedOperationException if the store holds no shared rate limits
   */
  default SharedRateLimiter sharedRateLimiter(long requests, Duration period) {
    throw new UnsupportedOperationException(getClass().getName() + " holds no shared rate limits");
  }

  /**
   * Deletes the change feed entries older than {@code cutoff}, from the start of the feed only. An
   * entry's age counts from the time the store keeps for it: {@link ChangeEvent#at()}, or, for a
   * store that numbers entries after commit, when it numbered them by its own clock (never
   * earlier than {@code at}). Every entry at or after the cutoff stays, and so does every entry numbered after
   * one that stays, so the remaining feed is gapless and a poller that has read up to {@link
   * #latestChangeSequence()} misses nothing: only a poller whose cursor is before the oldest
   * remaining entry sees a gap (see {@link #changesSince}). {@link #latestChangeSequence()} is not
   * lowered, and the next committed event is numbered one above it. Idempotent.
   *
   * <p>Optional ({@link Capability#PURGES_CHANGES}): the default throws {@link
   * UnsupportedOperationException}.
   *
   * @param cutoff entries that became readable before this instant may go
   * @return the number of entries deleted
   * @throws StoreUnavailableException if the storage fails
   * @throws UnsupportedOperationException if the store cannot purge its feed
   */
  default int purgeChanges(Instant cutoff) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot purge its change feed");
  }

  /**
   * Adds usage coalesced in memory: greatest last-used time, summed counts. Deltas for unknown
   * keys are ignored, and so is a delta for a key deleted by a transaction that commits before or
   * while the batch is written: usage never outlives its key nor reappears on a new key with the
   * same id. Usage is not part of any account transaction and takes no account's writers' lock.
   *
   * @param batch usage per key
   */
  void recordUsage(Collection<UsageDelta> batch);

  /**
   * Daily usage recorded by {@link #recordUsage}, for usage charts: the validations of each day, the
   * day being the UTC date of each delta's {@link UsageDelta#lastUsedAt()} (a flush covers seconds, so
   * a delta that straddles midnight counts on the later day). Counts of several flushes on one day
   * add up. Like {@link KeyUsage}, daily usage never outlives its key: deleting a key deletes its
   * days, and a later key with the same id starts without any. Read-only and without the writers'
   * lock; an account's days count only the keys it holds, never another account's.
   *
   * <p>The store must: return only days from {@code from} to {@code to} (both included) on which
   * some usage was recorded, in increasing date order, each day once, with a positive count; for a
   * key, only if it is a key of {@code accountId} (a key of another account, or an unknown key,
   * yields an empty list); for the account ({@code keyId} null), the sum over its keys per day.
   *
   * @param accountId the account
   * @param keyId one key of the account, or null for the whole account
   * @param from the first day, in UTC
   * @param to the last day, in UTC, not before {@code from}
   * @return the days with usage, oldest first; days without usage are left out
   * @throws IllegalArgumentException if {@code to} is before {@code from}
   * @throws StoreUnavailableException if the storage fails
   */
  List<DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, LocalDate from, LocalDate to);

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

  /**
   * The license grants of several accounts, for the operator's account list: for each account,
   * what {@link AccountTransaction#licenses()} lists. Read-only, without the writers' lock. The
   * default reads each account on its own ({@link #readAccount}); a store may read them in one
   * query (JDBC).
   *
   * @param accounts the accounts
   * @return by account, its grants (an account without grants or that does not exist maps to an
   *     empty list or is absent)
   * @throws StoreUnavailableException if the storage fails
   * @throws UnsupportedOperationException if the store does not keep license grants
   */
  default java.util.Map<AccountId, List<dev.keyseat.License>> licensesOf(Collection<AccountId> accounts) {
    java.util.Map<AccountId, List<dev.keyseat.License>> grants = new java.util.HashMap<>();
    for (AccountId id : accounts) {
      grants.put(id, readAccount(id, AccountTransaction::licenses));
    }
    return grants;
  }
}
