package dev.keyseat.spring.boot;

import java.util.Base64;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/** Applies one property to a Keyseat builder, turning its refusal into a failure that names the property. */
final class Settings {
  private Settings() {}

  /** A builder call that may refuse its argument. */
  @FunctionalInterface
  interface Setting {
    void apply();
  }

  /**
   * @param property the property's name, e.g. {@code keyseat.validator.maximum-size}
   * @param value its value as shown in the failure (never a secret)
   * @param setting the builder call
   * @throws InvalidConfigurationPropertyValueException naming the property if the builder refuses
   */
  static void apply(String property, @Nullable Object value, Setting setting) {
    try {
      setting.apply();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
    }
  }

  /**
   * Decodes a secret given in base64; the failure never shows the value.
   *
   * @param property the property's name
   * @param base64 the value
   * @param minBytes the fewest bytes it must decode to
   * @param hint how to make a good one
   * @return the bytes
   */
  static byte[] secret(String property, String base64, int minBytes, String hint) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException(property, "<hidden>",
          property + " must be base64 (" + hint + ")");
    }
    if (bytes.length < minBytes) {
      throw new InvalidConfigurationPropertyValueException(property, "<hidden>",
          property + " must decode to at least " + minBytes + " bytes, had " + bytes.length + " (" + hint + ")");
    }
    return bytes;
  }
}
