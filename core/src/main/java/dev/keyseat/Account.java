package dev.keyseat;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A customer organisation and the number of API licenses it has contracted.
 *
 * @param id the host-supplied account id
 * @param name display name
 * @param contractedLicenses licenses contracted, never negative
 * @param createdAt when the operator created the account
 * @param closedAt when the operator closed the account ({@link KeyManager#closeAccount}), or null
 *     while it is open
 */
public record Account(AccountId id, String name, int contractedLicenses, Instant createdAt,
    @Nullable Instant closedAt) {
  /**
   * The most licenses an account may have contracted in total: 1,000,000. {@link
   * KeyManager#createAccount} and {@link KeyManager#contractLicenses} refuse a total above it with an
   * {@link InvalidRequestException} that names the limit.
   */
  public static final int MAX_LICENSES = 1_000_000;

  /**
   * Checks the invariants of an account row.
   *
   * @param id the host-supplied account id
   * @param name display name
   * @param contractedLicenses licenses contracted, never negative
   * @param createdAt when the operator created the account
   * @param closedAt when the operator closed the account ({@link KeyManager#closeAccount}), or null
   *     while it is open
   */
  public Account {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(createdAt, "createdAt");
    if (contractedLicenses < 0) {
      throw new IllegalArgumentException("contractedLicenses must be >= 0");
    }
  }

  /**
   * An open account.
   *
   * @param id the host-supplied account id
   * @param name display name
   * @param contractedLicenses licenses contracted, never negative
   * @param createdAt when the operator created the account
   */
  public Account(AccountId id, String name, int contractedLicenses, Instant createdAt) {
    this(id, name, contractedLicenses, createdAt, null);
  }

  /**
   * @param licenses the new number of contracted licenses
   * @return a copy with another number of contracted licenses
   */
  public Account withContractedLicenses(int licenses) {
    return new Account(id, name, licenses, createdAt, closedAt);
  }

  /**
   * @param at when the account was closed
   * @return a copy closed at {@code at}, with no licenses left
   */
  public Account closed(Instant at) {
    return new Account(id, name, 0, createdAt, Objects.requireNonNull(at, "at"));
  }

  /** @return whether the operator closed the account */
  public boolean isClosed() {
    return closedAt != null;
  }
}
