package dev.keyseat;

/**
 * The account, member or device serial to be created exists already (device serials are unique
 * platform-wide).
 */
public final class AlreadyExistsException extends KeyseatException {
  private static final long serialVersionUID = 1L;

  /** @param message what exists already */
  public AlreadyExistsException(String message) {
    super(message);
  }
}
