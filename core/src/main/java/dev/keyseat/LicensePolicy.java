package dev.keyseat;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An account's license rules that the operator configures ({@link KeyManager#setLicensePolicy}):
 * what happens when a grant's end passes, and how often freed licenses may be reassigned.
 *
 * @param onExpiry the over-limit strategy applied when a grant's end passes and the account has more
 *     keys than licenses (R9): {@link OverLimitStrategy#MARK_OVER_LIMIT} (the default) or {@link
 *     OverLimitStrategy#SUSPEND_NEWEST}; never {@link OverLimitStrategy#REJECT}, which cannot refuse
 *     the passing of time
 * @param maxReassignments with {@code reassignmentPeriod}, how many times per period a license freed
 *     by deleting a key may be given to a new key, 1 to 1,000; 0 without a period
 * @param reassignmentPeriod the period of the seat reuse limit, or null for no limit
 */
public record LicensePolicy(OverLimitStrategy onExpiry, int maxReassignments, @Nullable Duration reassignmentPeriod) {
  /** The most reassignments per period a policy may allow. */
  public static final int MAX_REASSIGNMENTS = 1000;

  /** Expiry marks the account over its limit; freed licenses are reassigned without limit. */
  public static final LicensePolicy DEFAULT = new LicensePolicy(OverLimitStrategy.MARK_OVER_LIMIT, 0, null);

  /**
   * Checks the policy.
   *
   * @param onExpiry the over-limit strategy applied when a grant's end passes and the account has
   *     more keys than licenses (R9): {@link OverLimitStrategy#MARK_OVER_LIMIT} (the default) or
   *     {@link OverLimitStrategy#SUSPEND_NEWEST}; never {@link OverLimitStrategy#REJECT}, which
   *     cannot refuse the passing of time
   * @param maxReassignments with {@code reassignmentPeriod}, how many times per period a license
   *     freed by deleting a key may be given to a new key, 1 to 1,000; 0 without a period
   * @param reassignmentPeriod the period of the seat reuse limit, or null for no limit
   * @throws InvalidRequestException if {@code onExpiry} is null or REJECT, or the reuse limit is
   *     out of range
   */
  public LicensePolicy {
    if (onExpiry == null || onExpiry == OverLimitStrategy.REJECT) {
      throw InvalidRequestException.of("onExpiry", "must be MARK_OVER_LIMIT or SUSPEND_NEWEST: an expiry cannot be"
          + " refused");
    }
    if (reassignmentPeriod == null ? maxReassignments != 0
        : maxReassignments < 1 || maxReassignments > MAX_REASSIGNMENTS) {
      throw InvalidRequestException.of("maxReassignments", reassignmentPeriod == null
          ? "must be 0 without a reassignment period"
          : "must be between 1 and " + MAX_REASSIGNMENTS);
    }
    if (reassignmentPeriod != null && (reassignmentPeriod.isNegative() || reassignmentPeriod.isZero()
        || reassignmentPeriod.compareTo(Duration.ofDays(3660)) > 0)) {
      throw InvalidRequestException.of("reassignmentPeriod", "must be positive and at most 3660 days");
    }
  }

  /**
   * @param strategy what an expiry does
   * @return a copy with another expiry strategy
   * @throws InvalidRequestException if the strategy is null or REJECT
   */
  public LicensePolicy onExpiry(OverLimitStrategy strategy) {
    return new LicensePolicy(strategy, maxReassignments, reassignmentPeriod);
  }

  /**
   * Seat reuse limit: a freed license may be given to a new key at most {@code max} times per
   * {@code period} in the account (stops delete-and-recreate churn that lets one license serve many
   * devices).
   *
   * @param max reassignments allowed per period, 1 to {@link #MAX_REASSIGNMENTS}
   * @param period the sliding period
   * @return a copy with the limit
   * @throws InvalidRequestException if either is out of range
   */
  public LicensePolicy limitReassignments(int max, Duration period) {
    return new LicensePolicy(onExpiry, max, Objects.requireNonNull(period, "period"));
  }

  /** @return a copy without a seat reuse limit */
  public LicensePolicy unlimitedReassignments() {
    return new LicensePolicy(onExpiry, 0, null);
  }

  /** @return whether reassignments of freed licenses are limited */
  public boolean limitsReassignments() {
    return reassignmentPeriod != null;
  }
}
