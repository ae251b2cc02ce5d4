package dev.keyseat.internal.validation;

/**
 * Sizing and indexing for the validator's large {@code int} tables ({@link Stamps}, {@link
 * KnownHashes}). A table of 2^k {@code int}s is 2^(k+2) bytes plus the array's 16-byte header, so
 * under G1 (the default collector) a large one is a humongous object that takes one more whole
 * heap region than its data: 4 MB more at {@code -Xmx8g}, 4 bytes per key at a million keys per
 * table. Four slots fewer make header and data exactly 2^(k+2) bytes, a whole number of regions.
 * Such a length is no power of two, so a slot is picked by multiply-shift range reduction instead
 * of a mask.
 */
final class Tables {
  /** The array header (mark, compressed class pointer, length), in {@code int}s: 16 bytes. */
  static final int HEADER_INTS = 4;

  private Tables() {}

  /**
   * @param powerOfTwo the table's size in slots if it had no header, at least 2 × {@link #HEADER_INTS}
   * @return the length that makes header and data exactly {@code 4 * powerOfTwo} bytes
   */
  static int lengthFor(int powerOfTwo) {
    return powerOfTwo - HEADER_INTS;
  }

  /**
   * @param length a table's length
   * @return the length of the table twice its size in memory (header included)
   */
  static int doubled(int length) {
    return (length + HEADER_INTS) * 2 - HEADER_INTS;
  }

  /**
   * @param uniform a uniformly distributed 32-bit value
   * @param length a table's length
   * @return a slot below {@code length}, uniform if {@code uniform} is (Lemire's multiply-shift)
   */
  static int slot(int uniform, int length) {
    return (int) (((uniform & 0xFFFFFFFFL) * length) >>> 32);
  }
}
