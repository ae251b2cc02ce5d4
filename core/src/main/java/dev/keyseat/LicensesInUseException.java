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

  /** @return how many keys must be deleted first */
  public int keysToDelete() {
    return keysToDelete;
  }
}
