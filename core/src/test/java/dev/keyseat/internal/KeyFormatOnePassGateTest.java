package dev.keyseat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one-pass checksum gate of the hot path decides exactly as the two-pass gate it replaced
 * (copied below, unchanged but for its home, as {@link TwoPassGate}) on random, generated and
 * mutated inputs, for several prefixes; and stages exactly the key's bytes when it accepts.
 */
class KeyFormatOnePassGateTest {
  private static final String BASE62 = Base62.ALPHABET;

  @Test
  public void theOnePassGateAcceptsAndRejectsExactlyAsTheTwoPassGateOver300000Inputs() {
    Random r = new Random(20261202);
    long accepted = 0;
    long compared = 0;
    for (String prefix : new String[] {"ks", "k", "acme", "abcdefghij", "x9"}) {
      KeyFormat format = new KeyFormat(prefix, new SecureRandom());
      TwoPassGate old = new TwoPassGate(prefix);
      byte[] staged = new byte[KeyFormat.STAGING_LENGTH];
      format.stagePrefix(staged);
      for (int n = 0; n < 60_000; n++) {
        String key = input(format, r);
        boolean before = old.isWellFormed(key);
        boolean now = format.isWellFormed(key, staged);
        assertThat(now).as("one pass vs two passes on %s", printable(key)).isEqualTo(before);
        assertThat(format.isWellFormed((CharSequence) key)).as("the plain gate on %s", printable(key)).isEqualTo(before);
        if (now) {
          accepted++;
          assertThat(new String(staged, format.stagedOffset(), key.length(), StandardCharsets.ISO_8859_1))
              .isEqualTo(key);
        }
        compared++;
      }
    }
    assertThat(compared).isEqualTo(300_000);
    assertThat(accepted).as("a good share of the inputs are well formed").isGreaterThan(45_000);
  }

  /** A generated key, or one with 1–3 characters changed, or random characters of the right length. */
  private static String input(KeyFormat format, Random r) {
    String key = format.generate();
    switch (r.nextInt(8)) {
      case 0:
      case 1:
        return key;
      case 2: {
        char[] c = new char[key.length()];
        for (int i = 0; i < c.length; i++) {
          c[i] = BASE62.charAt(r.nextInt(62));
        }
        System.arraycopy(key.toCharArray(), 0, c, 0, format.prefix().length() + 1);
        return new String(c); // right prefix, random body: the checksum rejects almost all
      }
      case 3:
        return key.substring(0, key.length() - 1) + (char) r.nextInt(0x10000);
      default: {
        char[] c = key.toCharArray();
        int changes = 1 + r.nextInt(3);
        for (int k = 0; k < changes; k++) {
          int i = r.nextInt(c.length);
          switch (r.nextInt(6)) {
            case 0 -> c[i] = BASE62.charAt(r.nextInt(62));
            case 1 -> c[i] = (char) r.nextInt(128);
            case 2 -> c[i] = (char) (c[i] | 0x80); // same low seven bits, non-ASCII
            case 3 -> c[i] = (char) (c[i] + 0x100); // same low byte, outside Latin-1
            case 4 -> c[i] = (char) (0x80 + r.nextInt(0xFF80));
            default -> {
              int j = r.nextInt(c.length);
              char t = c[i];
              c[i] = c[j];
              c[j] = t;
            }
          }
        }
        return new String(c);
      }
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return b.toString();
  }

  /** The gate as it was before the one-pass rewrite (KeyFormat.isWellFormed(String, char[], byte[])). */
  static final class TwoPassGate {
    private static final int BODY_LENGTH = KeyFormat.BODY_LENGTH;
    private static final int BODY_AT = 11;
    private static final int STAGING_LENGTH = BODY_AT + BODY_LENGTH + KeyFormat.CHECKSUM_LENGTH;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long SWAR_0 = everyByte(0x80 - '0');
    private static final long SWAR_9 = everyByte(0x7F - '9');
    private static final long SWAR_A = everyByte(0x80 - 'A');
    private static final long SWAR_Z = everyByte(0x7F - 'Z');
    private static final long SWAR_LOWER_A = everyByte(0x80 - 'a');
    private static final long SWAR_LOWER_Z = everyByte(0x7F - 'z');
    private static final int[] CRC_TABLE = new int[256];
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
    private final int[] bodyCrc = new int[BODY_LENGTH << 7];
    private final char[] chars = new char[STAGING_LENGTH];
    private final byte[] bytes = new byte[STAGING_LENGTH];

    TwoPassGate(String prefix) {
      this.prefix = prefix;
      this.length = prefix.length() + 1 + BODY_LENGTH + KeyFormat.CHECKSUM_LENGTH;
      int afterPrefix = 0xFFFFFFFF;
      for (int i = 0; i < prefix.length(); i++) {
        afterPrefix = CRC_TABLE[(afterPrefix ^ prefix.charAt(i)) & 0xff] ^ (afterPrefix >>> 8);
      }
      for (int j = 0; j < BODY_LENGTH; j++) {
        for (int b = 0; b < 128; b++) {
          int r = 0;
          for (int k = 0; k < BODY_LENGTH; k++) {
            r = CRC_TABLE[(r ^ (k == j ? b : 0)) & 0xff] ^ (r >>> 8);
          }
          bodyCrc[(j << 7) | b] = r;
        }
      }
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

    boolean isWellFormed(String key) {
      if (key == null || key.length() != length) {
        return false;
      }
      int p = prefix.length();
      int start = BODY_AT - 1 - p;
      key.getChars(0, length, chars, start);
      for (int i = 0; i < p; i++) {
        if (chars[start + i] != prefix.charAt(i)) {
          return false;
        }
      }
      if (chars[BODY_AT - 1] != '_') {
        return false;
      }
      int crc = 0;
      int[] table = bodyCrc;
      for (int j = 0; j < BODY_LENGTH; j++) {
        crc ^= table[(j << 7) | (chars[BODY_AT + j] & 0x7f)];
      }
      int end = BODY_AT + BODY_LENGTH;
      if (!checksumMatches(0, crc, chars[end], chars[end + 1], chars[end + 2], chars[end + 3],
          chars[end + 4], chars[end + 5])) {
        return false;
      }
      int high = 0;
      for (int i = start; i < STAGING_LENGTH; i++) {
        char c = chars[i];
        high |= c;
        bytes[i] = (byte) c;
      }
      if (high >= 0x80) {
        return false;
      }
      long ok = base62((long) LONGS.get(bytes, BODY_AT)) & base62((long) LONGS.get(bytes, BODY_AT + 8))
          & base62((long) LONGS.get(bytes, BODY_AT + 16)) & base62((long) LONGS.get(bytes, BODY_AT + 24))
          & base62((long) LONGS.get(bytes, STAGING_LENGTH - 8));
      return ok == HIGH_BITS;
    }

    private static long base62(long x) {
      long digits = (x + SWAR_0) & ~(x + SWAR_9);
      long upper = (x + SWAR_A) & ~(x + SWAR_Z);
      long lower = (x + SWAR_LOWER_A) & ~(x + SWAR_LOWER_Z);
      return (digits | upper | lower) & HIGH_BITS;
    }

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

    private static int digit(char c) {
      return DIGIT[c & 0x7f] | ((127 - c) >> 31);
    }
  }
}
