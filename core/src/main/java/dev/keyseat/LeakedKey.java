package dev.keyseat;

import java.util.Objects;

/**
 * A key found by {@link KeyManager#revokeLeaked} for a presented secret, and what was done to it.
 * Never holds the secret.
 *
 * @param index the secret's position in the request, from 0
 * @param accountId the key's account
 * @param deviceSerial the device the key is bound to
 * @param keyId the key
 * @param action what was done
 * @param previousSecret whether the secret was the key's previous one, still valid in a
 *     regeneration overlap
 */
public record LeakedKey(int index, AccountId accountId, String deviceSerial, KeyId keyId, LeakAction action,
    boolean previousSecret) {
  /**
   * Checks the components.
   *
   * @param index the secret's position in the request, from 0
   * @param accountId the account
   * @param deviceSerial the device the key is bound to
   * @param keyId the key
   * @param action what was done
   * @param previousSecret whether the secret was the key's previous one, still valid in a
   *     regeneration overlap
   */
  public LeakedKey {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(deviceSerial, "deviceSerial");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(action, "action");
  }
}
