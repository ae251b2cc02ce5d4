package dev.keyseat;

import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.KeyHash;
import org.jspecify.annotations.Nullable;

/**
 * What the manager makes new secrets and ids with: the key format, the hasher of secrets at rest
 * and the host's vault, if any. Creating, regenerating and the leaked-key response all issue a
 * secret through {@link #issue}, so each keeps only its hash and, with a vault, its sealed form
 * (R13).
 *
 * @param format the key format (prefix, checksum, legacy shapes)
 * @param hasher hashes secrets for the store
 * @param vault seals secrets for "copy", or null when secrets are not retained
 */
record KeyIssuer(KeyFormat format, KeyHasher hasher, @Nullable SecretVault vault) {

  /**
   * A secret just issued, in every form the manager needs once.
   *
   * @param plain the secret, returned to the caller once and never stored
   * @param hash what the store keeps
   * @param hint the recognizable part shown in the keys table
   * @param sealed the vault's sealed form, or null without a vault
   */
  // used once, passed on as it is: never compared, hashed or printed, so the array is no trap here
  @SuppressWarnings("ArrayRecordComponent")
  record NewSecret(String plain, KeyHash hash, String hint, byte @Nullable [] sealed) {
    /** @return the hint only: the secret never reaches a {@code toString()} (R13) */
    @Override
    public String toString() {
      return "NewSecret[hint=" + hint + "]";
    }
  }

  /** @return a new key id */
  KeyId newKeyId() {
    return new KeyId(format.generateId("key_"));
  }

  /** @return a new license grant id */
  LicenseId newLicenseId() {
    return new LicenseId(format.generateId("lic_"));
  }

  /**
   * @param id the key the secret is for (the vault binds the sealed form to it)
   * @return a new secret with its hash, hint and sealed form
   */
  NewSecret issue(KeyId id) {
    String secret = format.generate();
    return new NewSecret(secret, hasher.hash(secret), format.hint(secret), seal(id, secret));
  }

  /**
   * R13: a secret is kept only sealed by the host's vault, if there is one; else only its hash.
   *
   * @param id the key the secret is of
   * @param secret the plaintext, issued here or imported
   * @return the sealed form, or null without a vault
   */
  byte @Nullable [] seal(KeyId id, String secret) {
    return vault == null ? null : vault.seal(id, secret);
  }

  /** @return what issues, without the hasher's pepper or the vault's key (R13) */
  @Override
  public String toString() {
    return "KeyIssuer[peppered=" + hasher.peppered() + ", vault=" + (vault != null) + "]";
  }
}
