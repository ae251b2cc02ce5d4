package dev.keyseat.internal;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * The key format {@code <prefix>_<body><checksum>}: a body of 27 base62 characters drawn from
 * {@link SecureRandom} (160.8 bits) and a checksum of 6 base62 characters encoding the CRC32 of
 * prefix+body. {@link #isWellFormed} decides shape and checksum without allocating.
 */
public final class KeyFormat {
  /** Body length: 27 base62 digits carry {@code 27 * log2(62) = 160.8} bits. */
  public static final int BODY_LENGTH = 27;
  /** Checksum length: 62^6 > 2^32. */
  public static final int CHECKSUM_LENGTH = 6;
  /** The default prefix. */
  public static final String DEFAULT_PREFIX = "ks";
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,9}");
  private static final int[] CRC_TABLE = new int[256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      }
      CRC_TABLE[n] = c;
    }
  }

  private final String prefix;
  private final int length;
  private final SecureRandom random;

  /**
   * @param prefix 1–10 lowercase letters or digits, starting with a letter
   * @param random the entropy source
   */
  public KeyFormat(String prefix, SecureRandom random) {
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "key prefix must be 1-10 lowercase letters or digits starting with a letter, was: " + prefix);
    }
    this.prefix = prefix;
    this.length = prefix.length() + 1 + BODY_LENGTH + CHECKSUM_LENGTH;
    this.random = random;
  }

  /** @return the prefix */
  public String prefix() {
    return prefix;
  }

  /** @return the length of every well-formed key */
  public int length() {
    return length;
  }

  /** @return a new random key */
  public String generate() {
    StringBuilder sb = new StringBuilder(length).append(prefix).append('_');
    for (int i = 0; i < BODY_LENGTH; i++) {
      sb.append(Base62.ALPHABET.charAt(random.nextInt(62)));
    }
    long crc = crc32(sb, prefix.length() + 1 + BODY_LENGTH, prefix.length());
    return sb.append(Base62.encodeFixed(crc, CHECKSUM_LENGTH)).toString();
  }

  /** @return a new random identifier made of {@code tag} and 16 base62 characters */
  public String generateId(String tag) {
    StringBuilder sb = new StringBuilder(tag.length() + 16).append(tag);
    for (int i = 0; i < 16; i++) {
      sb.append(Base62.ALPHABET.charAt(random.nextInt(62)));
    }
    return sb.toString();
  }

  /**
   * Shape and checksum, without hashing, lookup or allocation. Never throws.
   *
   * @param key any input, possibly null, huge or non-ASCII
   * @return whether the key has this format's shape and a correct checksum
   */
  public boolean isWellFormed(CharSequence key) {
    if (key == null || key.length() != length) {
      return false;
    }
    int p = prefix.length();
    for (int i = 0; i < p; i++) {
      if (key.charAt(i) != prefix.charAt(i)) {
        return false;
      }
    }
    if (key.charAt(p) != '_') {
      return false;
    }
    int bodyEnd = p + 1 + BODY_LENGTH;
    for (int i = p + 1; i < bodyEnd; i++) {
      if (Base62.value(key.charAt(i)) < 0) {
        return false;
      }
    }
    long checksum = 0;
    for (int i = bodyEnd; i < length; i++) {
      int d = Base62.value(key.charAt(i));
      if (d < 0) {
        return false;
      }
      checksum = checksum * 62 + d;
    }
    return checksum == crc32(key, bodyEnd, p);
  }

  /** @return a non-secret reminder of the key: prefix, "..." and its last four characters */
  public String hint(String key) {
    return prefix + "_..." + key.substring(key.length() - 4);
  }

  /** CRC32 (as java.util.zip.CRC32) of the ASCII characters [0, end) skipping the one at {@code skip}. */
  static long crc32(CharSequence s, int end, int skip) {
    int c = 0xFFFFFFFF;
    for (int i = 0; i < end; i++) {
      if (i != skip) {
        c = CRC_TABLE[(c ^ s.charAt(i)) & 0xff] ^ (c >>> 8);
      }
    }
    return (~c) & 0xFFFFFFFFL;
  }
}
