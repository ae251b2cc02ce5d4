package dev.keyseat;

/** What {@link KeyManager#revokeLeaked} does to a key whose secret leaked. */
public enum LeakAction {
  /**
   * Regenerates the key in place (R6): same id, device and license, a new secret that is not
   * returned (an admin of the account regenerates or, with a vault, reveals it to give the device
   * its new key); the leaked secret stops validating at once. A leaked previous secret (still valid
   * in a regeneration overlap) just loses its overlap.
   */
  REGENERATE,
  /** Suspends the key (R7): every secret of it stops validating until an admin resumes it. */
  SUSPEND
}
