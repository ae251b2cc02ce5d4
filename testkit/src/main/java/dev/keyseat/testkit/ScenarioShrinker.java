package dev.keyseat.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Shrinks a failing scenario by deleting commands (delta debugging over the command list) and by
 * lowering the initial licenses, keeping only changes after which the same invariant still
 * breaks. Commands refer to keys relative to the newest one, so a shorter sequence still makes
 * sense. Each attempt runs the scenario on a fresh store.
 */
final class ScenarioShrinker {
  private final Consumer<QuotaScenario> property;
  private final int budget;
  private int runs;

  /**
   * @param property runs a scenario, throwing when it fails
   * @param budget most runs to spend
   */
  ScenarioShrinker(Consumer<QuotaScenario> property, int budget) {
    this.property = property;
    this.budget = budget;
  }

  /** A failing scenario and how it failed. */
  record Failure(QuotaScenario scenario, Throwable cause) {
    String rule() {
      return cause instanceof InvariantViolation v ? v.rule() : cause.getClass().getName();
    }

    /** @return the scenario without the commands after the failing step */
    QuotaScenario relevant() {
      if (cause instanceof InvariantViolation v && v.step() >= 1 && v.step() < scenario.commands().size()) {
        return new QuotaScenario(scenario.initialLicenses(), scenario.commands().subList(0, v.step()));
      }
      return scenario;
    }
  }

  /** @return runs spent so far */
  int runs() {
    return runs;
  }

  /** @return the smallest failure found that breaks the same invariant as {@code failure} */
  Failure shrink(Failure failure) {
    String rule = failure.rule();
    Failure best = retry(failure.relevant(), rule);
    if (best == null) {
      return failure; // not reproducible: report it as found
    }
    boolean progress = true;
    while (progress && runs < budget) {
      progress = false;
      List<QuotaCommand> commands = best.relevant().commands();
      for (int chunk = Math.max(1, commands.size() / 2); chunk >= 1 && runs < budget; chunk /= 2) {
        int start = 0;
        while (start < commands.size() && runs < budget) {
          List<QuotaCommand> fewer = new ArrayList<>(commands.subList(0, start));
          fewer.addAll(commands.subList(Math.min(commands.size(), start + chunk), commands.size()));
          Failure f = fewer.isEmpty() ? null : retry(new QuotaScenario(best.scenario().initialLicenses(), fewer), rule);
          if (f != null) {
            best = f;
            commands = f.relevant().commands();
            progress = true;
          } else {
            start += chunk;
          }
        }
      }
    }
    for (int licenses = 0; licenses < best.scenario().initialLicenses() && runs < budget; licenses++) {
      Failure f = retry(new QuotaScenario(licenses, best.relevant().commands()), rule);
      if (f != null) {
        best = f;
        break;
      }
    }
    return best;
  }

  /** @return the failure if {@code scenario} breaks {@code rule}, else null */
  private @Nullable Failure retry(QuotaScenario scenario, String rule) {
    runs++;
    try {
      property.accept(scenario);
      return null;
    } catch (RuntimeException | AssertionError t) {
      Failure f = new Failure(scenario, t);
      return f.rule().equals(rule) ? f : null;
    }
  }
}
