package dev.keyseat;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The operator's command to grant licenses ({@link KeyManager#grantLicenses}).
 *
 * @param quantity licenses to grant, at least 1, such that the account's total stays at most {@link
 *     Account#MAX_LICENSES} at every instant of the term
 * @param start when they start counting, or null for now
 * @param end when they stop counting, after the start and after now, or null for open-ended
 * @param reference free text such as an order number (at most 200 characters of readable text), or
 *     null for none
 */
public record NewLicense(int quantity, @Nullable Instant start, @Nullable Instant end, @Nullable String reference) {

  /**
   * Open-ended licenses from now.
   *
   * @param quantity licenses to grant
   * @return the command
   */
  public static NewLicense openEnded(int quantity) {
    return new NewLicense(quantity, null, null, null);
  }

  /**
   * Licenses for a term.
   *
   * @param quantity licenses to grant
   * @param start first instant they count
   * @param end first instant they no longer count
   * @param reference an order number or other free text
   * @return the command
   */
  public static NewLicense term(int quantity, Instant start, Instant end, String reference) {
    return new NewLicense(quantity, start, end, reference);
  }
}
