package dev.keyseat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretVaultTest {
  private static final String SECRET = "ks_4n9Qz7TfLm2Wc8Xv1Rb6Yd3Hk5Js0PgA1b2C3";
  private static final KeyId KEY = KeyId.of("key_AAAAAAAAAAAAAAAA");
  private static final KeyId OTHER_KEY = KeyId.of("key_BBBBBBBBBBBBBBBB");

  private static SecretKey aes(int bits) throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES");
    g.init(bits);
    return g.generateKey();
  }

  private static String everythingAbout(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  @ParameterizedTest
  @ValueSource(ints = {128, 192, 256})
  void aSealedSecretOpensToTheSameSecret(int bits) throws Exception {
    SecretVault vault = SecretVault.aesGcm(aes(bits));
    byte[] sealed = vault.seal(KEY, SECRET);
    assertThat(vault.open(KEY, sealed)).isEqualTo(SECRET);
  }

  @Test
  void sealedBytesDoNotContainThePlaintextAndDifferEachTime() throws Exception {
    SecretVault vault = SecretVault.aesGcm(aes(256));
    byte[] a = vault.seal(KEY, SECRET);
    byte[] b = vault.seal(KEY, SECRET);
    assertThat(a).isNotEqualTo(b);
    String asText = new String(a, StandardCharsets.ISO_8859_1);
    assertThat(asText).doesNotContain(SECRET).doesNotContain(SECRET.substring(3, 20));
    assertThat(a.length).isEqualTo(12 + SECRET.length() + 16);
  }

  @Test
  void aTamperedSecretFailsWithoutLeakingIt() throws Exception {
    SecretVault vault = SecretVault.aesGcm(aes(256));
    byte[] sealed = vault.seal(KEY, SECRET);
    for (int i = 0; i < sealed.length; i++) {
      byte[] tampered = sealed.clone();
      tampered[i] ^= 0x01;
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> vault.open(KEY, tampered));
      assertThat(thrown).as("byte %d", i).isInstanceOf(IllegalStateException.class);
      assertThat(everythingAbout(thrown)).doesNotContain(SECRET).doesNotContain(SECRET.substring(3, 20));
    }
  }

  @Test
  void aTruncatedOrEmptySealedSecretFailsAsTampered() throws Exception {
    SecretVault vault = SecretVault.aesGcm(aes(128));
    byte[] sealed = vault.seal(KEY, SECRET);
    for (int n : new int[] {0, 1, 11, 12, 20, sealed.length - 1}) {
      byte[] cut = Arrays.copyOf(sealed, n);
      assertThatThrownBy(() -> vault.open(KEY, cut)).as("length %d", n)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(KEY.value())
          .hasMessageNotContaining(SECRET);
    }
  }

  @Test
  void aSecretSealedForAnotherKeyIdDoesNotOpen() throws Exception {
    SecretVault vault = SecretVault.aesGcm(aes(256));
    byte[] sealed = vault.seal(KEY, SECRET);
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> vault.open(OTHER_KEY, sealed));
    assertThat(thrown).isInstanceOf(IllegalStateException.class);
    assertThat(everythingAbout(thrown)).doesNotContain(SECRET);
  }

  @Test
  void aSecretSealedUnderAnotherVaultKeyDoesNotOpen() throws Exception {
    byte[] sealed = SecretVault.aesGcm(aes(256)).seal(KEY, SECRET);
    SecretVault other = SecretVault.aesGcm(aes(256));
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> other.open(KEY, sealed));
    assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be opened");
    assertThat(everythingAbout(thrown)).doesNotContain(SECRET);
  }

  @Test
  void onlyAesKeysAreAccepted() {
    assertThatThrownBy(() -> SecretVault.aesGcm(new SecretKeySpec(new byte[32], "HmacSHA256")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AES");
    assertThatThrownBy(() -> SecretVault.aesGcm(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void theVaultsToStringRevealsNoKeyMaterial() throws Exception {
    SecretKey key = aes(128);
    String text = SecretVault.aesGcm(key).toString();
    assertThat(text).isEqualTo("SecretVault[AES-GCM]");
  }
}
