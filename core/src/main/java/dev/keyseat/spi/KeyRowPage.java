package dev.keyseat.spi;

import java.util.List;
import java.util.Objects;

/**
 * One page of the keys table as a store reads it ({@link AccountTransaction#keyPage}).
 *
 * @param rows at most {@link KeyPageRequest#limit()} rows, in the request's order
 * @param more whether rows follow the last one (a store reads one row more than the limit to know)
 * @param total how many keys match the request's search and filter, across all pages
 */
public record KeyRowPage(List<KeyRow> rows, boolean more, long total) {
  /**
   * Copies the list.
   *
   * @param rows the rows
   * @param more whether rows follow
   * @param total the number of matching keys
   */
  public KeyRowPage {
    rows = List.copyOf(Objects.requireNonNull(rows, "rows"));
    if (total < rows.size()) {
      throw new IllegalArgumentException("total " + total + " is less than the " + rows.size() + " rows of the page");
    }
  }
}
