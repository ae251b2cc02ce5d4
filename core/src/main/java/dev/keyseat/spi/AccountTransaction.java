package dev.keyseat.spi;

import dev.keyseat.Account;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.Member;
import dev.keyseat.UserId;
import java.util.List;
import java.util.Optional;

/**
 * One account's transaction: reads see the account as of the transaction, writes become visible
 * together at commit. Valid only inside {@link AccountWork#run}. Conditional writes return
 * {@code false} instead of throwing when a uniqueness rule would be broken, and then change nothing.
 * Orderings "by serial" and "by user id" are {@link String#compareTo} orders.
 */
public interface AccountTransaction {

  // accounts

  /** @return the account, or empty if it does not exist */
  Optional<Account> account();

  /**
   * @param account the account to insert, with this transaction's account id
   * @return false if an account with that id exists
   */
  boolean insertAccount(Account account);

  /**
   * @param account replaces the stored account (same id): name, contracted licenses, creation
   *     time and {@link Account#closedAt()}, which the store must keep and give back as written
   */
  void updateAccount(Account account);

  // members

  /** @return the account's members, ordered by user id */
  List<Member> members();

  /**
   * @param userId the user
   * @return the member, or empty
   */
  Optional<Member> member(UserId userId);

  /**
   * Inserts or replaces a member of this account.
   *
   * @param member the member
   */
  void putMember(Member member);

  /**
   * Removes a member; no effect if absent.
   *
   * @param userId the user
   */
  void removeMember(UserId userId);

  // devices

  /** @return the account's devices, ordered by serial */
  List<Device> devices();

  /**
   * @param serial the device's serial number
   * @return the device if it is associated with this account
   */
  Optional<Device> device(String serial);

  /**
   * @param device a device of this account
   * @return false if the serial is associated with any account (serials are unique platform-wide)
   */
  boolean insertDevice(Device device);

  /** @param device replaces the stored device of this account with the same serial */
  void updateDevice(Device device);

  /**
   * Removes the device from this account; its key must have been deleted first.
   *
   * @param serial the device's serial number
   */
  void deleteDevice(String serial);

  // keys

  /** @return the account's keys, ordered by creation time, then {@link StoredKey#ordinal()}, then id */
  List<StoredKey> keys();

  /** @return the number of keys of the account */
  int keyCount();

  /**
   * The highest {@link StoredKey#ordinal()} among the account's keys, from which the next batch of
   * keys numbers on. A store may answer it without listing the keys (JDBC: {@code MAX(ordinal)}).
   *
   * @return the highest ordinal, or 0 when the account has no keys
   */
  default long lastKeyOrdinal() {
    return keys().stream().mapToLong(StoredKey::ordinal).max().orElse(0);
  }

  /** @return the key with this id in this account */
  Optional<StoredKey> key(KeyId id);

  /**
   * @param serial the device's serial number
   * @return the key bound to the device, if any
   */
  Optional<StoredKey> keyForDevice(String serial);

  /**
   * @param key a key of this account bound to a device of this account
   * @return false if the id, the hash or the device's key slot is taken
   */
  boolean insertKey(StoredKey key);

  /**
   * Replaces the key with the same id.
   *
   * @param key the key
   * @return false if the new hash is taken by another key or the new device has another key
   */
  boolean updateKey(StoredKey key);

  /**
   * Deletes the key and its usage; no effect if absent.
   *
   * @param id the id
   */
  void deleteKey(KeyId id);

  /**
   * @param id the id
   * @return recorded usage of a key of this account
   */
  KeyUsage usage(KeyId id);

  // audit and change feed

  /**
   * Appends an audit entry; the store assigns its sequence.
   *
   * @param entry the entry to append
   */
  void appendAudit(AuditEntry entry);

  /**
   * @param beforeSequence entries with a smaller sequence ({@link Long#MAX_VALUE} for the newest)
   * @param limit at most this many
   * @return committed audit entries of this account, newest first (entries appended in this
   *     transaction need not be included)
   */
  List<AuditEntry> audit(long beforeSequence, int limit);

  /**
   * Appends a change-feed event, visible to {@link KeyStore#changesSince} after commit.
   *
   * @param event the change to append
   */
  void appendChange(ChangeEvent event);

}
