package dev.keyseat;

import java.util.regex.Pattern;

/**
 * Identifier of a user of the host platform (1–200 printable characters, no spaces).
 *
 * @param value the identifier text
 */
public record UserId(String value) {
  private static final Pattern SHAPE = Pattern.compile("[\\p{Graph}]{1,200}");

  /**
   * @param value the identifier text
   * @throws InvalidRequestException if the value is null, blank or longer than 200 characters
   */
  public UserId {
    Constraints.requireId("userId", value, SHAPE, "must be 1 to 200 printable characters without spaces");
  }

  /**
   * Shorthand for {@code new UserId(value)}.
   *
   * @param value the user id
   * @return the user id
   */
  public static UserId of(String value) {
    return new UserId(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
