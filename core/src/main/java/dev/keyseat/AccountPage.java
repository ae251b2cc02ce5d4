package dev.keyseat;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A page of the operator's account list ({@link KeyManager#accounts}), ordered by account id.
 *
 * @param accounts the accounts of this page with their usage, in increasing account id order
 * @param next the cursor for the next page (pass it as {@code after}), or null if this is the last
 */
public record AccountPage(List<AccountOverview> accounts, @Nullable AccountId next) {
  /**
   * Copies the list and checks that it is present.
   *
   * @param accounts the accounts of this page with their usage, in increasing account id order
   * @param next the cursor for the next page (pass it as {@code after}), or null if this is the
   *     last
   */
  public AccountPage {
    accounts = List.copyOf(Objects.requireNonNull(accounts, "accounts"));
  }

  /** @return the cursor for the next page, empty if this is the last page */
  public Optional<AccountId> nextAfter() {
    return Optional.ofNullable(next);
  }
}
