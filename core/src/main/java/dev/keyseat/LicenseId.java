package dev.keyseat;

import java.util.regex.Pattern;

/**
 * Public identifier of a license grant ({@link License}), shown to the operator and safe to log.
 *
 * @param value the identifier text, {@code lic_} followed by base62 characters
 */
public record LicenseId(String value) {
  private static final Pattern SHAPE = Pattern.compile("lic_[0-9A-Za-z]{8,40}");

  /**
   * @param value the identifier text, {@code lic_} followed by base62 characters
   * @throws InvalidRequestException if the value is not a license id
   */
  public LicenseId {
    if (value == null || !SHAPE.matcher(value).matches()) {
      throw InvalidRequestException.of("licenseId", "must look like lic_ followed by 8-40 base62 characters");
    }
  }

  /**
   * Shorthand for {@code new LicenseId(value)}.
   *
   * @param value the identifier text
   * @return the id
   * @throws InvalidRequestException if the value is not a license id
   */
  public static LicenseId of(String value) {
    return new LicenseId(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
