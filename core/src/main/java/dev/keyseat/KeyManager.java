package dev.keyseat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The management API: accounts, licenses, members, devices and keys, with every rule of the
 * domain (R1–R13). Obtain one from {@link Keyseat#manager()}.
 *
 * <p>Every call names its {@link Actor}; a user's role is looked up in the store on each call.
 * Every call runs in one store transaction serialized with all other writers of the account on
 * every node, and is all or nothing. A refused call throws a {@link KeyseatException} subtype,
 * changes nothing, and is recorded in the account's audit log. Thread-safe.
 */
public interface KeyManager {

  // ---- operator

  /**
   * The operator creates an account with its first administrator and initial licenses.
   *
   * @param operator the operator
   * @param accountId the account
   * @param command the account's name, first admin and initial licenses
   * @return the new account
   * @throws AccessDeniedException if the actor is not the operator
   * @throws AlreadyExistsException if the account id is taken
   * @throws InvalidRequestException if the command is malformed, e.g. more than {@link
   *     Account#MAX_LICENSES} licenses
   */
  Account createAccount(Actor operator, AccountId accountId, NewAccount command);

  /**
   * The operator contracts more licenses (R9).
   *
   * @param operator the operator
   * @param accountId the account
   * @param quantity licenses to add, at least 1, such that the total stays at most {@link
   *     Account#MAX_LICENSES} (1,000,000)
   * @return usage afterwards
   * @throws InvalidRequestException if the quantity is below 1 or the total would exceed {@link
   *     Account#MAX_LICENSES}; the message says how many more can be added
   */
  LicenseUsage contractLicenses(Actor operator, AccountId accountId, int quantity);

  /**
   * The operator cancels licenses (R9). Keys are never deleted: under {@link
   * OverLimitStrategy#REJECT} cancelling below the keys in use is refused with {@link
   * LicensesInUseException} saying how many keys must be deleted first; the other strategies put
   * the account over its limit (no new key until it is back under) and {@link
   * OverLimitStrategy#SUSPEND_NEWEST} also suspends the newest keys above the new total.
   *
   * @param operator the operator
   * @param accountId the account
   * @param quantity licenses to cancel, at least 1 and at most the contracted number
   * @param strategy what happens to the keys above the new total
   * @return usage afterwards
   */
  LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity, OverLimitStrategy strategy);

  /**
   * Cancels licenses with {@link OverLimitStrategy#REJECT}.
   *
   * @param operator the operator
   * @param accountId the account
   * @param quantity licenses to cancel, at least 1 and at most the contracted number
   * @return usage afterwards
   */
  default LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity) {
    return cancelLicenses(operator, accountId, quantity, OverLimitStrategy.REJECT);
  }

  /**
   * License usage (R3): used, available, total now (the grants active now), and how many licenses
   * end next and when ("5 licenses end on …"). Any member and the operator may read it.
   *
   * @param actor the caller: a member of the account or the operator
   * @param accountId the account
   * @return used, available and total now, and the next licenses to end
   */
  LicenseUsage licenseUsage(Actor actor, AccountId accountId);

  // ---- license grants (operator; any member reads them)

  /**
   * The operator grants licenses, open-ended or for a term (R9): "10 licenses from 1 March until
   * 1 March next year, order 4711". They count towards the total (R1, R3) from {@code start}
   * until {@code end}. {@link #contractLicenses} is an open-ended grant from now.
   *
   * @param operator the operator
   * @param accountId the account
   * @param command quantity, start (null: now; may be in the past or the future), end (null:
   *     open-ended; after the start and in the future) and a reference such as an order number
   * @return the grant
   * @throws AccessDeniedException if the actor is not the operator
   * @throws NotFoundException if the account does not exist or is closed
   * @throws InvalidRequestException if the command is malformed, or the account's total would exceed
   *     {@link Account#MAX_LICENSES} at some instant of the term (the message says how many more fit)
   */
  License grantLicenses(Actor operator, AccountId accountId, NewLicense command);

  /**
   * The operator extends, renews or shortens a grant's term (R9). A later end (or null,
   * open-ended) extends it, and renews it if it had ended: it counts again at once. An earlier end,
   * still in the future, shortens it; when that end passes the account's expiry strategy applies as
   * for any end. To end a grant now, use {@link #endLicense}.
   *
   * @param operator the operator
   * @param accountId the account
   * @param licenseId the grant
   * @param end the new end: after the grant's start and in the future; null for open-ended
   * @return the grant with its new term
   * @throws AccessDeniedException if the actor is not the operator
   * @throws NotFoundException if the account or the grant does not exist
   * @throws InvalidRequestException if the end is not after the start or not in the future, or the
   *     longer term would bring the total above {@link Account#MAX_LICENSES}
   */
  License changeLicenseTerm(Actor operator, AccountId accountId, LicenseId licenseId, @Nullable Instant end);

  /**
   * The operator ends a grant now, before its end (R9), with the over-limit strategies of {@link
   * #cancelLicenses}: {@link OverLimitStrategy#REJECT} refuses to go below the keys in use. Keys are
   * never deleted. The grant stays in the history with its end set to now (or to its start, if it
   * had not started).
   *
   * @param operator the operator
   * @param accountId the account
   * @param licenseId the grant, not ended yet
   * @param strategy what to do if fewer licenses than keys remain
   * @return usage afterwards
   * @throws AccessDeniedException if the actor is not the operator
   * @throws NotFoundException if the account or the grant does not exist
   * @throws InvalidRequestException if the grant ended already or the strategy is null
   * @throws LicensesInUseException under {@code REJECT} if fewer licenses than keys would remain
   */
  LicenseUsage endLicense(Actor operator, AccountId accountId, LicenseId licenseId, OverLimitStrategy strategy);

  /**
   * Every grant of the account, ended ones included, by start (R3). The operator and any member
   * may read them; {@link License#activeAt} tells which count now.
   *
   * @param actor the operator or a member
   * @param accountId the account
   * @return the grants in {@link License#ORDER}
   * @throws AccessDeniedException if the actor is neither
   * @throws NotFoundException if the account does not exist or is closed
   */
  List<License> licenses(Actor actor, AccountId accountId);

  /**
   * The account's license policy: what an expiry does, and the seat reuse limit.
   *
   * @param actor the operator or a member
   * @param accountId the account
   * @return the policy; {@link LicensePolicy#DEFAULT} until the operator sets one
   * @throws AccessDeniedException if the actor is neither
   * @throws NotFoundException if the account does not exist or is closed
   */
  LicensePolicy licensePolicy(Actor actor, AccountId accountId);

  /**
   * The operator sets the account's license policy (R9): the strategy applied when a grant's end
   * passes ({@code MARK_OVER_LIMIT} by default, or {@code SUSPEND_NEWEST}), and optionally how often
   * a license freed by deleting a key may be given to a new key. Turning the seat reuse limit on or
   * off starts its count afresh.
   *
   * @param operator the operator
   * @param accountId the account
   * @param policy the policy
   * @return the policy
   * @throws AccessDeniedException if the actor is not the operator
   * @throws NotFoundException if the account does not exist or is closed
   * @throws InvalidRequestException if the policy is null
   */
  LicensePolicy setLicensePolicy(Actor operator, AccountId accountId, LicensePolicy policy);

  /**
   * Applies the ends of grants that have passed (R9), now, instead of at the account's next
   * management call, which applies them too. The total drops at the end instant whatever is written
   * (it is derived from the grants and the clock); what is written is each end's audit entry (by
   * {@code platform:keyseat}) and, under {@code SUSPEND_NEWEST}, the suspensions, once: calls on
   * several nodes at once are serialized per account and the later ones find nothing left to do.
   * Run it from any node (e.g. a daily job over {@link #accounts}) so that suspensions reach the
   * validators without waiting for a management call.
   *
   * @param operator the operator
   * @param accountId the account
   * @return usage afterwards
   * @throws AccessDeniedException if the actor is not the operator
   * @throws NotFoundException if the account does not exist or is closed
   */
  LicenseUsage applyLicenseEnds(Actor operator, AccountId accountId);

  // ---- members (admin)

  /**
   * An admin adds a member.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param userId the member's user id
   * @param role the member's role
   * @return the new member
   * @throws AlreadyExistsException if the user is a member already
   */
  Member addMember(Actor admin, AccountId accountId, UserId userId, Role role);

  /**
   * An admin changes a member's role.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param userId the member's user id
   * @param role the member's role
   * @return the member with the new role
   * @throws LastAdminException when demoting the last admin
   */
  Member changeRole(Actor admin, AccountId accountId, UserId userId, Role role);

  /**
   * An admin removes a member.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param userId the member's user id
   * @throws LastAdminException when removing the last admin
   */
  void removeMember(Actor admin, AccountId accountId, UserId userId);

  /**
   * Any member lists the members, ordered by user id.
   *
   * @param actor a member of the account
   * @param accountId the account
   * @return the members, ordered by user id
   */
  List<Member> members(Actor actor, AccountId accountId);

  // ---- devices

  /**
   * An admin or manager associates a device with the account.
   *
   * @param actor an {@code ADMIN} or {@code MANAGER} of the account
   * @param accountId the account
   * @param command the device's serial, name and model
   * @return the associated device
   * @throws AlreadyExistsException if the serial is associated with any account
   */
  Device associateDevice(Actor actor, AccountId accountId, NewDevice command);

  /**
   * An admin or manager renames a device.
   *
   * @param actor an {@code ADMIN} or {@code MANAGER} of the account
   * @param accountId the account
   * @param serial the device's serial
   * @param name the new name, 1–200 characters of readable text (see the package overview)
   * @return the renamed device
   * @throws InvalidRequestException if the serial or the name is malformed
   * @throws NotFoundException if the account has no such device
   */
  Device renameDevice(Actor actor, AccountId accountId, String serial, String name);

  /**
   * An admin dissociates a device: its key, if any, is deleted and its license freed (R10).
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param serial the device's serial
   */
  void dissociateDevice(Actor admin, AccountId accountId, String serial);

  /**
   * Any member lists the devices, ordered by serial.
   *
   * @param actor a member of the account
   * @param accountId the account
   * @return the devices, ordered by serial
   */
  List<Device> devices(Actor actor, AccountId accountId);

  // ---- keys (admin only, R8)

  /**
   * The keys table, oldest first: device name, serial, created, last used, status, hint. Keys
   * created in one batch keep the order their devices were selected in.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @return the keys table, oldest first
   */
  List<ApiKey> keys(Actor admin, AccountId accountId);

  /**
   * A page of the keys table, searched and sorted (R8: administrators only). Pages follow each
   * other by cursor (keyset): a key created or deleted between two pages neither shifts nor
   * repeats the others. Use this for large accounts; {@link #keys(Actor, AccountId)} reads the
   * whole table.
   *
   * @param admin an administrator of the account
   * @param accountId the account
   * @param query the search, sort, cursor and page size
   * @return the page, with the cursor of the next one and the number of matching keys
   * @throws AccessDeniedException if the actor may not list keys (R8)
   * @throws NotFoundException if the account does not exist
   * @throws InvalidRequestException if the cursor was not made by a query of the same sort
   */
  KeyPage keys(Actor admin, AccountId accountId, KeyQuery query);

  /**
   * Creates one key per selected device, all or nothing (R1, R2, R4, R11). Checks, in order:
   * every device belongs to the account ({@link NotFoundException} naming each missing one), no
   * device has a key already ({@link DeviceAlreadyHasKeyException} naming each), and enough
   * licenses are free ({@link LicenseLimitException} with needed and available).
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param command the devices to create keys for, with label and expiry
   * @return the new keys with their secrets, in the order of the command; the only time the secrets
   *     are returned (R13)
   */
  List<IssuedKey> createKeys(Actor admin, AccountId accountId, NewKeys command);

  /**
   * "Copy": the secret of an existing key, only where a {@link SecretVault} is configured.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key's public id
   * @return the key's secret
   * @throws SecretNotRetainedException otherwise: the secret was shown once
   * @throws VaultKeyMismatchException if the vault's key does not open the sealed secret (the vault
   *     key was changed since, or the data was altered); regenerating the key issues a new secret
   */
  Secret revealSecret(Actor admin, AccountId accountId, KeyId keyId);

  /**
   * Regenerates in place (R6): same id, device and license, new secret; the old secret stops
   * validating at once. Use this for a compromised key.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key's public id
   * @return the key with its new secret; the only time the secret is returned (R13)
   */
  default IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId) {
    return regenerateKey(admin, accountId, keyId, Duration.ZERO);
  }

  /**
   * Regenerates in place with a planned-rotation overlap (R6): the old secret keeps validating
   * for {@code overlap}, which may not exceed the configured maximum (7 days by default). Never
   * use an overlap for a compromised key.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key's public id
   * @param overlap how long the old secret keeps validating, at most the configured maximum
   * @return the key with its new secret; the only time the secret is returned (R13)
   */
  IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId, Duration overlap);

  /**
   * Edits label, expiry, suspension or device binding (R7). Rebinding needs a device of the
   * account without a key. Resuming is refused while the account is over its license limit.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key's public id
   * @param edit what to change
   * @return the key as edited
   */
  ApiKey editKey(Actor admin, AccountId accountId, KeyId keyId, KeyEdit edit);

  /**
   * Deletes a key and frees its license (R5); its secrets stop validating at once.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key's public id
   */
  void deleteKey(Actor admin, AccountId accountId, KeyId keyId);

  /**
   * Keys not used since {@code since} (never used, or last used before it), oldest first: the
   * stale-key review.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param since the review date
   * @return the keys not used since then, oldest first
   */
  List<ApiKey> keysUnusedSince(Actor admin, AccountId accountId, Instant since);

  /** The longest usage series {@link #keyUsageDaily} and {@link #accountUsageDaily} return, in days. */
  int MAX_USAGE_DAYS = 366;

  /**
   * One key's usage chart: its validations per day (UTC) for the last {@code days} days, today (by
   * the manager's clock) included, oldest first, days without use as zeros (R8: administrators
   * only). Usage reaches the store with the validators' usage flush, so today's count lags by up to
   * one flush interval.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId a key of the account
   * @param days how many days, 1 to {@link #MAX_USAGE_DAYS}
   * @return exactly {@code days} entries, one per day, the last one today
   * @throws AccessDeniedException if the actor is not an admin of the account (audited, R12)
   * @throws NotFoundException naming the key if the account has no such key, or the account if it
   *     does not exist or is closed
   * @throws InvalidRequestException if {@code days} is out of range or {@code keyId} is null
   */
  List<DailyUsage> keyUsageDaily(Actor admin, AccountId accountId, KeyId keyId, int days);

  /**
   * The account's usage chart: the validations of all its keys per day (UTC) for the last {@code
   * days} days, today included, oldest first, zeros filled (R8: administrators only). A deleted
   * key's usage goes with it.
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param days how many days, 1 to {@link #MAX_USAGE_DAYS}
   * @return exactly {@code days} entries, one per day, the last one today
   * @throws AccessDeniedException if the actor is not an admin of the account (audited, R12)
   * @throws NotFoundException if the account does not exist or is closed
   * @throws InvalidRequestException if {@code days} is out of range
   */
  List<DailyUsage> accountUsageDaily(Actor admin, AccountId accountId, int days);

  /**
   * A page of the audit log, newest first (R12).
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param beforeSequence entries older than this ({@link Long#MAX_VALUE} for the newest)
   * @param limit 1–1,000 entries
   * @return the entries, newest first
   */
  List<AuditEntry> auditLog(Actor admin, AccountId accountId, long beforeSequence, int limit);

  // ---- conveniences: one key, a batch of devices, the operator's account list and closing

  /**
   * One row of the keys table by key id, without listing the table (R8: admin only).
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param keyId the key
   * @return the key as {@link #keys} shows it: device name and serial, created, last used, status, hint
   * @throws AccessDeniedException if the actor is not an admin of the account (audited, R12)
   * @throws NotFoundException naming the key id if the account has no such key (keys of other
   *     accounts are not found either), or naming the account if it does not exist or is closed
   * @throws InvalidRequestException if {@code keyId} is null
   */
  ApiKey key(Actor admin, AccountId accountId, KeyId keyId);

  /**
   * The row of the keys table for the key of one device, found by the device's serial (R8: admin
   * only).
   *
   * @param admin an {@code ADMIN} of the account
   * @param accountId the account
   * @param serial the device's serial number
   * @return the key bound to the device, as {@link #keys} shows it
   * @throws AccessDeniedException if the actor is not an admin of the account (audited, R12)
   * @throws NotFoundException of kind {@code device} naming the serial if the device is not
   *     associated with the account, or of kind {@code key for device} naming the serial if the
   *     device has no key
   * @throws InvalidRequestException if the serial is malformed
   */
  ApiKey keyOfDevice(Actor admin, AccountId accountId, String serial);

  /**
   * Associates several devices in one call, all or nothing, for portals that import device lists.
   * An admin or manager may do it, as {@link #associateDevice}. Checks, in order: the request
   * itself ({@link InvalidRequestException} listing every malformed field as {@code devices[i].field},
   * naming the device where its serial is well formed, and every serial repeated within the
   * request), then the serials already associated with this or any other account ({@link
   * AlreadyExistsException} whose {@link AlreadyExistsException#ids()} names each). On any refusal
   * no device is associated; the refusal is one audit entry, a success one {@code
   * ASSOCIATE_DEVICE} entry per device (R12).
   *
   * @param actor an {@code ADMIN} or {@code MANAGER} of the account
   * @param accountId the account
   * @param devices 1–1,000 devices with distinct serials
   * @return the associated devices, in the order of the request
   * @throws AccessDeniedException if the actor may not associate devices in the account
   * @throws InvalidRequestException if the list is null, empty or too long, an element is
   *     malformed, or a serial is repeated
   * @throws AlreadyExistsException if a serial is associated with an account already
   * @throws NotFoundException if the account does not exist or is closed
   */
  List<Device> associateDevices(Actor actor, AccountId accountId, List<NewDevice> devices);

  /**
   * The operator's account list, one page at a time, ordered by account id, each account with its
   * license usage (R3). Closed accounts are listed too, with {@link Account#closedAt()} set and no
   * licenses. Only the operator may list accounts; a refusal concerns no account, so it is logged
   * but in no account's audit log.
   *
   * @param operator the operator
   * @param after the {@link AccountPage#next()} of the previous page, or null for the first page
   * @param limit 1–1,000 accounts per page
   * @return the page, with the cursor of the next page if more accounts follow
   * @throws AccessDeniedException if the actor is not the operator
   * @throws InvalidRequestException if {@code limit} is out of range
   */
  AccountPage accounts(Actor operator, @Nullable AccountId after, int limit);

  /**
   * The operator closes an account, in one transaction. While the account has keys this is refused
   * with {@link LicensesInUseException} (how many keys) unless {@code deleteKeys} is true; then every
   * key is deleted first, each audited as {@code DELETE_KEY} and published to the change feed, so
   * its secrets stop validating at once on this node and within the feed bound on every other node
   * (R5). Then:
   * <ul>
   *   <li><b>devices</b> are dissociated (each audited as {@code DISSOCIATE_DEVICE}); their serials
   *       are free to be associated with another account;
   *   <li><b>members</b> are removed; the users keep no role in the account;
   *   <li><b>licenses</b> are cancelled: the account keeps 0;
   *   <li><b>audit entries</b> are kept, the account's log ending with {@code CLOSE_ACCOUNT}; the
   *       account row stays as the log's owner, with {@link Account#closedAt()} set, and is listed by
   *       {@link #accounts}. Its log is readable through the store ({@code
   *       KeyStore.readAccount(id, tx -> tx.audit(...))}), no longer through {@link #auditLog};
   *   <li>the <b>account id</b> stays taken: {@link #createAccount} with it is refused.
   * </ul>
   * Every later call on the account is refused with {@link NotFoundException} (and audited in its
   * log).
   *
   * @param operator the operator
   * @param accountId the open account to close
   * @param deleteKeys true to delete the account's keys; false to refuse while it has any
   * @return the closed account
   * @throws AccessDeniedException if the actor is not the operator (audited, R12)
   * @throws NotFoundException if the account does not exist or is closed already
   * @throws LicensesInUseException if the account has keys and {@code deleteKeys} is false;
   *     {@link LicensesInUseException#keysToDelete()} says how many
   */
  Account closeAccount(Actor operator, AccountId accountId, boolean deleteKeys);
  // ---- adoption and leaked keys (operator)

  /**
   * The operator imports keys from an existing system into an account, without reissuing them: one
   * batch, in one transaction, all or nothing. Each record names a device and gives the key's
   * plaintext (a Keyseat key, or one of the {@link Keyseat.Builder#legacyKeyShapes declared legacy
   * shapes}) or the SHA-256 of it. Imported keys validate, are invalidated and count usage as keys
   * created here; regenerating one issues a key in Keyseat's format.
   *
   * <p>Checks, in order: the request itself ({@link InvalidRequestException} listing every bad
   * field as {@code records[i].field}: a malformed serial, neither or both of secret and hash, a
   * plaintext of no accepted shape (never echoed), a hash that is not 64 hexadecimal digits, a
   * creation time in the future, a bad label or device name, a serial or key repeated within the
   * request); every device belongs to the account, unless {@code associateDevices} is set, which
   * associates the missing ones (R2, {@link NotFoundException} naming each); no device has another
   * key ({@link DeviceAlreadyHasKeyException} naming each, R11); enough licenses are free for the
   * keys not yet imported ({@link LicenseLimitException} with needed and available: the shortfall,
   * R1); the serials to associate are free on the platform ({@link AlreadyExistsException}); no key
   * is in use by another device already ({@link InvalidRequestException}).
   *
   * <p><b>Idempotent</b>: a record whose device already has exactly this key (an earlier run
   * imported it) is reported in {@link ImportResult#alreadyImported()}, not imported again, so a
   * rerun of an interrupted import continues where it stopped.
   *
   * <p><b>Pepper</b>: with a pepper configured the store keeps HMAC-SHA256 of keys, which cannot
   * be computed from a SHA-256, so records that give a SHA-256 are refused ({@link
   * InvalidRequestException} saying so); import the plaintext keys instead, which are hashed with
   * the pepper.
   *
   * <p>Audit (R12): one {@code IMPORT_KEYS} entry per imported key and one {@code
   * ASSOCIATE_DEVICE} entry per associated device, never with a secret or hash; a refusal is one
   * entry.
   *
   * @param operator the operator
   * @param accountId the open account
   * @param records 1–1,000 records with distinct serials and keys
   * @param associateDevices whether to associate devices the account does not have yet, named by
   *     the record's device name or else its serial
   * @return the records imported and those already imported, by position in the request
   * @throws AccessDeniedException if the actor is not the operator (audited)
   * @throws NotFoundException if the account does not exist or is closed, or a device is missing
   * @throws InvalidRequestException if a record is malformed, or a hashed record meets a pepper
   * @throws DeviceAlreadyHasKeyException if a device has another key
   * @throws LicenseLimitException if the account lacks licenses for the new keys
   * @throws AlreadyExistsException if a device to associate belongs to another account
   */
  ImportResult importKeys(Actor operator, AccountId accountId, List<KeyImport> records, boolean associateDevices);

  /**
   * The operator's leaked-key response: for each presented secret, finds its key by hash on any
   * account, regenerates or suspends it per {@code action}, in that account's transaction, audits
   * it there ({@code REGENERATE_KEY} or {@code SUSPEND_KEY}, detail "leaked"), and returns where it
   * was found. Secrets of no accepted shape and secrets that match no key are skipped and not
   * reported; a secret presented twice is handled once. Each key is one transaction: a failure
   * part-way leaves the keys handled before it handled.
   *
   * @param operator the operator
   * @param secrets 1–1,000 presented secrets, e.g. found by a secret scanner
   * @param action what to do to each key found
   * @return the keys found, in the order of the secrets; never a secret
   * @throws AccessDeniedException if the actor is not the operator
   * @throws InvalidRequestException if the list is null, empty, too long or holds a null, or the
   *     action is null
   */
  List<LeakedKey> revokeLeaked(Actor operator, List<Secret> secrets, LeakAction action);
}
