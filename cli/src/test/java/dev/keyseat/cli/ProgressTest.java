package dev.keyseat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final StringWriter text = new StringWriter();

  @Test
  void onATerminalABarIsRedrawnInPlaceWithRateAndEta() {
    assertThat(draw(Progress.Mode.BAR, 50_000, 2_000_000_000L, 10_000, 10_000)).isEqualTo(
        "\r[######........................] 10,000/50,000 keys 20% 5,000/s ETA 0:08"
            + "\r[############..................] 20,000/50,000 keys 40% 5,000/s ETA 0:06" + System.lineSeparator());
  }

  @Test
  void elsewhereEachStepIsOnePlainLine() {
    assertThat(draw(Progress.Mode.LINES, 3_000, 500_000_000L, 1_000, 2_000).lines()).containsExactly(
        "1,000/3,000 keys 33% 2,000/s ETA 0:01", "3,000/3,000 keys 100% 3,000/s ETA 0:00");
  }

  /** @return what a progress of {@code total} keys prints for the steps, each {@code stepNanos} after the last */
  private String draw(Progress.Mode mode, long total, long stepNanos, int... steps) {
    Progress p = new Progress(new PrintWriter(text), "keys", total, mode, nanos::get);
    for (int keys : steps) {
      nanos.addAndGet(stepNanos);
      p.advance(keys);
    }
    p.finish();
    return text.toString();
  }

  @Test
  void autoDrawsNoBarWithoutATerminal() {
    // the test JVM's output is not a terminal
    assertThat(new Progress(new PrintWriter(text), "keys", 1, Progress.Mode.AUTO, nanos::get).mode())
        .isEqualTo(System.console() == null ? Progress.Mode.LINES : Progress.Mode.BAR);
  }

  @Test
  void longEtasShowHours() {
    assertThat(Progress.clock(3 * 3600 + 25 * 60 + 7)).isEqualTo("3:25:07");
    assertThat(Progress.clock(59)).isEqualTo("0:59");
  }
}
