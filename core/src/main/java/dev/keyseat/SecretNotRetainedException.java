package dev.keyseat;

/**
 * The secret was shown once, when it was created or regenerated, and is not retained: no
 * {@link SecretVault} is configured (R13). Regenerate the key to get a new secret.
 */
public final class SecretNotRetainedException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /** @param message which key */
  public SecretNotRetainedException(String message) {
    super(message);
  }
}
