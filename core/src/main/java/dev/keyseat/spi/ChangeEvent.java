package dev.keyseat.spi;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One entry of the store's change feed: a key changed, so validators on every node must forget
 * what they cached for {@link #hashes()}.
 *
 * @param sequence position in the feed, assigned by the store at commit (0 before it is stored):
 *     gapless and in commit order, one above the previous committed event's, so a poller that sees
 *     a gap knows the entries in between were purged (see {@link KeyStore#changesSince})
 * @param type what happened
 * @param accountId the account
 * @param keyId the key
 * @param hashes every hash of the key affected (current and previous)
 * @param at when it happened
 */
public record ChangeEvent(long sequence, Type type, AccountId accountId, KeyId keyId, List<KeyHash> hashes, Instant at) {

  /** Kinds of key change. */
  public enum Type {
    /** A key was created. */
    CREATED,
    /** A key got a new secret. */
    REGENERATED,
    /** A key's label, expiry or device changed. */
    EDITED,
    /** A key was suspended. */
    SUSPENDED,
    /** A suspended key was resumed. */
    RESUMED,
    /** A key was deleted. */
    DELETED
  }

  /**
   * Checks required components.
   *
   * @param sequence position in the feed, assigned by the store at commit (0 before it is stored): gapless and in commit order, one above the previous committed event's, so a poller that sees a gap knows the entries in between were purged (see {@link KeyStore#changesSince})
   * @param type what happened
   * @param accountId the account
   * @param keyId the key
   * @param hashes every hash of the key affected (current and previous)
   * @param at when it happened
   */
  public ChangeEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(keyId, "keyId");
    hashes = List.copyOf(hashes);
    Objects.requireNonNull(at, "at");
  }

  /**
   * @param seq the sequence number the store assigned
   * @return a copy carrying the sequence number the store assigned
   */
  public ChangeEvent withSequence(long seq) {
    return new ChangeEvent(seq, type, accountId, keyId, hashes, at);
  }
}
