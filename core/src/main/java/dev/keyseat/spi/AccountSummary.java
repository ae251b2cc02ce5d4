package dev.keyseat.spi;

import dev.keyseat.Account;
import java.util.Objects;

/**
 * What {@link KeyStore#accounts} returns for one account: the stored account and how many keys it
 * has now.
 *
 * @param account the account as stored, closed or not
 * @param keyCount the number of keys of the account, as {@link AccountTransaction#keyCount()} would
 *     count them
 */
public record AccountSummary(Account account, int keyCount) {
  /**
   * Checks the components.
   *
   * @param account the account as stored, closed or not
   * @param keyCount the number of keys of the account, as {@link AccountTransaction#keyCount()}
   *     would count them
   */
  public AccountSummary {
    Objects.requireNonNull(account, "account");
    if (keyCount < 0) {
      throw new IllegalArgumentException("keyCount must be >= 0");
    }
  }
}
