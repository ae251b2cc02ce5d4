package dev.keyseat;

/**
 * The column a page of the keys table is sorted by ({@link KeyQuery}). Ties are broken by key id,
 * so a sort is total and a cursor never skips or repeats a key.
 */
public enum KeySort {
  /** By device name, case-insensitively. */
  DEVICE_NAME,
  /** By device serial. */
  SERIAL,
  /** By creation instant: the order of {@link KeyManager#keys(Actor, AccountId)}. */
  CREATED,
  /** By last use; never-used keys sort before every used key in ascending order. */
  LAST_USED,
  /** By status name. */
  STATUS
}
