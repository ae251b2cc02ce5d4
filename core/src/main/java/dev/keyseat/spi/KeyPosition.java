package dev.keyseat.spi;

import dev.keyseat.KeyId;
import dev.keyseat.KeySort;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a page of the keys table ends, in the terms of its sort: the last row's sort value and key
 * id. The next page starts strictly after it (keyset pagination), so keys created or deleted
 * between pages neither shift nor repeat the others. Which components a sort uses is fixed by
 * {@link #of}: {@link KeySort#DEVICE_NAME} the folded name ({@link KeyPageRequest#fold}) as text,
 * {@link KeySort#SERIAL} the serial, {@link KeySort#STATUS} the status name, {@link KeySort#CREATED}
 * the creation instant and the ordinal, {@link KeySort#LAST_USED} the last use (null: never used).
 *
 * @param text the text sort value, or null for the sorts by instant
 * @param at the instant sort value, or null for the text sorts and for a key never used
 * @param ordinal the key's ordinal (for {@link KeySort#CREATED}; 0 otherwise)
 * @param id the key id, which breaks ties
 */
public record KeyPosition(@Nullable String text, @Nullable Instant at, long ordinal, KeyId id) {
  /**
   * Checks the components.
   *
   * @param text the text sort value
   * @param at the instant sort value
   * @param ordinal the ordinal
   * @param id the key id
   */
  public KeyPosition {
    Objects.requireNonNull(id, "id");
  }

  /**
   * @param sort the sort
   * @param row a row
   * @param now the time the page is read at (the status depends on it)
   * @return the row's position in that sort
   */
  public static KeyPosition of(KeySort sort, KeyRow row, Instant now) {
    StoredKey k = row.key();
    return switch (sort) {
      case DEVICE_NAME -> new KeyPosition(KeyPageRequest.fold(row.deviceName()), null, 0, k.id());
      case SERIAL -> new KeyPosition(k.deviceSerial(), null, 0, k.id());
      case STATUS -> new KeyPosition(k.statusAt(now).name(), null, 0, k.id());
      case CREATED -> new KeyPosition(null, k.createdAt(), k.ordinal(), k.id());
      case LAST_USED -> new KeyPosition(null, row.usage().lastUsedAt(), 0, k.id());
    };
  }

  /**
   * The ascending order of positions of one sort: text by code points, instants with null first,
   * then ordinal, then id.
   *
   * @param o another position of the same sort
   * @return negative, zero or positive as this position comes before, with or after {@code o}
   */
  int compareTo(KeyPosition o) {
    int c;
    if (text != null || o.text != null) {
      c = KeyPageRequest.compareText(text == null ? "" : text, o.text == null ? "" : o.text);
      if (c != 0) {
        return c;
      }
    }
    if (at == null || o.at == null) {
      c = Boolean.compare(at != null, o.at != null);
    } else {
      c = at.compareTo(o.at);
    }
    if (c != 0) {
      return c;
    }
    c = Long.compare(ordinal, o.ordinal);
    return c != 0 ? c : KeyPageRequest.compareText(id.value(), o.id.value());
  }
}
