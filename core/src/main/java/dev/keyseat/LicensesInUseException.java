package dev.keyseat;

/**
 * Cancelling licenses would leave fewer licenses than keys (R9, {@link OverLimitStrategy#REJECT}).
 * {@link #keysToDelete()} keys must be deleted first.
 */
public final class LicensesInUseException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** Keys to delete before the cancellation can go through. */
  private final int keysToDelete;

  /**
   * @param message what was refused and what to do
   * @param keysToDelete how many keys must be deleted before the cancellation can go through
   */
  public LicensesInUseException(String message, int keysToDelete) {
    super(message);
    this.keysToDelete = keysToDelete;
  }

  /**
   * A cancellation that would leave fewer licenses than keys; the message says how many keys to
   * delete first.
   *
   * @param refused what was refused, e.g. {@code "cannot cancel 3 licenses"}
   * @param keysInUse the account's keys
   * @param remaining the licenses that would remain, fewer than {@code keysInUse}
   */
  public LicensesInUseException(String refused, int keysInUse, int remaining) {
    this(refused + ": " + Messages.count(keysInUse, "key") + (keysInUse == 1 ? " is" : " are") + " in use and "
        + Messages.count(remaining, "license") + " would remain; delete " + Messages.count(keysInUse - remaining, "key")
        + " first", keysInUse - remaining);
  }

  /** @return how many keys must be deleted first */
  public int keysToDelete() {
    return keysToDelete;
  }
}
