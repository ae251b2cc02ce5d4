package dev.keyseat;

import dev.keyseat.internal.Require;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One row of the "API Keys" table: a key, the device it is bound to, and what an administrator may
 * see of it. It never holds the secret; {@link #hint()} is a non-secret reminder such as
 * {@code ks_...x7Qa}.
 *
 * @param id public key id
 * @param accountId the account
 * @param deviceSerial serial of the bound device
 * @param deviceName name of the bound device
 * @param label free-text label, may be empty
 * @param hint non-secret hint of the secret
 * @param createdAt when the key was created
 * @param regeneratedAt when the secret was last regenerated, or null
 * @param expiresAt when the key expires, or null for never
 * @param lastUsedAt when the key last validated, or null
 * @param useCount number of successful validations recorded
 * @param status status at the time the row was read
 */
public record ApiKey(
    KeyId id,
    AccountId accountId,
    String deviceSerial,
    String deviceName,
    String label,
    String hint,
    Instant createdAt,
    @Nullable Instant regeneratedAt,
    @Nullable Instant expiresAt,
    @Nullable Instant lastUsedAt,
    long useCount,
    KeyStatus status) {

  /**
   * Checks that required components are present.
   *
   * @param id public key id
   * @param accountId the account
   * @param deviceSerial serial of the bound device
   * @param deviceName name of the bound device
   * @param label free-text label, may be empty
   * @param hint non-secret hint of the secret
   * @param createdAt when the key was created
   * @param regeneratedAt when the secret was last regenerated, or null
   * @param expiresAt when the key expires, or null for never
   * @param lastUsedAt when the key last validated, or null
   * @param useCount number of successful validations recorded
   * @param status status at the time the row was read
   */
  public ApiKey {
    Require.nonNull("id, accountId, deviceSerial, deviceName, label, hint, createdAt, status",
        id, accountId, deviceSerial, deviceName, label, hint, createdAt, status);
  }
}
