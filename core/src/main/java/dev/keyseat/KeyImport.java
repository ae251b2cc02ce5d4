package dev.keyseat;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One key to import from an existing system ({@link KeyManager#importKeys}): the device it belongs
 * to and either the plaintext key or the SHA-256 of it. {@link #toString()} never shows the
 * plaintext ({@link Secret} hides it).
 *
 * @param serial the device's serial number
 * @param secret the plaintext key: a Keyseat key or one of a declared {@link LegacyKeyShape}; null
 *     when {@code sha256} is given
 * @param sha256 the SHA-256 of the key, 64 hexadecimal digits; null when {@code secret} is given.
 *     Refused while a pepper is configured (see {@link KeyManager#importKeys})
 * @param createdAt when the key was created in the existing system, or null for now; not in the future
 * @param label the key's label, up to 200 characters, may be empty
 * @param deviceName the device's name if the import associates it, or null to name it by its serial
 */
public record KeyImport(
    String serial,
    @Nullable Secret secret,
    @Nullable String sha256,
    @Nullable Instant createdAt,
    String label,
    @Nullable String deviceName) {

  /**
   * A null label is an empty one.
   *
   * @param serial the device's serial number
   * @param secret the plaintext key: a Keyseat key or one of a declared {@link LegacyKeyShape};
   *     null when {@code sha256} is given
   * @param sha256 the SHA-256 of the key, 64 hexadecimal digits; null when {@code secret} is given.
   *     Refused while a pepper is configured (see {@link KeyManager#importKeys})
   * @param createdAt when the key was created in the existing system, or null for now; not in the
   *     future
   * @param label the key's label, up to 200 characters, may be empty
   * @param deviceName the device's name if the import associates it, or null to name it by its
   *     serial
   */
  public KeyImport {
    label = label == null ? "" : label;
  }

  /**
   * @param serial the device
   * @param secret the plaintext key
   * @return a record of a plaintext key, created now, without label
   */
  public static KeyImport ofSecret(String serial, String secret) {
    return new KeyImport(serial, Secret.of(secret), null, null, "", null);
  }

  /**
   * @param serial the device
   * @param sha256 SHA-256 of the key, in hexadecimal
   * @return a record of a hashed key, created now, without label
   */
  public static KeyImport ofSha256(String serial, String sha256) {
    return new KeyImport(serial, null, sha256, null, "", null);
  }

  /**
   * @param at when the key was created in the existing system
   * @return a copy created at this time
   */
  public KeyImport withCreatedAt(@Nullable Instant at) {
    return new KeyImport(serial, secret, sha256, at, label, deviceName);
  }

  /**
   * @param newLabel the key's label
   * @return a copy with this label
   */
  public KeyImport withLabel(String newLabel) {
    return new KeyImport(serial, secret, sha256, createdAt, newLabel, deviceName);
  }

  /**
   * @param name the name of the device, if the import associates it
   * @return a copy with this device name, used if the import associates the device
   */
  public KeyImport withDeviceName(@Nullable String name) {
    return new KeyImport(serial, secret, sha256, createdAt, label, name);
  }
}
