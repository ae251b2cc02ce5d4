package dev.keyseat;

import jakarta.validation.constraints.Future;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Command: create one key for each selected device, all or nothing (R4).
 *
 * @param serials the selected devices, 1–1,000, no duplicates
 * @param label label for every new key, up to 200 characters of readable text (may be empty)
 * @param expiresAt expiry for every new key, or null for never
 */
public record NewKeys(
    @NotEmpty(message = Constraints.BATCH_MESSAGE) @Size(max = Constraints.MAX_BATCH, message = Constraints.BATCH_MESSAGE)
        List<@NotNull @Pattern(regexp = Constraints.SERIAL, message = Constraints.SERIAL_MESSAGE) String> serials,
    @NotNull @Size(max = 200, message = Constraints.MAX_TEXT_MESSAGE)
        @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) @FreeText String label,
    @Nullable @Future Instant expiresAt) {

  /**
   * Keys without label or expiry.
   *
   * @param serials the selected devices' serial numbers
   * @return the command
   */
  // A null array from a caller that NullAway does not check becomes a violation of @NotEmpty,
  // reported with the others in an InvalidRequestException, not a NullPointerException here.
  @SuppressWarnings("NullAway")
  public static NewKeys forDevices(String... serials) {
    return new NewKeys(serials == null ? null : java.util.Arrays.asList(serials), "", null);
  }

  /**
   * Keys without label or expiry.
   *
   * @param serials the selected devices' serial numbers
   * @return the command
   */
  public static NewKeys forDevices(List<String> serials) {
    return new NewKeys(serials, "", null);
  }

  /**
   * @param newLabel the new label
   * @return a copy with this label
   */
  public NewKeys withLabel(String newLabel) {
    return new NewKeys(serials, newLabel, expiresAt);
  }

  /**
   * @param expiry the new expiry, or null for never
   * @return a copy with this expiry
   */
  public NewKeys withExpiresAt(@Nullable Instant expiry) {
    return new NewKeys(serials, label, expiry);
  }
}
