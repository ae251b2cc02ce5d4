package dev.keyseat;

/** The store could not be reached or the transaction failed; nothing changed. Retry later. */
public final class StoreUnavailableException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed
   * @param cause the underlying failure
   */
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /** @param message what failed */
  public StoreUnavailableException(String message) {
    super(message);
  }
}
