package dev.keyseat;

import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyPosition;
import dev.keyseat.spi.KeyRow;
import dev.keyseat.spi.KeyRowPage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Pages of the keys table: turns a {@link KeyQuery} into the store's {@link KeyPageRequest} and the
 * store's rows back into a {@link KeyPage}. The cursor is opaque to callers: the URL-safe base64 of
 * a version, the query's sort and direction, and the last row's {@link KeyPosition}; a cursor of
 * another sort or direction, or one that does not parse, is refused.
 */
final class KeyPages {
  private static final String VERSION = "k1";
  private static final char SEP = '\u0000'; // never in a stored text (CommandValidator.isStorable)

  private KeyPages() {}

  /**
   * @param query the caller's query
   * @param now the time of the read
   * @return the store's request
   * @throws InvalidRequestException if the cursor is not one of this query's sort
   */
  static KeyPageRequest request(KeyQuery query, Instant now) {
    KeyPosition after = query.after() == null ? null : decode(query.after(), query);
    return new KeyPageRequest(query.search(), query.sort(), query.descending(), after, query.limit(),
        query.unusedSince(), now);
  }

  static KeyPage page(KeyQuery query, KeyPageRequest request, KeyRowPage page, Function<KeyRow, ApiKey> view) {
    List<ApiKey> keys = new ArrayList<>(page.rows().size());
    for (KeyRow row : page.rows()) {
      keys.add(view.apply(row));
    }
    String next = null;
    if (page.more() && !page.rows().isEmpty()) {
      next = encode(query, request.position(page.rows().get(page.rows().size() - 1)));
    }
    return new KeyPage(keys, next, page.total());
  }

  private static String encode(KeyQuery query, KeyPosition p) {
    Instant at = p.at();
    String raw = String.join(String.valueOf(SEP), VERSION, query.sort().name(), Boolean.toString(query.descending()),
        p.text() == null ? "" : p.text(), at == null ? "" : at.getEpochSecond() + "." + at.getNano(),
        Long.toString(p.ordinal()), p.id().value());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static KeyPosition decode(String cursor, KeyQuery query) {
    String[] parts;
    try {
      parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(String.valueOf(SEP), -1);
    } catch (IllegalArgumentException e) {
      throw notACursor();
    }
    if (parts.length != 7 || !parts[0].equals(VERSION)) {
      throw notACursor();
    }
    if (!parts[1].equals(query.sort().name()) || !parts[2].equals(Boolean.toString(query.descending()))) {
      throw InvalidRequestException.of("after", "is a cursor of another sort or direction; start again from the"
          + " first page when the sort changes");
    }
    boolean byInstant = query.sort() == KeySort.CREATED || query.sort() == KeySort.LAST_USED;
    try {
      Instant at = parts[4].isEmpty() ? null : instant(parts[4]);
      long ordinal = Long.parseLong(parts[5]);
      boolean shaped = byInstant ? parts[3].isEmpty() : at == null;
      shaped &= query.sort() == KeySort.CREATED ? at != null && ordinal >= 0 : ordinal == 0;
      if (!shaped) {
        throw notACursor();
      }
      return new KeyPosition(byInstant ? null : parts[3], at, ordinal, KeyId.of(parts[6]));
    } catch (RuntimeException e) { // a number, instant or key id that does not parse
      throw notACursor();
    }
  }

  private static Instant instant(String s) {
    int dot = s.indexOf('.');
    if (dot < 0) {
      throw new IllegalArgumentException("not an instant");
    }
    long nanos = Long.parseLong(s.substring(dot + 1));
    if (nanos < 0 || nanos > 999_999_999) {
      throw new IllegalArgumentException("not an instant");
    }
    return Instant.ofEpochSecond(Long.parseLong(s.substring(0, dot)), nanos);
  }

  private static InvalidRequestException notACursor() {
    return InvalidRequestException.of("after", "is not a cursor of the keys table; pass the next cursor of a page");
  }
}
