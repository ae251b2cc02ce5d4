package dev.keyseat;

/** Status of a key as shown in the keys table. */
public enum KeyStatus {
  /** Validates. */
  ACTIVE,
  /** Suspended by an administrator or by a license cancellation; can be resumed. */
  SUSPENDED,
  /** Past its expiry; edit the expiry to bring it back. */
  EXPIRED
}
