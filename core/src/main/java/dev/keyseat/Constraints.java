package dev.keyseat;

/** Shapes shared by commands. */
final class Constraints {
  static final String SERIAL = "[A-Za-z0-9_-]{1,64}";
  static final String SERIAL_MESSAGE = "must be 1-64 characters of [A-Za-z0-9_-]";
  static final int MAX_BATCH = 1000;

  private Constraints() {}
}
