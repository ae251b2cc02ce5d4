package dev.keyseat;

/** The last administrator of an account cannot be removed or demoted (R8); add another first. */
public final class LastAdminException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /** @param message which member and account */
  public LastAdminException(String message) {
    super(message);
  }
}
