package dev.keyseat.testkit;

import java.util.List;
import java.util.function.Consumer;
import org.quicktheories.api.AsString;
import org.quicktheories.core.Configuration;
import org.quicktheories.core.Reporter;

/**
 * Reports a falsified quota property as a bug report: the seed, the failing command sequence
 * shrunk by {@link ScenarioShrinker} (only the commands up to the failing step), and the broken
 * invariant with the execution trace of that shrunk sequence.
 */
final class ScenarioReporter implements Reporter {
  private final Consumer<QuotaScenario> property;
  private final int shrinkBudget;

  /**
   * @param property runs one scenario on a fresh store, throwing when it fails
   * @param shrinkBudget most runs to spend shrinking
   */
  ScenarioReporter(Consumer<QuotaScenario> property, int shrinkBudget) {
    this.property = property;
    this.shrinkBudget = shrinkBudget;
  }

  @Override
  public void falisification(long seed, int examplesUsed, Object smallest, Throwable cause,
      List<Object> examples, AsString<Object> toString) {
    String nl = System.lineSeparator();
    String sequence;
    Throwable broken = cause;
    if (smallest instanceof QuotaScenario found) {
      ScenarioShrinker shrinker = new ScenarioShrinker(property, shrinkBudget);
      ScenarioShrinker.Failure best = shrinker.shrink(new ScenarioShrinker.Failure(found, cause));
      broken = best.cause();
      sequence = best.relevant() + nl + "  (shrunk from " + found.commands().size() + " commands in "
          + shrinker.runs() + " runs; later commands played no part)";
    } else {
      sequence = toString.asString(smallest);
    }
    // An invariant violation's own stack is the suite's; keep only what caused it, if anything.
    String message = broken instanceof InvariantViolation v ? v.getMessage() : "unexpected " + broken;
    Throwable reported = broken instanceof InvariantViolation ? broken.getCause() : broken;
    throw new AssertionError("Quota property falsified after " + examplesUsed + " sequence(s); seed " + seed
        + " (rerun with -D" + Configuration.SEED + "=" + seed + ")" + nl
        + "Smallest failing sequence: " + sequence + nl + nl + message, reported);
  }

  @Override
  public void falisification(long seed, int examplesUsed, Object smallest, List<Object> examples,
      AsString<Object> toString) {
    throw new AssertionError("Quota property falsified after " + examplesUsed + " sequence(s); seed " + seed
        + " (rerun with -D" + Configuration.SEED + "=" + seed + ")" + System.lineSeparator()
        + "Smallest failing sequence: " + toString.asString(smallest));
  }

  @Override
  public void valuesExhausted(int completedExamples) {
    throw new IllegalStateException("gave up after " + completedExamples + " sequences");
  }
}
