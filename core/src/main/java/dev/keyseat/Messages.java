package dev.keyseat;

import java.time.Duration;

/** Pieces of refusal messages that read as sentences an administrator can be shown. */
final class Messages {
  private Messages() {}

  /** @return {@code "1 license"}, {@code "2 licenses"}: the count with the noun in singular or plural */
  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** @return a duration in the largest whole unit that states it exactly, e.g. {@code "7 days"}, {@code "90 minutes"} */
  static String duration(Duration d) {
    if (d.isZero()) {
      return "0 seconds";
    }
    if (d.toNanosPart() == 0) {
      long s = d.toSeconds();
      if (s % 86_400 == 0) {
        return count(s / 86_400, "day");
      }
      if (s % 3_600 == 0) {
        return count(s / 3_600, "hour");
      }
      if (s % 60 == 0) {
        return count(s / 60, "minute");
      }
      return count(s, "second");
    }
    return d.toMillis() + " ms";
  }
}
