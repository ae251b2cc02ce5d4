package dev.keyseat;

import java.util.Objects;

/**
 * A user's role in one account.
 *
 * @param accountId the account
 * @param userId the user
 * @param role the role
 */
public record Member(AccountId accountId, UserId userId, Role role) {
  /**
   * Checks that no component is null.
   *
   * @param accountId the account
   * @param userId the user
   * @param role the role
   */
  public Member {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(role, "role");
  }
}
