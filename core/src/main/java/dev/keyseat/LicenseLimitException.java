package dev.keyseat;

import java.util.List;

/**
 * Not enough free licenses for the keys requested (R1, R4). Nothing was created: delete keys or
 * contract more licenses.
 */
public final class LicenseLimitException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** Licenses the request needs. */
  private final int needed;
  /** Licenses free when it was refused. */
  private final int available;
  /** The devices the request was for. */
  private final List<String> deviceSerials;

  /**
   * @param needed licenses the request needs
   * @param available licenses free
   * @param deviceSerials the devices that would have received keys
   */
  public LicenseLimitException(int needed, int available, List<String> deviceSerials) {
    super("license limit reached: needs " + needed + ", " + available + " available (devices "
        + String.join(", ", deviceSerials) + "); delete keys or contract more licenses");
    this.needed = needed;
    this.available = available;
    this.deviceSerials = List.copyOf(deviceSerials);
  }

  /** @return licenses the request needs */
  public int needed() {
    return needed;
  }

  /** @return licenses that were free */
  public int available() {
    return available;
  }

  /** @return the devices that would have received keys */
  public List<String> deviceSerials() {
    return deviceSerials;
  }
}
