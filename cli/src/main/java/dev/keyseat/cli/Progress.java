package dev.keyseat.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of long work: on a terminal a bar redrawn in place with count, rate and ETA; otherwise
 * one plain line per step, which logs and CI output keep readable.
 */
final class Progress {
  /** How progress is shown. */
  enum Mode {
    /** A bar on a terminal, plain lines otherwise. */
    AUTO,
    /** A bar redrawn in place. */
    BAR,
    /** One line per step. */
    LINES,
    /** Nothing. */
    NONE
  }

  private static final int WIDTH = 30;
  private final PrintWriter out;
  private final String what;
  private final long total;
  private final Mode mode;
  private final LongSupplier nanos;
  private final long start;
  private long done;

  Progress(PrintWriter out, String what, long total, Mode mode, LongSupplier nanos) {
    this.out = out;
    this.what = what;
    this.total = total;
    this.mode = mode == Mode.AUTO ? (onTerminal() ? Mode.BAR : Mode.LINES) : mode;
    this.nanos = nanos;
    this.start = nanos.getAsLong();
  }

  /** @return the mode in effect (AUTO resolved) */
  Mode mode() {
    return mode;
  }

  /** Records {@code n} more items done and shows it. */
  void advance(long n) {
    done += n;
    if (mode == Mode.NONE) {
      return;
    }
    String line = line();
    if (mode == Mode.BAR) {
      out.print("\r" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends the bar's line. */
  void finish() {
    if (mode == Mode.BAR) {
      out.println();
      out.flush();
    }
  }

  /** @return e.g. {@code [#####.....] 12,000/50,000 keys 24% 1,234/s ETA 0:31} */
  String line() {
    double seconds = Math.max(1e-9, (nanos.getAsLong() - start) / 1e9);
    double rate = done / seconds;
    long percent = total == 0 ? 100 : done * 100 / total;
    String eta = rate <= 0 ? "?" : clock((long) Math.ceil((total - done) / rate));
    String counts = String.format(Locale.ROOT, "%,d/%,d %s %d%% %,.0f/s ETA %s", done, total, what, percent, rate, eta);
    if (mode != Mode.BAR) {
      return counts;
    }
    int filled = total == 0 ? WIDTH : (int) (done * WIDTH / total);
    return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + counts;
  }

  /** @return seconds as m:ss or h:mm:ss */
  static String clock(long seconds) {
    long h = seconds / 3600;
    long m = seconds / 60 % 60;
    long s = seconds % 60;
    return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
  }

  /** @return whether standard output is a terminal */
  @SuppressWarnings("SystemConsoleNull") // null is one answer; isTerminal() below is the other, on JDK 22+
  private static boolean onTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try { // JDK 22 and later return a console for redirected streams too, and answer isTerminal()
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before JDK 22 there is a console only on a terminal
    }
  }
}
