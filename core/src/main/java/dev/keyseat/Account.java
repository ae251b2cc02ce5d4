package dev.keyseat;

import java.time.Instant;
import java.util.Objects;

/**
 * A customer organisation and the number of API licenses it has contracted.
 *
 * @param id the host-supplied account id
 * @param name display name
 * @param contractedLicenses licenses contracted, never negative
 * @param createdAt when the operator created the account
 */
public record Account(AccountId id, String name, int contractedLicenses, Instant createdAt) {
  /**
   * Checks the invariants of an account row.
   *
   * @param id the host-supplied account id
   * @param name display name
   * @param contractedLicenses licenses contracted, never negative
   * @param createdAt when the operator created the account
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
   * @param licenses the number of contracted licenses
   * @return a copy with another number of contracted licenses
   */
  public Account withContractedLicenses(int licenses) {
    return new Account(id, name, licenses, createdAt);
  }
}
