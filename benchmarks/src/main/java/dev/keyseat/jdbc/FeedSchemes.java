package dev.keyseat.jdbc;

/**
 * For {@code CrossAccountWrites} only (same package on the benchmark's class path): a PostgreSQL
 * store that numbers its change feed under the counter row at commit, as every store did before
 * 0.1.0 and H2 still does, to measure it beside the current scheme in the same run.
 */
public final class FeedSchemes {
  private FeedSchemes() {}

  /**
   * @param builder a store builder
   * @return the builder, numbering the feed at commit under the counter lock
   */
  public static JdbcKeyStore.Builder numberedAtCommit(JdbcKeyStore.Builder builder) {
    return builder.numberFeedAtCommit(true);
  }
}
