package dev.keyseat.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The range checks of Keyseat's builders, shared with the builders of stores so that every
 * setting out of range is refused the same way: an {@link IllegalArgumentException} that names
 * the setting, its range and the value given.
 */
public final class SettingRanges {
  private SettingRanges() {}

  /**
   * Checks a whole-number setting against its inclusive range.
   *
   * @param what the setting, as the message names it, e.g. {@code "maxAttempts"}
   * @param value the value given
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return {@code value}
   * @throws IllegalArgumentException if {@code value} is below {@code min} or above {@code max}
   */
  public static int requireBetween(String what, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ", was " + value);
    }
    return value;
  }

  /**
   * Checks a count that must be at least one.
   *
   * @param what the setting, as the message names it, e.g. {@code "maximum size"}
   * @param value the value given
   * @return {@code value}
   * @throws IllegalArgumentException if {@code value} is zero or negative
   */
  public static long requirePositive(String what, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be positive, was " + value);
    }
    return value;
  }

  /**
   * Checks a duration setting against its inclusive range; the message gives the bounds in words
   * ({@code "1 ms"}, {@code "10 minutes"}, {@code "30 days"}).
   *
   * @param what the setting, as the message names it, e.g. {@code "lock timeout"}
   * @param value the value given
   * @param min the shortest duration allowed
   * @param max the longest duration allowed
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException if {@code value} is shorter than {@code min} or longer than
   *     {@code max}
   */
  public static Duration requireBetween(String what, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, what);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          what + " must be between " + inWords(min) + " and " + inWords(max) + ", was " + value);
    }
    return value;
  }

  /**
   * Checks a duration setting against its lower bound.
   *
   * @param what the setting, as the message names it, e.g. {@code "change retention"}
   * @param value the value given
   * @param min the shortest duration allowed
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException if {@code value} is shorter than {@code min}
   */
  public static Duration requireAtLeast(String what, Duration value, Duration min) {
    Objects.requireNonNull(value, what);
    if (value.compareTo(min) < 0) {
      throw new IllegalArgumentException(what + " must be at least " + inWords(min) + ", was " + value);
    }
    return value;
  }

  /** A bound in the largest whole unit: {@code "0"}, {@code "1 ms"}, {@code "10 seconds"}, {@code "30 days"}. */
  static String inWords(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.toDaysPart() > 0 && d.equals(Duration.ofDays(d.toDays()))) {
      return plural(d.toDays(), "day");
    }
    if (d.equals(Duration.ofHours(d.toHours()))) {
      return plural(d.toHours(), "hour");
    }
    if (d.equals(Duration.ofMinutes(d.toMinutes()))) {
      return plural(d.toMinutes(), "minute");
    }
    if (d.equals(Duration.ofSeconds(d.toSeconds()))) {
      return plural(d.toSeconds(), "second");
    }
    return d.equals(Duration.ofMillis(d.toMillis())) ? d.toMillis() + " ms" : d.toString();
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }
}
