package dev.keyseat;

import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Command: edit a key (R7). Each field left null is unchanged; at least one must be set. The key
 * keeps its id, secret and license.
 *
 * @param label new label, up to 200 characters of readable text (may be empty)
 * @param expiresAt new expiry, in the future
 * @param clearExpiry true to remove the expiry
 * @param suspended true to suspend, false to resume
 * @param rebindTo serial of a device of the account that has no key, to move the key to
 */
public record KeyEdit(
    @Nullable @Size(max = 200, message = Constraints.MAX_TEXT_MESSAGE)
        @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) @FreeText String label,
    @Nullable @jakarta.validation.constraints.Future Instant expiresAt,
    boolean clearExpiry,
    @Nullable Boolean suspended,
    @Nullable @Pattern(regexp = Constraints.SERIAL, message = Constraints.SERIAL_MESSAGE) String rebindTo) {

  private static final KeyEdit NONE = new KeyEdit(null, null, false, null, null);

  /**
   * @param label the label
   * @return an edit that sets the label
   */
  public static KeyEdit label(String label) {
    return NONE.withLabel(label);
  }

  /**
   * @param at when
   * @return an edit that sets the expiry
   */
  public static KeyEdit expiresAt(Instant at) {
    return NONE.withExpiresAt(at);
  }

  /** @return an edit that removes the expiry */
  public static KeyEdit noExpiry() {
    return new KeyEdit(null, null, true, null, null);
  }

  /** @return an edit that suspends the key */
  public static KeyEdit suspend() {
    return new KeyEdit(null, null, false, true, null);
  }

  /** @return an edit that resumes the key */
  public static KeyEdit resume() {
    return new KeyEdit(null, null, false, false, null);
  }

  /**
   * @param serial the device's serial number
   * @return an edit that moves the key to another device of the account
   */
  public static KeyEdit rebindTo(String serial) {
    return new KeyEdit(null, null, false, null, serial);
  }

  /**
   * @param newLabel the new label
   * @return a copy that also sets the label
   */
  public KeyEdit withLabel(String newLabel) {
    return new KeyEdit(newLabel, expiresAt, clearExpiry, suspended, rebindTo);
  }

  /**
   * @param at when
   * @return a copy that also sets the expiry
   */
  public KeyEdit withExpiresAt(Instant at) {
    return new KeyEdit(label, at, clearExpiry, suspended, rebindTo);
  }

  /** @return whether nothing would change */
  public boolean isEmpty() {
    return label == null && expiresAt == null && !clearExpiry && suspended == null && rebindTo == null;
  }
}
