package dev.keyseat.spi;

import dev.keyseat.internal.Require;

/**
 * One row of a page of the keys table as a store reads it ({@link AccountTransaction#keyPage}): the
 * key, the name of its device and its usage, read together (JDBC: one joined query per page, never
 * one query per row).
 *
 * @param key the key
 * @param deviceName the name of the key's device (its serial if the store has no device row)
 * @param usage the key's recorded usage
 */
public record KeyRow(StoredKey key, String deviceName, KeyUsage usage) {
  /**
   * Checks the components.
   *
   * @param key the key
   * @param deviceName the name of the key's device
   * @param usage the key's recorded usage
   */
  public KeyRow {
    Require.nonNull("key, deviceName, usage", key, deviceName, usage);
  }
}
