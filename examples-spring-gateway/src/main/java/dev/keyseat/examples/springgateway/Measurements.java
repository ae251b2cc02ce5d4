package dev.keyseat.examples.springgateway;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Synthetic but stable measurements of a device, one every 5 minutes, and the checks of a
 * requested time range that cannot overflow: both ends between 0 and the year 9999 before any
 * arithmetic, the span at most 24 hours, so at most 289 points.
 */
final class Measurements {
  static final long STEP_SECONDS = 300;
  static final long MAX_RANGE_SECONDS = 24 * 3600;
  static final long MAX_POINTS = MAX_RANGE_SECONDS / STEP_SECONDS + 1;
  /** 9999-12-31T23:59:59Z. */
  static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private Measurements() {}

  /**
   * @param from the range's start, epoch seconds as sent
   * @param to the range's end, epoch seconds as sent
   * @return the JSON array of the measurements in the range
   * @throws IllegalArgumentException with a message for the client if the range is refused
   */
  static String range(String serial, String from, String to) {
    long start = epochSecond("from", from);
    long end = epochSecond("to", to);
    if (end < start) {
      throw new IllegalArgumentException("to must not be before from");
    }
    if (end - start > MAX_RANGE_SECONDS) { // both in [0, MAX_EPOCH_SECOND]: no overflow
      throw new IllegalArgumentException("the range may span at most 24 hours (" + MAX_POINTS + " points)");
    }
    StringBuilder body = new StringBuilder("[");
    long points = 0;
    for (long t = (start + STEP_SECONDS - 1) / STEP_SECONDS * STEP_SECONDS; t <= end && points < MAX_POINTS;
        t += STEP_SECONDS, points++) {
      body.append(points > 0 ? "," : "").append(at(serial, t));
    }
    return body.append(']').toString();
  }

  private static long epochSecond(String name, String value) {
    if (value.isEmpty() || value.length() > 12 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(name + " must be epoch seconds between 0 and " + MAX_EPOCH_SECOND);
    }
    long v = Long.parseLong(value);
    if (v > MAX_EPOCH_SECOND) {
      throw new IllegalArgumentException(name + " must be epoch seconds between 0 and " + MAX_EPOCH_SECOND);
    }
    return v;
  }

  /** @return the latest measurement of a device at or before {@code epochSecond} */
  static String latest(String serial, long epochSecond) {
    return at(serial, epochSecond / STEP_SECONDS * STEP_SECONDS);
  }

  private static String at(String serial, long epochSecond) {
    SplittableRandom r = new SplittableRandom(serial.hashCode() * 0x9E3779B97F4A7C15L + epochSecond / STEP_SECONDS);
    return String.format(Locale.ROOT,
        "{\"serial\":\"%s\",\"timestamp\":%d,\"temperature\":%.1f,\"humidity\":%.1f,\"co2\":%d,"
            + "\"pm25\":%.1f,\"pm10\":%.1f,\"vocs\":%d,\"pressure\":%.1f}",
        jsonSafe(serial), epochSecond, 19 + r.nextDouble(6), 30 + r.nextDouble(30), 400 + r.nextInt(900),
        r.nextDouble(35), r.nextDouble(50), 50 + r.nextInt(450), 990 + r.nextDouble(40));
  }

  private static String jsonSafe(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
