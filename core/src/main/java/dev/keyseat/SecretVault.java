package dev.keyseat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Optional encryption of secrets at rest so that an administrator can "copy" a key again later
 * (R13). Without a vault a secret is shown once and only its hash is stored.
 */
public interface SecretVault {

  /**
   * @param keyId the key the secret belongs to (bound as associated data)
   * @param secret the plaintext
   * @return the sealed secret
   */
  byte[] seal(KeyId keyId, String secret);

  /**
   * @param keyId the key the secret belongs to
   * @param sealed what {@link #seal} returned for the same key id
   * @return the plaintext
   * @throws IllegalStateException if the data was tampered with or sealed under another key;
   *     {@link KeyManager#revealSecret} turns it into a {@link VaultKeyMismatchException}
   */
  String open(KeyId keyId, byte[] sealed);

  /**
   * AES-GCM (JDK provider) under a key the host supplies and keeps outside the database.
   *
   * @param key an AES key of 128, 192 or 256 bits
   * @return a vault
   */
  static SecretVault aesGcm(SecretKey key) {
    Objects.requireNonNull(key, "key");
    if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
      throw new IllegalArgumentException("the vault needs an AES key, got " + key.getAlgorithm());
    }
    SecureRandom random = new SecureRandom();
    return new SecretVault() {
      private static final int IV = 12;
      private static final int TAG_BITS = 128;

      @Override
      public byte[] seal(KeyId keyId, String secret) {
        try {
          byte[] iv = new byte[IV];
          random.nextBytes(iv);
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
          c.updateAAD(keyId.value().getBytes(StandardCharsets.UTF_8));
          byte[] ct = c.doFinal(secret.getBytes(StandardCharsets.UTF_8));
          return ByteBuffer.allocate(IV + ct.length).put(iv).put(ct).array();
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("AES-GCM sealing failed", e);
        }
      }

      @Override
      public String open(KeyId keyId, byte[] sealed) {
        if (sealed == null || sealed.length < IV + TAG_BITS / 8) {
          throw new IllegalStateException("sealed secret of " + keyId + " is truncated and cannot be opened");
        }
        try {
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV));
          c.updateAAD(keyId.value().getBytes(StandardCharsets.UTF_8));
          return new String(c.doFinal(sealed, IV, sealed.length - IV), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("sealed secret of " + keyId + " cannot be opened with this vault key");
        }
      }

      @Override
      public String toString() {
        return "SecretVault[AES-GCM]";
      }
    };
  }
}
