package dev.keyseat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The staging checksum gate of the hot path decides exactly as a plain reading of the format
 * ({@link KeyFormatChecksumTest#reference}, with {@link java.util.zip.CRC32}) and as the plain gate,
 * on random, generated and mutated inputs, for several prefixes, with one staging array reused
 * across every input as the validator's threads do; and stages exactly the key's bytes when it
 * accepts.
 */
class KeyFormatOnePassGateTest {
  private static final String BASE62 = Base62.ALPHABET;

  @Test
  public void theStagingGateAcceptsAndRejectsExactlyAsTheReferenceOver300000Inputs() {
    Random r = new Random(20261202);
    long accepted = 0;
    long compared = 0;
    for (String prefix : new String[] {"ks", "k", "acme", "abcdefghij", "x9"}) {
      KeyFormat format = new KeyFormat(prefix, new SecureRandom());
      byte[] staged = new byte[KeyFormat.STAGING_LENGTH];
      format.stagePrefix(staged);
      for (int n = 0; n < 60_000; n++) {
        String key = input(format, r);
        boolean before = KeyFormatChecksumTest.reference(prefix, key);
        boolean now = format.isWellFormed(key, staged);
        assertThat(now).as("staging gate vs the reference on %s", printable(key)).isEqualTo(before);
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
}
