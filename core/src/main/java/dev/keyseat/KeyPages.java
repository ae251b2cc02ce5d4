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

  static KeyPage page(List<ApiKey> table, KeyQuery query) {
    String needle = query.search() == null ? null : query.search().toLowerCase(Locale.ROOT);
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
    Comparator<ApiKey> order = Comparator.comparing((ApiKey k) -> sortValue(query.sort(), k))
        .thenComparing(k -> k.id().toString());
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
        int c = compare(sortValue(query.sort(), k), k.id().toString(), cursor[0], cursor[1]);
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
      next = encode(query, sortValue(query.sort(), last), last.id().toString());
    }
    return new KeyPage(rows, next, matching.size());
  }

  private static boolean contains(@Nullable String text, String needle) {
    return text != null && text.toLowerCase(Locale.ROOT).contains(needle);
  }

  private static int compare(String value, String id, String cursorValue, String cursorId) {
    int c = value.compareTo(cursorValue);
    return c != 0 ? c : id.compareTo(cursorId);
  }

  /** A string whose natural order is the column's order (instants as zero-padded epoch nanos). */
  static String sortValue(KeySort sort, ApiKey k) {
    return switch (sort) {
      case DEVICE_NAME -> k.deviceName().toLowerCase(Locale.ROOT);
      case SERIAL -> k.deviceSerial();
      case CREATED -> instant(k.createdAt());
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
    return new String[] {parts[2], parts[3]};
  }
}
