package dev.keyseat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Pages of the keys table computed from the whole table: search, total sort (ties by key id) and
 * keyset cursors that encode the last row's sort value and id.
 */
final class KeyPages {
  private KeyPages() {}

  static KeyPage page(List<ApiKey> table, java.util.function.ToLongFunction<ApiKey> ordinal, KeyQuery query) {
    String needle = query.search() == null ? null : foldAscii(query.search());
    Instant unusedSince = query.unusedSince();
    List<ApiKey> matching = new ArrayList<>();
    for (ApiKey k : table) {
      if (needle != null && !(contains(k.deviceName(), needle) || contains(k.deviceSerial(), needle)
          || contains(k.label(), needle))) {
        continue;
      }
      if (unusedSince != null && k.lastUsedAt() != null && !k.lastUsedAt().isBefore(unusedSince)) {
        continue;
      }
      matching.add(k);
    }
    Comparator<ApiKey> order = (x, y) -> compare(sortValue(query.sort(), x, ordinal), x.id().toString(),
        sortValue(query.sort(), y, ordinal), y.id().toString());
    if (query.descending()) {
      order = order.reversed();
    }
    matching.sort(order);
    int from = 0;
    if (query.after() != null) {
      String[] cursor = decode(query.after(), query);
      from = matching.size();
      for (int i = 0; i < matching.size(); i++) {
        ApiKey k = matching.get(i);
        int c = compare(sortValue(query.sort(), k, ordinal), k.id().toString(), cursor[0], cursor[1]);
        if (query.descending() ? c < 0 : c > 0) {
          from = i;
          break;
        }
      }
    }
    int to = Math.min(matching.size(), from + query.limit());
    List<ApiKey> rows = matching.subList(from, to);
    String next = null;
    if (to < matching.size()) {
      ApiKey last = rows.get(rows.size() - 1);
      next = encode(query, sortValue(query.sort(), last, ordinal), last.id().toString());
    }
    return new KeyPage(rows, next, matching.size());
  }

  private static boolean contains(@Nullable String text, String needle) {
    return text != null && foldAscii(text).contains(needle);
  }

  private static int compare(String value, String id, String cursorValue, String cursorId) {
    int c = byCodePoints(value, cursorValue);
    return c != 0 ? c : byCodePoints(id, cursorId);
  }

  /** A string whose natural order is the column's order (instants as zero-padded epoch nanos). */
  static String sortValue(KeySort sort, ApiKey k, java.util.function.ToLongFunction<ApiKey> ordinal) {
    return switch (sort) {
      case DEVICE_NAME -> foldAscii(k.deviceName());
      case SERIAL -> k.deviceSerial();
      case CREATED -> instant(k.createdAt()) + String.format(Locale.ROOT, "%019d", ordinal.applyAsLong(k));
      case LAST_USED -> k.lastUsedAt() == null ? "" : instant(k.lastUsedAt());
      case STATUS -> k.status().name();
    };
  }

  private static String instant(Instant t) {
    return String.format(Locale.ROOT, "%020d%09d", t.getEpochSecond() + (1L << 40), t.getNano());
  }

  private static String encode(KeyQuery query, String value, String id) {
    String raw = query.sort().name() + '\u0000' + query.descending() + '\u0000' + value + '\u0000' + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static String[] decode(String cursor, KeyQuery query) {
    String[] parts;
    try {
      parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\u0000", -1);
    } catch (IllegalArgumentException e) {
      throw InvalidRequestException.of("after", "is not a cursor of the keys table");
    }
    if (parts.length != 4 || !parts[0].equals(query.sort().name())
        || !parts[1].equals(Boolean.toString(query.descending()))) {
      throw InvalidRequestException.of("after", "is not a cursor of a query with the same sort");
    }
    boolean instant = query.sort() == KeySort.CREATED || query.sort() == KeySort.LAST_USED;
    if (instant && !parts[2].matches(query.sort() == KeySort.CREATED ? "[0-9]{48}" : "([0-9]{29})?")) {
      throw InvalidRequestException.of("after", "is not a cursor of the keys table");
    }
    return new String[] {parts[2], parts[3]};
  }

  /** Lower-cases A-Z only: the case-insensitivity every store applies alike. */
  static String foldAscii(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return b.toString();
  }

  /** Code point order (that of UTF-8 bytes), not UTF-16 order. */
  static int byCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
