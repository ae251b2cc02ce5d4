package dev.keyseat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SecretTest {
  private static final String PLAINTEXT = "ks_4n9Qz7TfLm2Wc8Xv1Rb6Yd3Hk5Js0PgA1b2C3";

  @Test
  void aSecretsToStringIsRedacted() {
    Secret secret = Secret.of(PLAINTEXT);
    assertThat(secret.toString()).isEqualTo("Secret[redacted]").doesNotContain(PLAINTEXT);
    assertThat(String.valueOf(secret)).doesNotContain("4n9Qz7");
    assertThat(secret.reveal()).isEqualTo(PLAINTEXT);
  }

  @Test
  void secretsCompareByValueWithAConstantHashCode() {
    assertThat(Secret.of(PLAINTEXT)).isEqualTo(Secret.of(PLAINTEXT)).isNotEqualTo(Secret.of(PLAINTEXT + "x"));
    assertThat(Secret.of(PLAINTEXT).hashCode()).isEqualTo(Secret.of("other").hashCode());
    assertThat(Secret.of(PLAINTEXT)).isNotEqualTo(PLAINTEXT);
  }

  @Test
  void aNullSecretIsRefused() {
    assertThatThrownBy(() -> Secret.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void anIssuedKeysToStringShowsTheKeyButNotTheSecret() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    ApiKey row = new ApiKey(KeyId.of("key_AAAAAAAAAAAAAAAA"), AccountId.of("acme"), "AQ-1", "Lobby", "",
        "ks_..." + PLAINTEXT.substring(PLAINTEXT.length() - 4), now, null, null, null, 0, KeyStatus.ACTIVE);
    IssuedKey issued = new IssuedKey(row, Secret.of(PLAINTEXT));
    assertThat(issued.toString())
        .contains("key_AAAAAAAAAAAAAAAA", "AQ-1", "Secret[redacted]")
        .doesNotContain(PLAINTEXT)
        .doesNotContain(PLAINTEXT.substring(3, 20));
    assertThat(issued.secret().reveal()).isEqualTo(PLAINTEXT);
  }
}
