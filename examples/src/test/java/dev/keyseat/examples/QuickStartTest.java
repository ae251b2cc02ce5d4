package dev.keyseat.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuickStartTest {

  @Test
  void theStoryRunsOnEmbeddedH2AndEndsWithAValidationRun() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    QuickStart.demo(Duration.ofMillis(300), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out)
        .contains("0. Embedded H2 database in ")
        .contains("5. License usage: 2 of 3 licenses used, 1 available")
        .contains("6. Manager refused: user:bob (MANAGER) may not manage keys")
        .contains("7. Validate the lobby key for AQ-1001: VALID; for AQ-1002: DEVICE_MISMATCH; a typo: MALFORMED")
        .containsPattern("8\\. Regenerated key_\\w+: old secret REVOKED, new secret VALID")
        .contains("9. Deleted the meeting-room key: 1 of 3 licenses used, 2 available; its secret is now UNKNOWN")
        .contains("10. The freed license went to the kitchen and warehouse monitors: [AQ-1003, AQ-1004]; "
            + "3 of 3 licenses used, 0 available")
        .contains("11. Validating the 3 live keys as a gateway would")
        .containsPattern("[\\d,]+ validations in [\\d.]+ s: [\\d,]+ validations per second, 0 refused")
        .contains("12. The validator counted usage")
        .doesNotContainPattern("12\\.[\\s\\S]*Kitchen .* never");
  }
}
