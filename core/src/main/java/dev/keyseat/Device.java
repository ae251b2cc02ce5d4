package dev.keyseat;

import dev.keyseat.internal.Require;
import java.time.Instant;

/**
 * A physical device associated with one account, identified platform-wide by its serial number.
 *
 * @param serial serial number, unique platform-wide (1–64 of {@code [A-Za-z0-9_-]})
 * @param accountId the account it is associated with
 * @param name display name
 * @param model device model, may be empty
 * @param associatedAt when it was associated with the account
 */
public record Device(String serial, AccountId accountId, String name, String model, Instant associatedAt) {
  /**
   * Checks that no component is null.
   *
   * @param serial serial number, unique platform-wide (1–64 of {@code [A-Za-z0-9_-]})
   * @param accountId the account it is associated with
   * @param name display name
   * @param model device model, may be empty
   * @param associatedAt when it was associated with the account
   */
  public Device {
    Require.nonNull("serial, accountId, name, model, associatedAt",
        serial, accountId, name, model, associatedAt);
  }

  /**
   * @param newName the new name
   * @return a copy with another name
   */
  public Device withName(String newName) {
    return new Device(serial, accountId, newName, model, associatedAt);
  }
}
