package dev.keyseat;

/**
 * Base of every refusal of the management API. A refused call changed nothing; the refusal is
 * recorded in the account's audit log where the account exists. Messages say what to do and never
 * contain a secret.
 */
public abstract class KeyseatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what was refused and what to do */
  protected KeyseatException(String message) {
    super(message, null, false, true);
  }

  /**
   * @param message what was refused and what to do
   * @param cause the underlying failure
   */
  protected KeyseatException(String message, Throwable cause) {
    super(message, cause);
  }
}
