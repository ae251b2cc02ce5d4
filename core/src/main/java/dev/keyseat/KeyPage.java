package dev.keyseat;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A page of the keys table ({@link KeyManager#keys(Actor, AccountId, KeyQuery)}).
 *
 * @param keys the keys of this page, in the query's order
 * @param next the cursor of the next page (pass it to {@link KeyQuery#withAfter}), null on the last page
 * @param total how many keys match the query's search and filter, across all pages
 */
public record KeyPage(List<ApiKey> keys, @Nullable String next, long total) {
  /**
   * Copies the list and checks it.
   *
   * @param keys the keys of this page, in the query's order
   * @param next the cursor of the next page (pass it to {@link KeyQuery#withAfter}), null on the
   *     last page
   * @param total how many keys match the query's search and filter, across all pages
   */
  public KeyPage {
    keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
  }
}
