package dev.keyseat;

/** A member's role in one account. */
public enum Role {
  /** Manages keys, members and devices, reads the audit log. */
  ADMIN,
  /** Associates and renames devices; cannot manage keys. */
  MANAGER,
  /** Reads devices and license usage. */
  VIEWER
}
