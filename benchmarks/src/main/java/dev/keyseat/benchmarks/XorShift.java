package dev.keyseat.benchmarks;

/**
 * Uniformly chosen indexes, cheap beside anything a benchmark measures: xorshift with
 * multiply-shift range reduction. Not thread-safe; keep one per thread.
 */
final class XorShift {
  private long seed = System.nanoTime() | 1;

  /**
   * @param n the bound, positive
   * @return an index below {@code n}
   */
  int next(int n) {
    long x = seed;
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    seed = x;
    return (int) (((x >>> 32) * n) >>> 32);
  }
}
