package dev.keyseat.spi;

import java.security.MessageDigest;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * The 32-byte SHA-256 (or HMAC-SHA256) of a whole API key: what a store keeps instead of the
 * secret. Equality is constant-time. Not secret in itself, but never reversible to the key.
 */
public final class KeyHash {
  /** Length of a hash in bytes. */
  public static final int LENGTH = 32;
  private final byte[] bytes;
  private final int hash;

  private KeyHash(byte[] bytes) {
    this.bytes = bytes;
    // The hash is already uniformly distributed; its first four bytes make a good hash code.
    this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
  }

  /**
   * @param bytes 32 bytes, copied
   * @return the hash
   */
  public static KeyHash of(byte[] bytes) {
    if (bytes == null || bytes.length != LENGTH) {
      throw new IllegalArgumentException("a key hash has " + LENGTH + " bytes");
    }
    return new KeyHash(bytes.clone());
  }

  /**
   * @param hex 64 hexadecimal characters
   * @return the hash
   */
  public static KeyHash fromHex(String hex) {
    return of(HexFormat.of().parseHex(hex));
  }

  /** @return a copy of the 32 bytes */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** @return 64 lowercase hexadecimal characters */
  public String toHex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return this == o || (o instanceof KeyHash k && MessageDigest.isEqual(bytes, k.bytes));
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "KeyHash[" + toHex().substring(0, 8) + "…]";
  }

  /**
   * @param other the other hash
   * @return whether the bytes equal {@code other}'s, in constant time
   */
  public boolean matches(byte[] other) {
    return MessageDigest.isEqual(bytes, other);
  }
}
