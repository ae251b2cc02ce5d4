package dev.keyseat.spi;

import dev.keyseat.Device;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A device of the account and the key bound to it, if any ({@link AccountTransaction#devicesWithKeys}).
 *
 * @param device the device
 * @param key the key bound to it, or null if it has none
 */
public record DeviceWithKey(Device device, @Nullable StoredKey key) {
  /**
   * Checks the device.
   *
   * @param device the device
   * @param key its key, or null
   */
  public DeviceWithKey {
    Objects.requireNonNull(device, "device");
  }
}
