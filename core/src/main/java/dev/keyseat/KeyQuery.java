package dev.keyseat;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which page of the keys table to read ({@link KeyManager#keys(Actor, AccountId, KeyQuery)}):
 * an optional search, a sort, the cursor of the previous page and a page size. Start from
 * {@link #first(int)} and refine with the {@code with…} methods; each returns a new query.
 *
 * @param search a case-insensitive substring of the device name, serial or label, or null for all
 * @param sort the column to sort by
 * @param descending whether the sort is descending
 * @param after the {@link KeyPage#next() cursor} of the previous page, or null for the first page
 * @param limit the page size, 1 to {@value #MAX_LIMIT}
 * @param unusedSince if set, only keys never used or last used before this instant (the stale-key review)
 */
public record KeyQuery(
    @Nullable String search,
    KeySort sort,
    boolean descending,
    @Nullable String after,
    int limit,
    @Nullable Instant unusedSince) {

  /** The largest page size. */
  public static final int MAX_LIMIT = 1000;

  /**
   * Checks the components.
   *
   * @param search a case-insensitive substring of the device name, serial or label, or null for all
   * @param sort the column to sort by
   * @param descending whether the sort is descending
   * @param after the {@link KeyPage#next() cursor} of the previous page, or null for the first page
   * @param limit the page size, 1 to {@value #MAX_LIMIT}
   * @param unusedSince if set, only keys never used or last used before this instant (the stale-key
   *     review)
   * @throws InvalidRequestException if the limit is outside 1 to {@value #MAX_LIMIT}
   * @throws NullPointerException if sort is null
   */
  public KeyQuery {
    Objects.requireNonNull(sort, "sort");
    if (limit < 1 || limit > MAX_LIMIT) {
      throw InvalidRequestException.of("limit", "must be between 1 and " + MAX_LIMIT + " (was " + limit + ")");
    }
    if (search != null && search.isBlank()) {
      search = null;
    }
  }

  /**
   * @param limit the page size, 1 to {@value #MAX_LIMIT}
   * @return the first page of the whole table, oldest first
   * @throws InvalidRequestException if the limit is out of range
   */
  public static KeyQuery first(int limit) {
    return new KeyQuery(null, KeySort.CREATED, false, null, limit, null);
  }

  /**
   * @param text the search text, or null for none
   * @return this query with that search, from the first page
   */
  public KeyQuery withSearch(@Nullable String text) {
    return new KeyQuery(text, sort, descending, null, limit, unusedSince);
  }

  /**
   * @param column the sort column
   * @param desc whether descending
   * @return this query with that sort, from the first page
   */
  public KeyQuery withSort(KeySort column, boolean desc) {
    return new KeyQuery(search, column, desc, null, limit, unusedSince);
  }

  /**
   * @param cursor the {@link KeyPage#next()} of the previous page
   * @return this query continuing after that page
   */
  public KeyQuery withAfter(@Nullable String cursor) {
    return new KeyQuery(search, sort, descending, cursor, limit, unusedSince);
  }

  /**
   * @param since only keys unused since this instant, or null for all
   * @return this query with that filter, from the first page
   */
  public KeyQuery withUnusedSince(@Nullable Instant since) {
    return new KeyQuery(search, sort, descending, null, limit, since);
  }
}
