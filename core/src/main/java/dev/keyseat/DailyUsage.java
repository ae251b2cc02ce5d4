package dev.keyseat;

import java.time.LocalDate;
import java.util.Objects;

/**
 * Verifications counted on one day (UTC), for usage charts: one key's, or an account's summed over
 * its keys ({@link KeyManager#keyUsageDaily}, {@link KeyManager#accountUsageDaily}).
 *
 * @param date the day, in UTC
 * @param count validations recorded on that day, zero or more
 */
public record DailyUsage(LocalDate date, long count) {
  /**
   * Checks components.
   *
   * @param date the day, in UTC
   * @param count validations recorded on that day, zero or more
   * @throws NullPointerException if {@code date} is null
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public DailyUsage {
    Objects.requireNonNull(date, "date");
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative: " + count);
    }
  }
}
