package dev.keyseat.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyseat.spi.KeyHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.IntStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyHasherTest {
  private static final byte[] PEPPER = "0123456789abcdef-pepper".getBytes(StandardCharsets.US_ASCII);
  private final KeyFormat format = new KeyFormat("ks", new SecureRandom());

  private static byte[] sha256(String s) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] hmac(byte[] pepper, String s) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
    return mac.doFinal(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void withoutPepperTheHashIsSha256OfTheWholeKey() throws Exception {
    KeyHasher hasher = new KeyHasher(null);
    assertThat(hasher.peppered()).isFalse();
    for (int i = 0; i < 50; i++) {
      String key = format.generate();
      assertThat(hasher.hash(key).toBytes()).isEqualTo(sha256(key));
    }
  }

  @Test
  void withPepperTheHashIsHmacSha256AndDiffersFromSha256() throws Exception {
    KeyHasher peppered = new KeyHasher(PEPPER);
    KeyHasher plain = new KeyHasher(null);
    assertThat(peppered.peppered()).isTrue();
    String key = format.generate();
    assertThat(peppered.hash(key).toBytes()).isEqualTo(hmac(PEPPER, key));
    assertThat(peppered.hash(key)).isNotEqualTo(plain.hash(key));
  }

  @Test
  void pepperedHashIsStableAcrossCallsAndInstancesButChangesWithThePepper() {
    String key = format.generate();
    KeyHash first = new KeyHasher(PEPPER).hash(key);
    KeyHasher again = new KeyHasher(PEPPER.clone());
    assertThat(again.hash(key)).isEqualTo(first);
    assertThat(again.hash(key)).isEqualTo(first);
    byte[] otherPepper = PEPPER.clone();
    otherPepper[0] ^= 1;
    assertThat(new KeyHasher(otherPepper).hash(key)).isNotEqualTo(first);
  }

  @Test
  void thePepperIsCopiedSoLaterChangesToTheCallersArrayDoNotMatter() {
    byte[] pepper = PEPPER.clone();
    KeyHasher hasher = new KeyHasher(pepper);
    String key = format.generate();
    KeyHash before = hasher.hash(key);
    pepper[0] ^= 1;
    assertThat(new KeyHasher(PEPPER).hash(key)).isEqualTo(before);
    assertThat(hasher.hash(key)).isEqualTo(before);
  }

  @Test
  void differentKeysHashDifferently() {
    KeyHasher hasher = new KeyHasher(null);
    assertThat(hasher.hash(format.generate())).isNotEqualTo(hasher.hash(format.generate()));
  }

  @Test
  void hashingIsThreadSafe() throws Exception {
    KeyHasher hasher = new KeyHasher(PEPPER);
    List<String> keys = IntStream.range(0, 2000).mapToObj(i -> format.generate()).toList();
    List<KeyHash> sequential = keys.stream().map(hasher::hash).toList();
    List<KeyHash> parallel = keys.parallelStream().map(hasher::hash).toList();
    assertThat(parallel).isEqualTo(sequential);
  }

  @Test
  void aShortPepperIsRefused() {
    assertThatThrownBy(() -> new KeyHasher(new byte[15])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16 bytes");
  }

  @Test
  void hashIntoWritesTheSameBytes() throws Exception {
    KeyHasher hasher = new KeyHasher(null);
    String key = format.generate();
    byte[] out = new byte[KeyHash.LENGTH];
    hasher.hashInto(key, out);
    assertThat(out).isEqualTo(sha256(key));
  }
}
