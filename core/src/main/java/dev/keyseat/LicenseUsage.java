package dev.keyseat;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * License usage of an account: {@code available = max(0, total - used)}, and when licenses end next.
 *
 * @param used keys in existence (each consumes one license)
 * @param available licenses free for new keys
 * @param total licenses contracted now: the sum of the grants active now ({@link License#activeAt})
 * @param ending how many of the {@code total} licenses stop counting at {@code nextEnd}; 0 if none end
 * @param nextEnd the next instant at which active grants end, or null if every active grant is open-ended
 */
public record LicenseUsage(int used, int available, int total, int ending, @Nullable Instant nextEnd) {
  /**
   * Checks the conservation rule.
   *
   * @param used keys in existence (each consumes one license)
   * @param available licenses free for new keys
   * @param total licenses contracted now: the sum of the grants active now ({@link
   *     License#activeAt})
   * @param ending how many of the {@code total} licenses stop counting at {@code nextEnd}; 0 if
   *     none end
   * @param nextEnd the next instant at which active grants end, or null if every active grant is
   *     open-ended
   */
  public LicenseUsage {
    if (used < 0 || total < 0 || available != Math.max(0, total - used)) {
      throw new IllegalArgumentException("inconsistent usage " + used + "/" + available + "/" + total);
    }
    if ((nextEnd == null) != (ending == 0) || ending < 0 || ending > total) {
      throw new IllegalArgumentException("inconsistent ending licenses " + ending + " at " + nextEnd);
    }
  }

  /**
   * Usage without licenses ending.
   *
   * @param used keys in existence
   * @param available licenses free for new keys
   * @param total licenses contracted now
   */
  public LicenseUsage(int used, int available, int total) {
    this(used, available, total, 0, null);
  }

  /**
   * @param used keys in use
   * @param total licenses contracted
   * @return usage for {@code used} keys under {@code total} open-ended licenses
   */
  public static LicenseUsage of(int used, int total) {
    return new LicenseUsage(used, Math.max(0, total - used), total);
  }

  /**
   * @param used keys in existence
   * @param total licenses contracted now
   * @param ending licenses that end at {@code nextEnd}
   * @param nextEnd when they end, or null
   * @return the usage
   */
  public static LicenseUsage of(int used, int total, int ending, @Nullable Instant nextEnd) {
    return new LicenseUsage(used, Math.max(0, total - used), total, ending, nextEnd);
  }

  /** @return whether more keys exist than licenses are contracted (after a cancellation or an expiry) */
  public boolean overLimit() {
    return used > total;
  }

  @Override
  public String toString() {
    return used + " of " + total + " licenses used, " + available + " available"
        + (nextEnd == null ? "" : "; " + Messages.count(ending, "license") + " end" + (ending == 1 ? "s" : "")
        + " on " + nextEnd);
  }
}
