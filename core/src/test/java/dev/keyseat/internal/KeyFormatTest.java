package dev.keyseat.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyFormatTest {
  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private final KeyFormat format = new KeyFormat("ks", new SecureRandom());

  /** Base62 of {@code value} in exactly {@code width} digits, written independently of Base62. */
  private static String base62(long value, int width) {
    StringBuilder sb = new StringBuilder();
    long v = value;
    for (int i = 0; i < width; i++) {
      sb.append(ALPHABET.charAt((int) (v % 62)));
      v /= 62;
    }
    assertThat(v).as("value fits").isZero();
    return sb.reverse().toString();
  }

  private static long crc32(String s) {
    CRC32 crc = new CRC32();
    crc.update(s.getBytes(StandardCharsets.US_ASCII));
    return crc.getValue();
  }

  @Test
  void generatedKeysHaveThePrefixAUnderscoreABase62BodyAndAChecksum() {
    for (int i = 0; i < 200; i++) {
      String key = format.generate();
      assertThat(key).matches("ks_[0-9A-Za-z]{27}[0-9A-Za-z]{6}").hasSize(format.length());
      assertThat(format.isWellFormed(key)).as(key).isTrue();
    }
  }

  @Test
  void checksumIsTheCrc32OfPrefixAndBodyInSixBase62Digits() {
    for (int i = 0; i < 200; i++) {
      String key = format.generate();
      String body = key.substring(3, 3 + KeyFormat.BODY_LENGTH);
      String checksum = key.substring(3 + KeyFormat.BODY_LENGTH);
      assertThat(checksum).isEqualTo(base62(crc32("ks" + body), KeyFormat.CHECKSUM_LENGTH));
    }
  }

  @Test
  void aKeyBuiltIndependentlyFromCrc32IsWellFormed() {
    String body = "0123456789abcdefghijABCDEFG";
    String key = "ks_" + body + base62(crc32("ks" + body), 6);
    assertThat(format.isWellFormed(key)).isTrue();
    KeyFormat other = new KeyFormat("acme", new SecureRandom());
    assertThat(other.isWellFormed("acme_" + body + base62(crc32("acme" + body), 6))).isTrue();
    assertThat(other.isWellFormed(key)).as("another prefix").isFalse();
  }

  @Test
  void theBodyCarriesAtLeast160BitsFromTheRandomSource() {
    assertThat(KeyFormat.BODY_LENGTH * Math.log(62) / Math.log(2)).isGreaterThanOrEqualTo(160.0);
    int n = 2000;
    Set<String> keys = new HashSet<>();
    @SuppressWarnings("unchecked")
    Set<Character>[] seen = new Set[KeyFormat.BODY_LENGTH];
    for (int p = 0; p < seen.length; p++) {
      seen[p] = new HashSet<>();
    }
    for (int i = 0; i < n; i++) {
      String key = format.generate();
      keys.add(key);
      for (int p = 0; p < KeyFormat.BODY_LENGTH; p++) {
        seen[p].add(key.charAt(3 + p));
      }
    }
    assertThat(keys).as("no repeats").hasSize(n);
    for (int p = 0; p < seen.length; p++) {
      // every position uses the whole alphabet: 62 values per character, 27 characters
      assertThat(seen[p]).as("symbols at body position %d", p).hasSize(62);
    }
  }

  @Test
  void theBodyComesFromTheSuppliedRandomSource() {
    SecureRandom fixed = new SecureRandom() {
      private static final long serialVersionUID = 1L;

      @Override
      public int nextInt(int bound) {
        return 7;
      }
    };
    String key = new KeyFormat("ks", fixed).generate();
    assertThat(key.substring(3, 30)).isEqualTo("7".repeat(27));
  }

  @Test
  void everySingleCharacterSubstitutionIsDetected() {
    String candidates = ALPHABET + "_-+/=. é\u0000\n";
    for (int k = 0; k < 10; k++) {
      String key = format.generate();
      for (int i = 0; i < key.length(); i++) {
        for (int c = 0; c < candidates.length(); c++) {
          char ch = candidates.charAt(c);
          if (ch == key.charAt(i)) {
            continue;
          }
          String typo = key.substring(0, i) + ch + key.substring(i + 1);
          assertThat(format.isWellFormed(typo)).as("%s with %s at %d", key, ch, i).isFalse();
        }
      }
    }
  }

  @Test
  void adjacentTranspositionsDropsAndInsertionsAreDetected() {
    for (int k = 0; k < 50; k++) {
      String key = format.generate();
      for (int i = 0; i + 1 < key.length(); i++) {
        if (key.charAt(i) != key.charAt(i + 1)) {
          String swapped = key.substring(0, i) + key.charAt(i + 1) + key.charAt(i) + key.substring(i + 2);
          assertThat(format.isWellFormed(swapped)).as("swap at %d of %s", i, key).isFalse();
        }
      }
      for (int i = 0; i < key.length(); i++) {
        assertThat(format.isWellFormed(key.substring(0, i) + key.substring(i + 1))).isFalse();
        assertThat(format.isWellFormed(key.substring(0, i) + "a" + key.substring(i))).isFalse();
      }
    }
  }

  @Test
  void isWellFormedNeverThrowsAndRejectsGarbage() {
    String key = format.generate();
    List<String> garbage = new java.util.ArrayList<>(List.of(
        "",
        " ",
        "ks_",
        key + " ",
        " " + key,
        key.toUpperCase(),
        key.replace('_', '-'),
        "x".repeat(1 << 20),
        "ks_" + "é".repeat(33),
        "ks_" + "\u0000".repeat(33),
        "ks_" + "\n".repeat(33),
        "ks_" + "\uD83D\uDE00".repeat(16) + "a",
        key.substring(0, 10) + "\u0000" + key.substring(11),
        key.substring(0, 10) + "\u0130" + key.substring(11),
        key.substring(0, key.length() - 1) + "\u00ff"));
    garbage.add(null);
    for (String g : garbage) {
      assertThatCode(() -> assertThat(format.isWellFormed(g)).isFalse()).doesNotThrowAnyException();
    }
  }

  @Test
  void hintShowsThePrefixAndOnlyTheLastFourCharacters() {
    String key = format.generate();
    assertThat(format.hint(key)).isEqualTo("ks_..." + key.substring(key.length() - 4));
  }

  @Test
  void generatedIdsAreTaggedAndDistinct() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = format.generateId("key_");
      assertThat(id).matches("key_[0-9A-Za-z]{16}");
      ids.add(id);
    }
    assertThat(ids).hasSize(1000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "KS", "1ks", "ks_", "abcdefghijk", "k s", "é"})
  void badPrefixesAreRefused(String prefix) {
    assertThatThrownBy(() -> new KeyFormat(prefix, new SecureRandom()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix");
  }

  @Test
  void nullPrefixIsRefused() {
    assertThatThrownBy(() -> new KeyFormat(null, new SecureRandom())).isInstanceOf(IllegalArgumentException.class);
  }
}
