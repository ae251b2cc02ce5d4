package dev.keyseat.testkit;

/** A named invariant of the quota suite does not hold; the message names it and tells the story. */
final class InvariantViolation extends AssertionError {
  private static final long serialVersionUID = 1L;
  private final String rule;
  private final int step;

  InvariantViolation(String rule, int step, String message, Throwable cause) {
    super(message, cause);
    this.rule = rule;
    this.step = step;
  }

  InvariantViolation(String rule, int step, String message) {
    super(message);
    this.rule = rule;
    this.step = step;
  }

  /** @return the step (from 1) after which the invariant was found broken; 0 for the setup */
  int step() {
    return step;
  }

  /** @return the invariant, e.g. {@code R1 quota} */
  String rule() {
    return rule;
  }
}
