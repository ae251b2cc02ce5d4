package dev.keyseat.internal;

/** Base62 alphabet {@code 0-9A-Za-z}: lookup without allocation. */
public final class Base62 {
  /** The 62 characters in value order. */
  public static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final byte[] VALUE = new byte[128];

  static {
    java.util.Arrays.fill(VALUE, (byte) -1);
    for (int i = 0; i < ALPHABET.length(); i++) {
      VALUE[ALPHABET.charAt(i)] = (byte) i;
    }
  }

  private Base62() {}

  /** @return the digit's value 0–61, or -1 if {@code c} is not a base62 digit */
  public static int value(char c) {
    return c < 128 ? VALUE[c] : -1;
  }

  /** @return {@code value} as exactly {@code width} base62 digits, most significant first */
  public static String encodeFixed(long value, int width) {
    char[] out = new char[width];
    long v = value;
    for (int i = width - 1; i >= 0; i--) {
      out[i] = ALPHABET.charAt((int) (v % 62));
      v /= 62;
    }
    if (v != 0) {
      throw new IllegalArgumentException(value + " does not fit in " + width + " base62 digits");
    }
    return new String(out);
  }
}
