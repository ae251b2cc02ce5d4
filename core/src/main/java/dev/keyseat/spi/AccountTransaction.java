package dev.keyseat.spi;

import dev.keyseat.Account;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.LicensePolicy;
import dev.keyseat.Member;
import dev.keyseat.UserId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One account's transaction: reads see the account as of the transaction, writes become visible
 * together at commit. Valid only inside {@link AccountWork#run}. Conditional writes return
 * {@code false} instead of throwing when a uniqueness rule would be broken, and then change nothing.
 * Orderings "by serial" and "by user id" are {@link String#compareTo} orders.
 *
 * <p>A conditional write that meets a serial, key id or hash held by another account's
 * uncommitted transaction may wait for that transaction to end and answer by its outcome, or
 * return {@code false} at once; it never returns {@code true} while the other may still commit it.
 * Misuse throws instead of writing: updating the account, inserting a row or appending audit
 * while the account does not exist, and any {@code update*} of a row the account does not
 * have throw {@link IllegalStateException}; a row of another account throws {@link
 * IllegalArgumentException}; a use after the work returned throws {@link IllegalStateException}.
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
   * @param member the member to add or replace
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
   * @param serial the device's serial
   * @return the device if it is associated with this account
   */
  Optional<Device> device(String serial);

  /**
   * @param device a device of this account
   * @return false if the serial is associated with any account (serials are unique platform-wide)
   */
  boolean insertDevice(Device device);

  /**
   * Inserts devices as {@link #insertDevice} would, one after the other. The default calls it per
   * device; a store may write them in one batch.
   *
   * @param devices devices of this account
   * @return the indexes, in {@code devices}, of those refused (their serial is associated already)
   */
  default List<Integer> insertDevices(List<Device> devices) {
    return refusedIndexes(devices, this::insertDevice);
  }

  /**
   * @param device replaces the stored device of this account with the same serial
   * @throws IllegalStateException if the account has no device with that serial
   */
  void updateDevice(Device device);

  /**
   * Removes the device from this account; no effect if absent. The store checks that its key was
   * deleted first.
   *
   * @param serial the device's serial
   * @throws IllegalStateException if a key is still bound to the device
   */
  void deleteDevice(String serial);

  /**
   * The account's devices among {@code serials}, each with its key: what a batch of key creations
   * checks (R2, R11) in one read. The default asks {@link #device} and {@link #keyForDevice} per
   * serial; a store may answer in one query (JDBC).
   *
   * @param serials serials, in any order, possibly of other accounts' devices or of none
   * @return by serial, the devices of this account among them (the others are absent)
   */
  default java.util.Map<String, DeviceWithKey> devicesWithKeys(java.util.Collection<String> serials) {
    java.util.Map<String, DeviceWithKey> found = new java.util.LinkedHashMap<>();
    for (String serial : serials) {
      device(serial).ifPresent(d -> found.put(serial, new DeviceWithKey(d, keyForDevice(serial).orElse(null))));
    }
    return found;
  }

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

  /**
   * @param id the key's public id
   * @return the key with this id in this account
   */
  Optional<StoredKey> key(KeyId id);

  /**
   * @param serial the device's serial
   * @return the key bound to the device, if any
   */
  Optional<StoredKey> keyForDevice(String serial);

  /**
   * @param key a key of this account bound to a device of this account
   * @return false if the id or a hash is taken (in any account), the device has a key, or the
   *     device is not a device of this account: the store checks the binding, core need not
   */
  boolean insertKey(StoredKey key);

  /**
   * Inserts keys as {@link #insertKey} would, one after the other in list order (a key sees the
   * keys inserted before it): a key that {@code insertKey} would refuse is not inserted, and the
   * others are. The default calls {@code insertKey} per key; a store may write the batch in one
   * statement or JDBC batch (a constant number of round trips whatever its size).
   *
   * @param keys keys of this account, each bound to a device of this account
   * @return the indexes, in {@code keys}, of the keys refused (empty if every key was inserted)
   */
  default List<Integer> insertKeys(List<StoredKey> keys) {
    return refusedIndexes(keys, this::insertKey);
  }

  /**
   * Replaces the key with the same id.
   *
   * @param key the new version of a key of this account
   * @return false if the new hash is taken by another key, the new device has another key or is
   *     not a device of this account
   * @throws IllegalStateException if the account has no key with that id
   */
  boolean updateKey(StoredKey key);

  /**
   * Deletes the key and its usage; no effect if absent.
   *
   * @param id the key's public id
   */
  void deleteKey(KeyId id);

  /**
   * @param id a key id
   * @return recorded usage of a key of this account; {@link KeyUsage#NONE} for a key of another
   *     account or no key at all
   */
  KeyUsage usage(KeyId id);

  /**
   * One page of the keys table: the keys matching the request's search and filter, in its order,
   * after its position, at most its limit, each with its device's name and usage, and how many
   * match in all. The semantics are those of {@link KeyPageRequest}.
   *
   * <p>The default reads the whole table ({@link #keys()}, {@link #devices()} and {@link #usage}
   * per key) and sorts it in memory, so every store answers; a store with an index overrides it
   * (JDBC: keyset pagination in one query, usage on the same row, and a count).
   *
   * @param request the search, sort, position and size
   * @return the page
   */
  default KeyRowPage keyPage(KeyPageRequest request) {
    java.util.Map<String, String> names = new java.util.HashMap<>();
    for (Device d : devices()) {
      names.put(d.serial(), d.name());
    }
    List<KeyRow> matching = new java.util.ArrayList<>();
    for (StoredKey k : keys()) {
      KeyRow row = new KeyRow(k, names.getOrDefault(k.deviceSerial(), k.deviceSerial()), usage(k.id()));
      if (request.matches(row)) {
        matching.add(row);
      }
    }
    matching.sort(request.order());
    List<KeyRow> rows = new java.util.ArrayList<>();
    boolean more = false;
    for (KeyRow row : matching) {
      if (!request.isAfterCursor(row)) {
        continue;
      }
      if (rows.size() == request.limit()) {
        more = true;
        break;
      }
      rows.add(row);
    }
    return new KeyRowPage(rows, more, matching.size());
  }

  // licenses (grants, the account's license policy, the seat reuse ledger)

  /**
   * Every license grant of the account, ended ones included (grants are never deleted), in {@link
   * License#ORDER}. Optional for stores written before grants: the default throws.
   *
   * @return the grants
   * @throws UnsupportedOperationException if the store does not keep license grants
   */
  default List<License> licenses() {
    throw new UnsupportedOperationException(getClass().getName() + " does not keep license grants");
  }

  /**
   * Inserts a grant of this account.
   *
   * @param license the grant
   * @return false if a grant with that id exists (in any account); then nothing changed
   * @throws UnsupportedOperationException if the store does not keep license grants
   */
  default boolean insertLicense(License license) {
    throw new UnsupportedOperationException(getClass().getName() + " does not keep license grants");
  }

  /**
   * Replaces the grant of this account with the same id: its end and {@link License#endApplied()}
   * (the other components never change).
   *
   * @param license the grant as it is now
   * @throws UnsupportedOperationException if the store does not keep license grants
   */
  default void updateLicense(License license) {
    throw new UnsupportedOperationException(getClass().getName() + " does not keep license grants");
  }

  /**
   * @return the account's license policy as last written by {@link #putLicensePolicy}, or {@link
   *     LicensePolicy#DEFAULT} if none was (the default answer of stores without policies)
   */
  default LicensePolicy licensePolicy() {
    return LicensePolicy.DEFAULT;
  }

  /**
   * Stores the account's license policy, replacing the previous one.
   *
   * @param policy the policy
   * @throws UnsupportedOperationException if the store does not keep license policies
   */
  default void putLicensePolicy(LicensePolicy policy) {
    throw new UnsupportedOperationException(getClass().getName() + " does not keep license policies");
  }

  /**
   * @return the account's seat reuse ledger as last written by {@link #putSeatLedger}, or {@link
   *     SeatLedger#EMPTY} if none was (the default answer of stores without a ledger)
   */
  default SeatLedger seatLedger() {
    return SeatLedger.EMPTY;
  }

  /**
   * Stores the account's seat reuse ledger, replacing the previous one (the reassignment instants
   * are kept in the order given).
   *
   * @param ledger the ledger
   * @throws UnsupportedOperationException if the store does not keep a seat ledger
   */
  default void putSeatLedger(SeatLedger ledger) {
    throw new UnsupportedOperationException(getClass().getName() + " does not keep a seat reuse ledger");
  }

  // audit and change feed

  /**
   * Appends an audit entry; the store assigns its sequence at commit. Sequences increase within an
   * account; they may be numbered per account or shared by all accounts, and need not be
   * contiguous. An entry of a transaction that rolls back is never stored.
   *
   * @param entry an entry of this account
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
   * @param event the change, without its sequence
   */
  void appendChange(ChangeEvent event);

  /**
   * The batch default of {@link #insertDevices} and {@link #insertKeys}: inserts one item after
   * the other.
   *
   * @param items what to insert, in order
   * @param insert the single insert, false when it refuses the item
   * @return the indexes, in {@code items}, of those refused
   */
  private static <T> List<Integer> refusedIndexes(List<T> items, Predicate<T> insert) {
    List<Integer> refused = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (!insert.test(items.get(i))) {
        refused.add(i);
      }
    }
    return refused;
  }
}
