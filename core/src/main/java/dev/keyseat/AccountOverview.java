package dev.keyseat;

import java.util.Objects;

/**
 * One line of the operator's account list: the account and its license usage (R3).
 *
 * @param account the account, with {@link Account#closedAt()} set if it was closed
 * @param usage used, available and total licenses
 */
public record AccountOverview(Account account, LicenseUsage usage) {
  /**
   * Checks that no component is null.
   *
   * @param account the account, with {@link Account#closedAt()} set if it was closed
   * @param usage used, available and total licenses
   */
  public AccountOverview {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(usage, "usage");
  }
}
