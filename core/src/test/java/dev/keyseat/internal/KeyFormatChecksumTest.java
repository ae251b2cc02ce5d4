package dev.keyseat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** The fast checksum gate agrees with a plain reading of the format on every input tried. */
class KeyFormatChecksumTest {
  private static final String BASE62 = Base62.ALPHABET;

  /** The format as written: prefix, '_', 27 base62, 6 base62 digits of CRC32(prefix + body). */
  static boolean reference(String prefix, String key) {
    int bodyEnd = prefix.length() + 1 + KeyFormat.BODY_LENGTH;
    if (key.length() != bodyEnd + KeyFormat.CHECKSUM_LENGTH || !key.startsWith(prefix + "_")) {
      return false;
    }
    for (int i = prefix.length() + 1; i < key.length(); i++) {
      if (BASE62.indexOf(key.charAt(i)) < 0) {
        return false;
      }
    }
    CRC32 crc = new CRC32();
    crc.update((prefix + key.substring(prefix.length() + 1, bodyEnd)).getBytes(StandardCharsets.ISO_8859_1));
    long checksum = 0;
    for (int i = bodyEnd; i < key.length(); i++) {
      checksum = checksum * 62 + BASE62.indexOf(key.charAt(i));
    }
    return checksum == crc.getValue();
  }

  /** Both entry points, which must agree, and the staged bytes of a well-formed key. */
  private static boolean wellFormed(KeyFormat format, String key) {
    byte[] bytes = new byte[KeyFormat.STAGING_LENGTH];
    format.stagePrefix(bytes);
    boolean plain = format.isWellFormed(key);
    boolean staged = format.isWellFormed(key, bytes);
    assertThat(staged).as("staged and plain agree on %s", key).isEqualTo(plain);
    if (staged) {
      assertThat(new String(bytes, format.stagedOffset(), key.length(), StandardCharsets.ISO_8859_1)).isEqualTo(key);
    }
    return plain;
  }

  @Test
  public void generatedKeysAreWellFormedForEveryPrefixShape() {
    for (String prefix : new String[] {"k", "ks", "acme", "abcdefghij", "x9"}) {
      KeyFormat format = new KeyFormat(prefix, new SecureRandom());
      for (int i = 0; i < 2000; i++) {
        String key = format.generate();
        assertThat(wellFormed(format, key)).as(key).isTrue();
        assertThat(reference(prefix, key)).as(key).isTrue();
      }
    }
  }

  @Test
  public void everySingleCharacterChangeIsCaught() {
    KeyFormat format = new KeyFormat("ks", new SecureRandom());
    Random r = new Random(7);
    for (int n = 0; n < 200; n++) {
      String key = format.generate();
      for (int i = 0; i < key.length(); i++) {
        char[] replacements = {BASE62.charAt(r.nextInt(62)), (char) r.nextInt(128), (char) (128 + r.nextInt(0xFF00)),
            (char) (key.charAt(i) + 256), (char) (key.charAt(i) | 0x80)};
        for (char c : replacements) {
          if (c == key.charAt(i)) {
            continue;
          }
          String changed = key.substring(0, i) + c + key.substring(i + 1);
          assertThat(wellFormed(format, changed)).as(changed).isFalse();
        }
      }
    }
  }

  @Test
  public void aForgedChecksumDoesNotLetANonBase62CharacterThrough() {
    KeyFormat format = new KeyFormat("ks", new SecureRandom());
    Random r = new Random(3);
    for (int pos = 0; pos < KeyFormat.BODY_LENGTH; pos++) {
      for (char bad = 0; bad < 0x180; bad++) {
        if (BASE62.indexOf(bad) >= 0) {
          continue;
        }
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < KeyFormat.BODY_LENGTH; i++) {
          body.append(i == pos ? bad : BASE62.charAt(r.nextInt(62)));
        }
        // the checksum of the bytes a careless implementation would see (the low byte of each char)
        byte[] seen = ("ks" + body).getBytes(StandardCharsets.UTF_16BE);
        byte[] low = new byte[seen.length / 2];
        for (int i = 0; i < low.length; i++) {
          low[i] = seen[2 * i + 1];
        }
        CRC32 crc = new CRC32();
        crc.update(low);
        String forged = "ks_" + body + Base62.encodeFixed(crc.getValue(), KeyFormat.CHECKSUM_LENGTH);
        assertThat(wellFormed(format, forged)).as("%04x at %d", (int) bad, pos).isFalse();
        // and with the character masked to 7 bits, as a table index would see it
        CRC32 masked = new CRC32();
        for (byte b : low) {
          masked.update(b & 0x7f);
        }
        String forged7 = "ks_" + body + Base62.encodeFixed(masked.getValue(), KeyFormat.CHECKSUM_LENGTH);
        assertThat(wellFormed(format, forged7)).as("%04x at %d (7 bits)", (int) bad, pos).isFalse();
      }
    }
  }

  @Test
  public void agreesWithTheReferenceOnRandomAndForgedInput() {
    KeyFormat format = new KeyFormat("ks", new SecureRandom());
    Random r = new Random(11);
    int wellFormed = 0;
    for (int n = 0; n < 200_000; n++) {
      char[] body = new char[KeyFormat.BODY_LENGTH];
      for (int i = 0; i < body.length; i++) {
        body[i] = r.nextInt(50) == 0 ? (char) r.nextInt(0x3000) : BASE62.charAt(r.nextInt(62));
      }
      CRC32 crc = new CRC32();
      crc.update(("ks" + new String(body)).getBytes(StandardCharsets.ISO_8859_1));
      long value = r.nextInt(4) == 0 ? r.nextLong() & 0xFFFFFFFFL : crc.getValue();
      String key = "ks_" + new String(body) + Base62.encodeFixed(value, KeyFormat.CHECKSUM_LENGTH);
      boolean expected = reference("ks", key);
      assertThat(wellFormed(format, key)).as(key).isEqualTo(expected);
      wellFormed += expected ? 1 : 0;
    }
    assertThat(wellFormed).as("both outcomes were exercised").isBetween(60_000, 120_000);
  }
}
