package dev.keyseat;

/**
 * "Copy" failed: the configured {@link SecretVault}'s key does not open the key's sealed secret
 * (R13). The vault key was rotated or replaced since the secret was sealed, or the sealed data was
 * altered. Nothing changed and the key still validates; configure the vault key that sealed it, or
 * regenerate the key to issue a new secret sealed under the current vault key. The message names
 * the key id and never contains the secret.
 */
public final class VaultKeyMismatchException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /** @param keyId the key whose secret could not be opened */
  public VaultKeyMismatchException(KeyId keyId) {
    super("the vault key does not open the secret of " + keyId + " (the vault key was changed since the secret"
        + " was sealed, or the sealed data was altered); regenerating the key issues a new secret");
  }
}
