package dev.keyseat.testkit;

import dev.keyseat.validation.Verdict.Status;

/**
 * The descriptions the suites give their assertions, in the rules' words, so that a failure says
 * which rule broke ("[R6 regenerate: the verdict of k's secret ...] expected: REVOKED but was:
 * VALID") instead of a bare comparison.
 */
final class RuleWords {
  /** R3 for a {@code LicenseUsage} comparison. */
  static final String USAGE = "R3 conservation: used / available / total licenses of the account"
      + " (available = total - used, total = the grants active now)";

  private RuleWords() {}

  /**
   * @param key how the test names the presented secret
   * @param expected the verdict the rule demands
   * @return the description of a verdict check, naming the rule that demands {@code expected}
   */
  static String verdict(String key, Status expected) {
    String what = "the verdict of " + key;
    return switch (expected) {
      case VALID -> "R5/R6 live keys validate: " + what + " (a live key's current secret, or its previous one"
          + " within the overlap, is VALID)";
      case UNKNOWN -> "R5 delete frees: " + what + " (a deleted key's secrets, and secrets never issued, are UNKNOWN)";
      case REVOKED -> "R6 regenerate: " + what + " (a secret replaced by a regeneration is REVOKED once its overlap"
          + " is over)";
      case SUSPENDED -> "R7/R9 suspend: " + what + " (a suspended key is SUSPENDED)";
      case EXPIRED -> "R7 edit: " + what + " (a key past its expiry is EXPIRED)";
      case DEVICE_MISMATCH -> "R2 one key per device: " + what + " (a key presented for another device than its own"
          + " is DEVICE_MISMATCH)";
      case UNAVAILABLE -> "fail closed: " + what + " (past the maximum staleness, or with the store down, the verdict"
          + " is UNAVAILABLE)";
      case MALFORMED -> "key format: " + what + " (an input of the wrong shape or checksum is MALFORMED, with no"
          + " lookup)";
      case RATE_LIMITED -> "rate limit: " + what + " (past the key's limit the verdict is RATE_LIMITED)";
    };
  }
}
