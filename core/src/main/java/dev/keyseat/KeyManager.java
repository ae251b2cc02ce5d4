package dev.keyseat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

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
   * @param operator who is calling: the operator
   * @param accountId the account
   * @param command what to create
   * @throws AccessDeniedException if the actor is not the operator
   * @throws AlreadyExistsException if the account id is taken
   * @throws InvalidRequestException if the command is malformed
   * @return the new account
   */
  Account createAccount(Actor operator, AccountId accountId, NewAccount command);

  /**
   * The operator contracts more licenses (R9).
   *
   * @param operator who is calling: the operator
   * @param accountId the account
   * @param quantity licenses to add, 1–1,000,000
   * @return usage afterwards
   */
  LicenseUsage contractLicenses(Actor operator, AccountId accountId, int quantity);

  /**
   * The operator cancels licenses (R9). Keys are never deleted: under {@link
   * OverLimitStrategy#REJECT} cancelling below the keys in use is refused with {@link
   * LicensesInUseException} saying how many keys must be deleted first; the other strategies put
   * the account over its limit (no new key until it is back under) and {@link
   * OverLimitStrategy#SUSPEND_NEWEST} also suspends the newest keys above the new total.
   *
   * @param operator who is calling: the operator
   * @param accountId the account
   * @param strategy what to do when the keys in use exceed the new total
   * @param quantity licenses to cancel, at least 1 and at most the contracted number
   * @return usage afterwards
   */
  LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity, OverLimitStrategy strategy);

  /**
   * Cancels licenses with {@link OverLimitStrategy#REJECT}.
   *
   * @param operator who is calling: the operator
   * @param accountId the account
   * @param quantity how many licenses
   * @return usage afterwards
   */
  default LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity) {
    return cancelLicenses(operator, accountId, quantity, OverLimitStrategy.REJECT);
  }

  /**
   * License usage (R3): used, available, total. Any member and the operator may read it.
   *
   * @param actor who is calling
   * @param accountId the account
   * @return used, available and total licenses
   */
  LicenseUsage licenseUsage(Actor actor, AccountId accountId);

  // ---- members (admin)

  /**
   * An admin adds a member.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param userId the user
   * @param role the role to give the member
   * @throws AlreadyExistsException if the user is a member already
   * @return the new member
   */
  Member addMember(Actor admin, AccountId accountId, UserId userId, Role role);

  /**
   * An admin changes a member's role.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param userId the user
   * @param role the role to give the member
   * @throws LastAdminException when demoting the last admin
   * @return the member with the new role
   */
  Member changeRole(Actor admin, AccountId accountId, UserId userId, Role role);

  /**
   * An admin removes a member.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param userId the user
   * @throws LastAdminException when removing the last admin
   */
  void removeMember(Actor admin, AccountId accountId, UserId userId);

  /**
   * Any member lists the members, ordered by user id.
   *
   * @param actor who is calling
   * @param accountId the account
   * @return the members, ordered by user id
   */
  List<Member> members(Actor actor, AccountId accountId);

  // ---- devices

  /**
   * An admin or manager associates a device with the account.
   *
   * @param actor who is calling
   * @param accountId the account
   * @param command what to create
   * @throws AlreadyExistsException if the serial is associated with any account
   * @return the device
   */
  Device associateDevice(Actor actor, AccountId accountId, NewDevice command);

  /**
   * An admin or manager renames a device.
   *
   * @param actor who is calling
   * @param accountId the account
   * @param serial the device's serial number
   * @param name the new name
   * @return the renamed device
   */
  Device renameDevice(Actor actor, AccountId accountId, String serial, String name);

  /**
   * An admin dissociates a device: its key, if any, is deleted and its license freed (R10).
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param serial the device's serial number
   */
  void dissociateDevice(Actor admin, AccountId accountId, String serial);

  /**
   * Any member lists the devices, ordered by serial.
   *
   * @param actor who is calling
   * @param accountId the account
   * @return the devices, ordered by serial
   */
  List<Device> devices(Actor actor, AccountId accountId);

  // ---- keys (admin only, R8)

  /**
   * The keys table, oldest first: device name, serial, created, last used, status, hint.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @return the keys, oldest first
   */
  List<ApiKey> keys(Actor admin, AccountId accountId);

  /**
   * Creates one key per selected device, all or nothing (R1, R2, R4, R11). Checks, in order:
   * every device belongs to the account ({@link NotFoundException} naming each missing one), no
   * device has a key already ({@link DeviceAlreadyHasKeyException} naming each), and enough
   * licenses are free ({@link LicenseLimitException} with needed and available).
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param command what to create
   * @return the new keys with their secrets, in the order of the command; the only time the
   *     secrets are returned (R13)
   */
  List<IssuedKey> createKeys(Actor admin, AccountId accountId, NewKeys command);

  /**
   * "Copy": the secret of an existing key, only where a {@link SecretVault} is configured.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param keyId the key
   * @throws SecretNotRetainedException otherwise: the secret was shown once
   * @return the secret, decrypted from the vault
   */
  Secret revealSecret(Actor admin, AccountId accountId, KeyId keyId);

  /**
   * Regenerates in place (R6): same id, device and license, new secret; the old secret stops
   * validating at once. Use this for a compromised key.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param keyId the key
   * @return the key with its new secret, returned only this once (R13)
   */
  default IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId) {
    return regenerateKey(admin, accountId, keyId, Duration.ZERO);
  }

  /**
   * Regenerates in place with a planned-rotation overlap (R6): the old secret keeps validating
   * for {@code overlap}, which may not exceed the configured maximum (7 days by default). Never
   * use an overlap for a compromised key.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param keyId the key
   * @param overlap how long the old secret keeps validating
   * @return the key with its new secret, returned only this once (R13)
   */
  IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId, Duration overlap);

  /**
   * Edits label, expiry, suspension or device binding (R7). Rebinding needs a device of the
   * account without a key. Resuming is refused while the account is over its license limit.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param keyId the key
   * @param edit what to change
   * @return the key after the edit
   */
  ApiKey editKey(Actor admin, AccountId accountId, KeyId keyId, KeyEdit edit);

  /**
   * Deletes a key and frees its license (R5); its secrets stop validating at once.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param keyId the key
   */
  void deleteKey(Actor admin, AccountId accountId, KeyId keyId);

  /**
   * Keys not used since {@code since} (never used, or last used before it), oldest first: the
   * stale-key review.
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param since keys used at or after this instant are left out
   * @return the keys not used since {@code since}, oldest first
   */
  List<ApiKey> keysUnusedSince(Actor admin, AccountId accountId, Instant since);

  /**
   * A page of the audit log, newest first (R12).
   *
   * @param admin who is calling: an administrator of the account
   * @param accountId the account
   * @param beforeSequence entries older than this ({@link Long#MAX_VALUE} for the newest)
   * @param limit 1–1,000 entries
   * @return up to {@code limit} entries, newest first
   */
  List<AuditEntry> auditLog(Actor admin, AccountId accountId, long beforeSequence, int limit);
}
