package dev.keyseat.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import dev.keyseat.LegacyKeyShape;
import java.security.SecureRandom;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The key format {@code <prefix>_<body><checksum>}: a body of 27 base62 characters drawn from
 * {@link SecureRandom} (160.8 bits) and a checksum of 6 base62 characters encoding the CRC32 of
 * prefix+body. {@link #isWellFormed} decides shape and checksum without allocating. Keys imported
 * from another system may have one of the declared {@link LegacyKeyShape}s instead
 * ({@link #isLegacyShaped}), checked only for inputs that are not well-formed Keyseat keys.
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
  /** Where the body starts in the staging arrays: after the longest prefix and '_'. */
  public static final int BODY_AT = 11;
  /** Length of the scratch array of {@link #isWellFormed(String, byte[])}. */
  public static final int STAGING_LENGTH = BODY_AT + BODY_LENGTH + CHECKSUM_LENGTH;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long SWAR_0 = everyByte(0x80 - '0');
  private static final long SWAR_9 = everyByte(0x7F - '9');
  private static final long SWAR_A = everyByte(0x80 - 'A');
  private static final long SWAR_Z = everyByte(0x7F - 'Z');
  private static final long SWAR_LOWER_A = everyByte(0x80 - 'a');
  private static final long SWAR_LOWER_Z = everyByte(0x7F - 'z');
  /** Base62 digit values for ASCII, -1 elsewhere. */
  private static final byte[] DIGIT = new byte[128];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      }
      CRC_TABLE[n] = c;
    }
    for (int c = 0; c < 128; c++) {
      DIGIT[c] = (byte) Base62.value((char) c);
    }
  }

  private final String prefix;
  private final int length;
  private final SecureRandom random;
  private final LegacyKeyShape[] legacy;
  /**
   * The CRC32 register after prefix and body, as a XOR of one lookup per body position: the
   * register is affine in the body bytes, the body has a fixed length and the prefix is fixed, so
   * entry {@code (j << 7) | b} is the contribution of ASCII byte {@code b} at body position
   * {@code j}, the prefix's constant contribution folded into position 0. The lookups are
   * independent of each other, unlike the byte-by-byte chain of a CRC loop.
   */
  private final int[] bodyCrc = new int[BODY_LENGTH << 7];

  /**
   * @param prefix 1–10 lowercase letters or digits, starting with a letter
   * @param random the entropy source
   */
  public KeyFormat(String prefix, SecureRandom random) {
    this(prefix, random, List.of());
  }

  /**
   * @param prefix 1–10 lowercase letters or digits, starting with a letter
   * @param random the entropy source
   * @param legacyShapes the shapes of imported keys that validate without a checksum
   */
  public KeyFormat(String prefix, SecureRandom random, List<LegacyKeyShape> legacyShapes) {
    this.legacy = legacyShapes.toArray(new LegacyKeyShape[0]);
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "key prefix must be 1-10 lowercase letters or digits starting with a letter, was: " + prefix);
    }
    this.prefix = prefix;
    this.length = prefix.length() + 1 + BODY_LENGTH + CHECKSUM_LENGTH;
    this.random = random;
    int afterPrefix = 0xFFFFFFFF;
    for (int i = 0; i < prefix.length(); i++) {
      afterPrefix = CRC_TABLE[(afterPrefix ^ prefix.charAt(i)) & 0xff] ^ (afterPrefix >>> 8);
    }
    for (int j = 0; j < BODY_LENGTH; j++) {
      for (int b = 0; b < 128; b++) {
        // register after the whole body when it is all zero bytes except b at j, from register 0
        int r = 0;
        for (int k = 0; k < BODY_LENGTH; k++) {
          r = CRC_TABLE[(r ^ (k == j ? b : 0)) & 0xff] ^ (r >>> 8);
        }
        bodyCrc[(j << 7) | b] = r;
      }
    }
    // the prefix's register, carried through BODY_LENGTH zero bytes
    int carried = afterPrefix;
    for (int k = 0; k < BODY_LENGTH; k++) {
      carried = CRC_TABLE[carried & 0xff] ^ (carried >>> 8);
    }
    for (int b = 0; b < 128; b++) {
      bodyCrc[b] ^= carried;
    }
  }

  private static long everyByte(int b) {
    return 0x0101010101010101L * b;
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
    if (key == null || !isNativeShaped(key)) {
      return false;
    }
    int p = prefix.length();
    // Base62 check (branch-free, accumulated in 'bad') and CRC32 register (XOR of independent
    // lookups) in one pass over the body.
    int bad = 0;
    int crc = 0;
    int body = p + 1;
    int[] table = bodyCrc;
    for (int j = 0; j < BODY_LENGTH; j++) {
      char c = key.charAt(body + j);
      bad |= digit(c);
      crc ^= table[(j << 7) | (c & 0x7f)];
    }
    int end = body + BODY_LENGTH;
    return checksumMatches(bad, crc, key.charAt(end), key.charAt(end + 1), key.charAt(end + 2),
        key.charAt(end + 3), key.charAt(end + 4), key.charAt(end + 5));
  }

  /**
   * {@link #isWellFormed} for the validation hot path, in two steps: {@link #passesChecksum} reads
   * each character of the key once, and only a key that passes it is {@linkplain #stage staged}
   * for the PRF and the hash. Decides exactly as {@link #isWellFormed(CharSequence)}. Never throws;
   * allocates nothing.
   *
   * @param key any input, possibly null, huge or non-ASCII
   * @param bytes {@link #STAGING_LENGTH} bytes, {@linkplain #stagePrefix prefix staged}; receives
   *     the key's body and checksum bytes if it passes the checksum
   * @return whether the key has this format's shape and a correct checksum
   */
  public boolean isWellFormed(String key, byte[] bytes) {
    return passesChecksum(key) && stage(key, bytes);
  }

  /**
   * The first step of the hot path's gate, which rejects a mistyped key before anything is staged
   * or looked up: the shape, every character ASCII, and the checksum digits encoding the CRC32 of
   * prefix and body. Each body character is read once from the string and folded into the CRC32
   * register (a XOR of independent table lookups, see {@link #bodyCrc}) and the non-ASCII mark.
   * Whether the body is base62 is left to {@link #stage}. Never throws; allocates nothing.
   *
   * @param key any input, possibly null, huge or non-ASCII
   * @return whether the key has the native shape, is ASCII and its checksum matches; a key for
   *     which this holds is well formed exactly if {@link #stage} then returns true
   */
  public boolean passesChecksum(@Nullable String key) {
    if (key == null || !isNativeShaped(key)) {
      return false;
    }
    int body = prefix.length() + 1;
    int crc = 0;
    int high = 0;
    int[] table = bodyCrc;
    for (int j = 0; j < BODY_LENGTH; j++) {
      char c = key.charAt(body + j);
      high |= c;
      crc ^= table[(j << 7) | (c & 0x7f)];
    }
    int end = body + BODY_LENGTH;
    // digit() is negative for every character that is not an ASCII base62 digit
    return high < 0x80 && checksumMatches(0, crc, key.charAt(end), key.charAt(end + 1), key.charAt(end + 2),
        key.charAt(end + 3), key.charAt(end + 4), key.charAt(end + 5));
  }

  /**
   * The second step of the hot path's gate: copies the body and checksum of a key that {@linkplain
   * #passesChecksum passed the checksum} into {@code bytes} in one bulk copy (exact, as every
   * character is ASCII), then checks base62 over the staged body eight bytes at a time.
   *
   * @param key a key for which {@link #passesChecksum} returned true
   * @param bytes {@link #STAGING_LENGTH} bytes, {@linkplain #stagePrefix prefix staged}; receives
   *     the key's body and checksum at {@link #BODY_AT}
   * @return whether the body is base62: then the key is well formed
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int) keeps each char's low byte: exact for ASCII
  public boolean stage(String key, byte[] bytes) {
    key.getBytes(prefix.length() + 1, length, bytes, BODY_AT);
    long ok = base62((long) LONGS.get(bytes, BODY_AT)) & base62((long) LONGS.get(bytes, BODY_AT + 8))
        & base62((long) LONGS.get(bytes, BODY_AT + 16)) & base62((long) LONGS.get(bytes, BODY_AT + 24));
    // the last word holds body characters 24..26 and checksum characters 0..4, base62 already
    return ok == HIGH_BITS;
  }

  /**
   * Writes the prefix and {@code '_'} at {@link #stagedOffset()}, once per scratch array: {@link
   * #isWellFormed(String, byte[])} leaves them in place and stages only the rest.
   *
   * @param bytes {@link #STAGING_LENGTH} bytes
   */
  public void stagePrefix(byte[] bytes) {
    int start = stagedOffset();
    for (int i = 0; i < prefix.length(); i++) {
      bytes[start + i] = (byte) prefix.charAt(i);
    }
    bytes[BODY_AT - 1] = '_';
  }

  /** @return where {@link #isWellFormed(String, byte[])} stages the key's first byte */
  public int stagedOffset() {
    return BODY_AT - 1 - prefix.length();
  }

  /**
   * Bit 7 set in every byte of {@code x} that is a base62 digit, given bytes below 0x80: per byte,
   * {@code x + 0x80 - lo} has bit 7 set iff {@code x >= lo}, and {@code x + 0x7F - hi} iff
   * {@code x > hi}, with no carry into the next byte.
   */
  private static long base62(long x) {
    long digits = (x + SWAR_0) & ~(x + SWAR_9);
    long upper = (x + SWAR_A) & ~(x + SWAR_Z);
    long lower = (x + SWAR_LOWER_A) & ~(x + SWAR_LOWER_Z);
    return (digits | upper | lower) & HIGH_BITS;
  }

  /** Whether no body character was bad and the six checksum digits encode {@code ~crc}. */
  private static boolean checksumMatches(int bad, int crc, char e0, char e1, char e2, char e3, char e4, char e5) {
    int d0 = digit(e0);
    int d1 = digit(e1);
    int d2 = digit(e2);
    int d3 = digit(e3);
    int d4 = digit(e4);
    int d5 = digit(e5);
    if ((bad | d0 | d1 | d2 | d3 | d4 | d5) < 0) {
      return false;
    }
    long checksum = ((d0 * 62L + d1) * 62 + d2) * (62 * 62 * 62) + ((d3 * 62 + d4) * 62 + d5);
    return checksum == (~crc & 0xFFFFFFFFL);
  }

  /** @return the base62 value of {@code c}, or -1 (also for every non-ASCII character), without branching */
  private static int digit(char c) {
    return DIGIT[c & 0x7f] | ((127 - c) >> 31);
  }

  /**
   * @return a non-secret reminder of the key: prefix, "..." and its last four characters; for a
   *     legacy key "..." and its last four characters
   */
  public String hint(String key) {
    if (isNativeShaped(key)) {
      return prefix + "_..." + key.substring(key.length() - 4);
    }
    return "..." + key.substring(key.length() - 4);
  }

  /** @return whether legacy key shapes are declared */
  public boolean hasLegacyShapes() {
    return legacy.length > 0;
  }

  /** @return the declared legacy key shapes */
  public List<LegacyKeyShape> legacyShapes() {
    return List.of(legacy);
  }

  /**
   * Whether an input that is not a well-formed Keyseat key has a declared legacy shape. An input of
   * the native length that starts with {@code <prefix>_} is a mistyped Keyseat key, never a legacy
   * one. Never throws; allocates nothing for inputs outside every shape's length bound.
   *
   * @param key any input, possibly null
   * @return whether it has one of the declared legacy shapes
   */
  public boolean isLegacyShaped(CharSequence key) {
    if (key == null || legacy.length == 0 || isNativeShaped(key)) {
      return false;
    }
    for (LegacyKeyShape shape : legacy) {
      if (shape.matches(key)) {
        return true;
      }
    }
    return false;
  }

  /** @return whether the key is well formed or has a declared legacy shape: worth hashing */
  public boolean isAccepted(CharSequence key) {
    return isWellFormed(key) || isLegacyShaped(key);
  }

  /** Whether the key has the native length and starts with the prefix and {@code '_'}. */
  private boolean isNativeShaped(CharSequence key) {
    if (key.length() != length || key.charAt(prefix.length()) != '_') {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (key.charAt(i) != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** CRC32 (as java.util.zip.CRC32) of the ASCII characters [0, end) skipping the one at {@code skip}. */
  static long crc32(CharSequence s, int end, int skip) {
    int c = 0xFFFFFFFF;
    for (int i = 0; i < end; i++) {
      if (i != skip) {
        c = CRC_TABLE[(c ^ s.charAt(i)) & 0xff] ^ (c >>> 8);
      }
    }
    return ~c & 0xFFFFFFFFL;
  }
}
