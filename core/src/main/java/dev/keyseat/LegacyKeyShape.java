package dev.keyseat;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of keys imported from an existing system ({@link KeyManager#importKeys}), which keep
 * their own format, without Keyseat's checksum, until they are regenerated. Declare the shapes on
 * {@link Keyseat.Builder#legacyKeyShapes}; the validators then accept an input that is not a
 * Keyseat key if it has one of these shapes, and hash and look it up like any key. Every other
 * input stays {@code MALFORMED} without hashing.
 *
 * <p>A shape is checked in this order, cheapest first, and allocates nothing for an input that
 * fails the length bound or the character check: length within {@link #minLength()}–{@link
 * #maxLength()}, every character printable ASCII ({@code !} to {@code ~}), then the shape itself
 * (a UUID's groups by hand; a regular expression through a matcher kept per thread). A mistyped
 * Keyseat key (native length and {@code <prefix>_}) is never taken for a legacy key.
 *
 * <p>Declare shapes as narrowly as the existing keys allow: a legacy key carries no checksum, so
 * every input of its shape costs a hash and, on a validator's miss, a store lookup.
 */
public final class LegacyKeyShape {
  /** The shortest legacy key accepted: shorter keys are too easy to guess. */
  public static final int MIN_LENGTH = 16;
  /** The longest legacy key accepted. */
  public static final int MAX_LENGTH = 64;

  private final String name;
  private final int minLength;
  private final int maxLength;
  private final Pattern pattern;
  private final boolean uuid;
  private final ThreadLocal<Matcher> matchers;

  private LegacyKeyShape(String name, int minLength, int maxLength, Pattern pattern, boolean uuid) {
    this.name = name;
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.pattern = pattern;
    this.uuid = uuid;
    this.matchers = ThreadLocal.withInitial(() -> pattern.matcher(""));
  }

  /**
   * A UUID in its canonical text form, 36 characters {@code 8-4-4-4-12} of hexadecimal digits,
   * either case, any version.
   *
   * @return the shape
   */
  public static LegacyKeyShape uuid() {
    return new LegacyKeyShape("uuid", 36, 36,
        Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), true);
  }

  /**
   * Keys that match a regular expression as a whole, within a length bound that is checked first.
   *
   * @param regex the keys' shape, matched against the whole input, e.g. {@code [0-9a-f]{40}}
   * @param minLength the shortest key, at least {@link #MIN_LENGTH}
   * @param maxLength the longest key, at most {@link #MAX_LENGTH}
   * @return the shape
   * @throws NullPointerException if {@code regex} is null
   * @throws IllegalArgumentException if the bounds are out of range or the expression does not compile
   */
  public static LegacyKeyShape pattern(String regex, int minLength, int maxLength) {
    Objects.requireNonNull(regex, "regex");
    if (minLength < MIN_LENGTH || maxLength > MAX_LENGTH || minLength > maxLength) {
      throw new IllegalArgumentException("a legacy key shape needs " + MIN_LENGTH + " <= minLength <= maxLength <= "
          + MAX_LENGTH + ", was " + minLength + ".." + maxLength);
    }
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException("legacy key shape: not a regular expression: " + e.getDescription(), e);
    }
    return new LegacyKeyShape("pattern " + regex + " (" + minLength + "-" + maxLength + " characters)",
        minLength, maxLength, p, false);
  }

  /**
   * Parses the text form used on command lines: {@code uuid}, or {@code regex:<min>-<max>:<regex>}.
   *
   * @param text the shape's text form
   * @return the shape
   * @throws IllegalArgumentException if the text is neither form
   */
  public static LegacyKeyShape parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.equals("uuid")) {
      return uuid();
    }
    java.util.regex.Matcher m = Pattern.compile("regex:(\\d{1,3})-(\\d{1,3}):(.+)", Pattern.DOTALL).matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("a legacy key shape is 'uuid' or 'regex:<min>-<max>:<regex>', e.g."
          + " regex:40-40:[0-9a-f]{40}");
    }
    return pattern(m.group(3), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  /** @return the shortest key of this shape */
  public int minLength() {
    return minLength;
  }

  /** @return the longest key of this shape */
  public int maxLength() {
    return maxLength;
  }

  /**
   * Whether {@code key} has this shape. Never throws; allocates nothing for an input outside the
   * length bound or with a character outside printable ASCII.
   *
   * @param key any input, possibly null
   * @return whether the input has this shape
   */
  public boolean matches(CharSequence key) {
    if (key == null) {
      return false;
    }
    int n = key.length();
    if (n < minLength || n > maxLength) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = key.charAt(i);
      if (c < '!' || c > '~') {
        return false;
      }
    }
    if (uuid) {
      return isUuid(key);
    }
    Matcher m = matchers.get();
    boolean ok = m.reset(key).matches();
    m.reset("");
    return ok;
  }

  private static boolean isUuid(CharSequence s) {
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') {
          return false;
        }
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LegacyKeyShape s && s.uuid == uuid && s.minLength == minLength && s.maxLength == maxLength
        && s.pattern.pattern().equals(pattern.pattern());
  }

  @Override
  public int hashCode() {
    return Objects.hash(pattern.pattern(), minLength, maxLength);
  }

  @Override
  public String toString() {
    return "LegacyKeyShape[" + name + "]";
  }
}
