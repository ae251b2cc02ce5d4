package dev.keyseat;

/** Shapes shared by commands. */
final class Constraints {
  /**
   * 1–64 of {@code [A-Za-z0-9_-]}, but not shaped like an API key ({@code <prefix>_} and 33 base62
   * characters, see {@code KeyFormat}): a key pasted into a serial field would otherwise be echoed
   * into "not found" errors, logs and the audit log (R13).
   */
  static final String SERIAL = "(?![a-z][a-z0-9]{0,9}_[0-9A-Za-z]{33}$)[A-Za-z0-9_-]{1,64}";
  static final String SERIAL_MESSAGE = "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -, and not an API key";
  static final int MAX_BATCH = 1000;
  static final String BATCH_MESSAGE = "must select between 1 and 1000 devices";
  static final String MAX_TEXT_MESSAGE = "must be at most 200 characters";
  static final String NOT_BLANK_MESSAGE = "must not be empty or only spaces";
  /** {@link Account#MAX_LICENSES} as a message says it. */
  static final String MAX_LICENSES_TEXT = "1,000,000";
  static final String LICENSES_MESSAGE = "must be between 0 and " + MAX_LICENSES_TEXT
      + ", the most licenses an account may contract";

  /** Something shaped like an API key ({@code <prefix>_} and 33 base62 characters) as a whole word. */
  static final String KEY_SHAPE = "(?<![0-9A-Za-z_])[a-z][a-z0-9]{0,9}_[0-9A-Za-z]{33}(?![0-9A-Za-z])";
  /**
   * Free text that does not contain an API key: a key pasted into a name or label would otherwise
   * be stored and echoed in tables, logs and the audit log (R13).
   */
  static final String NO_KEY = "(?s)(?!.*" + KEY_SHAPE + ").*";
  static final String NO_KEY_MESSAGE = "must not contain an API key";
  private static final java.util.regex.Pattern KEY_INSIDE = java.util.regex.Pattern.compile(KEY_SHAPE);

  /**
   * Checks an identifier's shape and that it is not an API key (R13).
   *
   * @param field the field a violation names
   * @param value the identifier
   * @param shape its allowed shape
   * @param shapeMessage what the shape is, as a violation says it
   * @throws InvalidRequestException if the value is null, not of the shape, or contains an API key
   */
  static void requireId(String field, String value, java.util.regex.Pattern shape, String shapeMessage) {
    if (value == null || !shape.matcher(value).matches()) {
      throw InvalidRequestException.of(field, shapeMessage);
    }
    if (containsKey(value)) {
      throw InvalidRequestException.of(field, NO_KEY_MESSAGE);
    }
  }

  /** @return whether {@code text} contains something shaped like an API key */
  static boolean containsKey(String text) {
    return KEY_INSIDE.matcher(text).find();
  }

  private Constraints() {}
}
