package dev.keyseat;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Identifier of a customer account, supplied by the host (1–64 of {@code [A-Za-z0-9_-]}).
 *
 * @param value the identifier text
 */
public record AccountId(String value) implements Comparable<AccountId> {
  private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /**
   * @param value the identifier text
   * @throws InvalidRequestException if the value is null or not 1–64 of {@code [A-Za-z0-9_-]}
   */
  public AccountId {
    Constraints.requireId("accountId", value, SHAPE, "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -");
  }

  /**
   * Shorthand for {@code new AccountId(value)}.
   *
   * @param value the account id, as in {@link #AccountId(String)}
   * @return the account id
   */
  public static AccountId of(String value) {
    return new AccountId(value);
  }

  @Override
  public int compareTo(AccountId other) {
    return value.compareTo(Objects.requireNonNull(other).value);
  }

  @Override
  public String toString() {
    return value;
  }
}
