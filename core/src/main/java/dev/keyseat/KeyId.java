package dev.keyseat;

import java.util.regex.Pattern;

/**
 * Public identifier of an API key, shown in the keys table and safe to log. It is not the secret
 * and cannot be used to authenticate.
 *
 * @param value the identifier text, {@code key_} followed by base62 characters
 */
public record KeyId(String value) {
  private static final Pattern SHAPE = Pattern.compile("key_[0-9A-Za-z]{8,40}");

  /**
   * @param value the identifier text, {@code key_} followed by base62 characters
   * @throws InvalidRequestException if the value is not a key id
   */
  public KeyId {
    if (value == null || !SHAPE.matcher(value).matches()) {
      throw InvalidRequestException.of("keyId", "must look like key_ followed by 8-40 base62 characters");
    }
  }

  /**
   * Shorthand for {@code new KeyId(value)}.
   *
   * @param value the key id
   * @return the key id
   */
  public static KeyId of(String value) {
    return new KeyId(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
