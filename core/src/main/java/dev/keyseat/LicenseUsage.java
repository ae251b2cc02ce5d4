package dev.keyseat;

/**
 * License usage of an account: {@code available = max(0, total - used)}.
 *
 * @param used keys in existence (each consumes one license)
 * @param available licenses free for new keys
 * @param total licenses contracted
 */
public record LicenseUsage(int used, int available, int total) {
  /**
   * Checks the conservation rule.
   *
   * @param used keys in existence (each consumes one license)
   * @param available licenses free for new keys
   * @param total licenses contracted
   */
  public LicenseUsage {
    if (used < 0 || total < 0 || available != Math.max(0, total - used)) {
      throw new IllegalArgumentException("inconsistent usage " + used + "/" + available + "/" + total);
    }
  }

  /**
   * @param used keys in existence
   * @param total licenses contracted
   * @return usage for {@code used} keys under {@code total} licenses
   */
  public static LicenseUsage of(int used, int total) {
    return new LicenseUsage(used, Math.max(0, total - used), total);
  }

  /** @return whether more keys exist than licenses are contracted (after a cancellation) */
  public boolean overLimit() {
    return used > total;
  }

  @Override
  public String toString() {
    return used + " of " + total + " licenses used, " + available + " available";
  }
}
