package dev.keyseat;

/** The caller's role does not allow the action (R8), or the caller is not a member of the account. */
public final class AccessDeniedException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /** @param message who was refused what, and which role is needed */
  public AccessDeniedException(String message) {
    super(message);
  }
}
