package dev.keyseat.spi;

import dev.keyseat.KeySort;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a page of the keys table asks of the store ({@link AccountTransaction#keyPage}). The
 * semantics every store applies alike (the contract suite checks them):
 *
 * <ul>
 *   <li>search: the {@linkplain #fold folded} search text is a substring of the folded device name,
 *       serial or label; every character is literal (no wildcards);
 *   <li>unused since: only keys never used or last used strictly before the instant;
 *   <li>order: by the sort's {@link KeyPosition} ascending (text by Unicode code points, which is
 *       the order of UTF-8 bytes and of PostgreSQL's {@code "C"} collation; never-used keys
 *       first; ties by key id), or exactly the reverse when descending;
 *   <li>after: only rows strictly after that position in this order.
 * </ul>
 *
 * @param search the search text as given (a store folds it), or null for every key
 * @param sort the sort
 * @param descending whether the order is reversed
 * @param after the position of the previous page's last row, or null for the first page
 * @param limit at most this many rows, at least 1 ({@link Integer#MAX_VALUE}: the whole table)
 * @param unusedSince if set, only keys never used or last used before this instant
 * @param now the time of the read: a key's status is taken at it ({@link StoredKey#statusAt})
 */
public record KeyPageRequest(@Nullable String search, KeySort sort, boolean descending, @Nullable KeyPosition after,
    int limit, @Nullable Instant unusedSince, Instant now) {

  /**
   * Checks the components.
   *
   * @param search the search text
   * @param sort the sort
   * @param descending whether descending
   * @param after the position after which the page starts
   * @param limit the page size
   * @param unusedSince the filter
   * @param now the time of the read
   * @throws IllegalArgumentException if the limit is less than 1
   */
  public KeyPageRequest {
    Objects.requireNonNull(sort, "sort");
    Objects.requireNonNull(now, "now");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
  }

  /**
   * @param now the time of the read
   * @return every key, in creation order (the order of {@link AccountTransaction#keys()})
   */
  public static KeyPageRequest wholeTable(Instant now) {
    return new KeyPageRequest(null, KeySort.CREATED, false, null, Integer.MAX_VALUE, null, now);
  }

  /**
   * The case-insensitivity of the keys table: A to Z lower-cased, every other character as it is,
   * so that every store (Java, SQL's {@code TRANSLATE}) folds alike whatever its locale.
   *
   * @param s a text
   * @return the text with A-Z lower-cased
   */
  public static String fold(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] out = s.toCharArray();
        for (int j = i; j < out.length; j++) {
          if (out[j] >= 'A' && out[j] <= 'Z') {
            out[j] = (char) (out[j] + ('a' - 'A'));
          }
        }
        return new String(out);
      }
    }
    return s;
  }

  /**
   * @param a a text
   * @param b another
   * @return the order of the texts by Unicode code points (UTF-8 byte order), not UTF-16 order
   */
  public static int compareText(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        // a surrogate (a code point above U+FFFF) sorts after every other char
        boolean sx = Character.isSurrogate(x);
        boolean sy = Character.isSurrogate(y);
        return sx == sy ? Character.compare(x, y) : sx ? 1 : -1;
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  /**
   * @param row a row
   * @return whether the row matches the search and the filter
   */
  public boolean matches(KeyRow row) {
    if (unusedSince != null && row.usage().lastUsedAt() != null && !row.usage().lastUsedAt().isBefore(unusedSince)) {
      return false;
    }
    if (search == null) {
      return true;
    }
    String needle = fold(search);
    return fold(row.deviceName()).contains(needle) || fold(row.key().deviceSerial()).contains(needle)
        || fold(row.key().label()).contains(needle);
  }

  /** @return the order of the rows: the sort's positions, reversed when descending */
  public Comparator<KeyRow> order() {
    Comparator<KeyRow> ascending = (x, y) -> position(x).compareTo(position(y));
    return descending ? ascending.reversed() : ascending;
  }

  /**
   * @param row a row
   * @return the row's position in this request's sort
   */
  public KeyPosition position(KeyRow row) {
    return KeyPosition.of(sort, row, now);
  }

  /**
   * @param row a row
   * @return whether the row comes strictly after {@link #after()} in this request's order (true
   *     on the first page)
   */
  public boolean isAfterCursor(KeyRow row) {
    if (after == null) {
      return true;
    }
    int c = position(row).compareTo(after);
    return descending ? c < 0 : c > 0;
  }
}
