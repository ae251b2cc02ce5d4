package dev.keyseat;

/** Shapes shared by commands. */
final class Constraints {
  /**
   * 1–64 of {@code [A-Za-z0-9_-]}, but not shaped like an API key ({@code <prefix>_} and 33 base62
   * characters, see {@code KeyFormat}): a key pasted into a serial field would otherwise be echoed
   * into "not found" errors, logs and the audit log (R13).
   */
  static final String SERIAL = "(?![a-z][a-z0-9]{0,9}_[0-9A-Za-z]{33}$)[A-Za-z0-9_-]{1,64}";
  static final String SERIAL_MESSAGE = "must be 1-64 characters of [A-Za-z0-9_-] and not an API key";
  static final int MAX_BATCH = 1000;

  private Constraints() {}
}
