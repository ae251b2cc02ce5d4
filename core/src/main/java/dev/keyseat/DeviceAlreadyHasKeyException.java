package dev.keyseat;

import java.util.List;

/**
 * One or more devices already have a key (R2, R11). Nothing was created: regenerate the existing
 * key instead, or delete it first.
 */
public final class DeviceAlreadyHasKeyException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** The devices that already have a key. */
  private final List<String> deviceSerials;

  /** @param deviceSerials the devices that already have a key */
  public DeviceAlreadyHasKeyException(List<String> deviceSerials) {
    super((deviceSerials.size() == 1 ? "device already has a key: " : "devices already have a key: ")
        + String.join(", ", deviceSerials) + "; regenerate or delete the existing key instead");
    this.deviceSerials = List.copyOf(deviceSerials);
  }

  /** @return the devices that already have a key */
  public List<String> deviceSerials() {
    return deviceSerials;
  }
}
