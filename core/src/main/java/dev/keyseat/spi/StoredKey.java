package dev.keyseat.spi;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.internal.Require;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A key as a store keeps it: hashes, never the plaintext secret.
 *
 * @param id public key id
 * @param accountId the account
 * @param deviceSerial the bound device
 * @param hash hash of the current secret
 * @param hint non-secret hint of the current secret
 * @param label free-text label
 * @param createdAt when the key was created
 * @param regeneratedAt when the secret was last regenerated, or null
 * @param expiresAt expiry, or null for never
 * @param suspended whether the key is suspended
 * @param previousHash hash of the secret before the last regeneration, or null
 * @param previousValidUntil until when the previous secret still validates (overlap); at or before
 *     the regeneration time when there is no overlap; null when there is no previous secret
 * @param sealedSecret the secret sealed by the host's {@code SecretVault}, or null
 * @param ordinal the key's place in its account's creation order, 1 and up: keys created in one
 *     batch share {@code createdAt} and are numbered in the order the devices were selected in, so
 *     the keys table keeps that order; it never changes (regenerating, editing or moving the key
 *     keeps it); 0 for a key stored without one
 */
// The array is copied in and out, and equals and toString handle it, which the checker cannot see.
@SuppressWarnings("ArrayRecordComponent")
public record StoredKey(
    KeyId id,
    AccountId accountId,
    String deviceSerial,
    KeyHash hash,
    String hint,
    String label,
    Instant createdAt,
    @Nullable Instant regeneratedAt,
    @Nullable Instant expiresAt,
    boolean suspended,
    @Nullable KeyHash previousHash,
    @Nullable Instant previousValidUntil,
    byte @Nullable [] sealedSecret,
    long ordinal) {

  /**
   * The order of the keys table and of {@link AccountTransaction#keys()}: creation time, then
   * {@link #ordinal()} (the order the devices of one batch were selected in), then id.
   */
  public static final Comparator<StoredKey> CREATION_ORDER = Comparator.comparing(StoredKey::createdAt)
      .thenComparingLong(StoredKey::ordinal).thenComparing(k -> k.id().value());

  /**
   * Checks required components and that a previous hash comes with its validity.
   *
   * @param ordinal the key's place in its account's creation order, 1 and up: keys created in one
   *     batch share {@code createdAt} and are numbered in the order the devices were selected in,
   *     so the keys table keeps that order; it never changes (regenerating, editing or moving the
   *     key keeps it); 0 for a key stored without one
   * @param id public key id
   * @param accountId the account
   * @param deviceSerial the bound device
   * @param hash hash of the current secret
   * @param hint non-secret hint of the current secret
   * @param label free-text label
   * @param createdAt when the key was created
   * @param regeneratedAt when the secret was last regenerated, or null
   * @param expiresAt expiry, or null for never
   * @param suspended whether the key is suspended
   * @param previousHash hash of the secret before the last regeneration, or null
   * @param previousValidUntil until when the previous secret still validates (overlap); at or
   *     before the regeneration time when there is no overlap; null when there is no previous
   *     secret
   * @param sealedSecret the secret sealed by the host's {@code SecretVault}, or null
   */
  public StoredKey {
    Require.nonNull("id, accountId, deviceSerial, hash, hint, label, createdAt",
        id, accountId, deviceSerial, hash, hint, label, createdAt);
    if ((previousHash == null) != (previousValidUntil == null)) {
      throw new IllegalArgumentException("previousHash and previousValidUntil go together");
    }
    sealedSecret = sealedSecret == null ? null : sealedSecret.clone();
    if (ordinal < 0) {
      throw new IllegalArgumentException("ordinal must not be negative, was " + ordinal);
    }
  }

  /**
   * A key without an {@link #ordinal()} (0): ordered by creation time and id only.
   *
   * @param id public key id
   * @param accountId the account
   * @param deviceSerial the bound device
   * @param hash hash of the current secret
   * @param hint non-secret hint of the current secret
   * @param label free-text label
   * @param createdAt when the key was created
   * @param regeneratedAt when the secret was last regenerated, or null
   * @param expiresAt expiry, or null for never
   * @param suspended whether the key is suspended
   * @param previousHash hash of the secret before the last regeneration, or null
   * @param previousValidUntil until when the previous secret still validates (overlap); at or
   *     before the regeneration time when there is no overlap; null when there is no previous
   *     secret
   * @param sealedSecret the secret sealed by the host's {@code SecretVault}, or null
   */
  public StoredKey(KeyId id, AccountId accountId, String deviceSerial, KeyHash hash, String hint, String label,
      Instant createdAt, @Nullable Instant regeneratedAt, @Nullable Instant expiresAt, boolean suspended,
      @Nullable KeyHash previousHash, @Nullable Instant previousValidUntil, byte @Nullable [] sealedSecret) {
    this(id, accountId, deviceSerial, hash, hint, label, createdAt, regeneratedAt, expiresAt, suspended, previousHash,
        previousValidUntil, sealedSecret, 0);
  }

  /**
   * @param value the key's place in its account's creation order
   * @return a copy with this ordinal
   */
  public StoredKey withOrdinal(long value) {
    return new StoredKey(id, accountId, deviceSerial, hash, hint, label, createdAt, regeneratedAt, expiresAt,
        suspended, previousHash, previousValidUntil, sealedSecret, value);
  }

  /** @return the secret sealed by the vault (a copy), or null without a vault */
  @Override
  public byte @Nullable [] sealedSecret() {
    return sealedSecret == null ? null : sealedSecret.clone();
  }

  /**
   * The hashes this key validates under: the current secret's and, while it exists, the previous
   * secret's (whether or not its overlap has ended). A store indexes the key under each; a change
   * to the key concerns each.
   *
   * @return the current hash, then the previous one if any
   */
  public List<KeyHash> hashes() {
    return previousHash == null ? List.of(hash) : List.of(hash, previousHash);
  }

  /**
   * @param serial the new device's serial
   * @return a copy bound to another device
   */
  public StoredKey withDevice(String serial) {
    return new StoredKey(id, accountId, serial, hash, hint, label, createdAt, regeneratedAt, expiresAt,
        suspended, previousHash, previousValidUntil, sealedSecret, ordinal);
  }

  /**
   * @param newLabel the new label
   * @return a copy with another label
   */
  public StoredKey withLabel(String newLabel) {
    return new StoredKey(id, accountId, deviceSerial, hash, hint, newLabel, createdAt, regeneratedAt,
        expiresAt, suspended, previousHash, previousValidUntil, sealedSecret, ordinal);
  }

  /**
   * @param expiry the new expiry, or null for never
   * @return a copy with another expiry (null for never)
   */
  public StoredKey withExpiresAt(@Nullable Instant expiry) {
    return new StoredKey(id, accountId, deviceSerial, hash, hint, label, createdAt, regeneratedAt,
        expiry, suspended, previousHash, previousValidUntil, sealedSecret, ordinal);
  }

  /**
   * @param value the value
   * @return a copy suspended or resumed
   */
  public StoredKey withSuspended(boolean value) {
    return new StoredKey(id, accountId, deviceSerial, hash, hint, label, createdAt, regeneratedAt,
        expiresAt, value, previousHash, previousValidUntil, sealedSecret, ordinal);
  }

  /**
   * @param newHash the new secret's hash
   * @param newHint the new secret's hint
   * @param newSealed the new secret sealed by the vault, or null
   * @param at when
   * @param oldValidUntil until when the old secret still validates
   * @return a copy with a new secret; the current hash becomes the previous one, valid until
   *     {@code oldValidUntil}
   */
  public StoredKey regenerated(KeyHash newHash, String newHint, byte @Nullable [] newSealed,
      Instant at, Instant oldValidUntil) {
    return new StoredKey(id, accountId, deviceSerial, newHash, newHint, label, createdAt, at, expiresAt,
        suspended, hash, oldValidUntil, newSealed, ordinal);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredKey k
        && id.equals(k.id) && accountId.equals(k.accountId) && deviceSerial.equals(k.deviceSerial)
        && hash.equals(k.hash) && hint.equals(k.hint) && label.equals(k.label)
        && createdAt.equals(k.createdAt) && Objects.equals(regeneratedAt, k.regeneratedAt)
        && Objects.equals(expiresAt, k.expiresAt) && suspended == k.suspended
        && Objects.equals(previousHash, k.previousHash)
        && Objects.equals(previousValidUntil, k.previousValidUntil)
        && java.util.Arrays.equals(sealedSecret, k.sealedSecret) && ordinal == k.ordinal;
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "StoredKey[id=" + id + ", account=" + accountId + ", device=" + deviceSerial + ", hint=" + hint
        + ", suspended=" + suspended + ", expiresAt=" + expiresAt + "]";
  }
}
