package dev.keyseat;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Command: associate a device with an account.
 *
 * @param serial serial number, 1–64 of {@code [A-Za-z0-9_-]}, unique platform-wide
 * @param name display name, 1–200 characters of readable text (see the package overview)
 * @param model model, up to 200 characters of readable text (may be empty)
 */
public record NewDevice(
    @NotNull @Pattern(regexp = Constraints.SERIAL, message = Constraints.SERIAL_MESSAGE) String serial,
    @NotNull @Size(max = 200, message = Constraints.MAX_TEXT_MESSAGE)
        @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) @FreeText(required = true)
        String name,
    @NotNull @Size(max = 200, message = Constraints.MAX_TEXT_MESSAGE)
        @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) @FreeText
        String model) {

  /**
   * A device without a model.
   *
   * @param serial the device's serial number
   * @param name the new name
   */
  public NewDevice(String serial, String name) {
    this(serial, name, "");
  }
}
