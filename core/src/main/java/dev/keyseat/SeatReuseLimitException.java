package dev.keyseat;

import java.time.Instant;

/**
 * The account's seat reuse limit ({@link LicensePolicy#limitReassignments}) refuses to give freed
 * licenses to new keys now. Nothing was created; {@link #nextReassignmentAt()} says when the next
 * reassignment is allowed.
 */
public final class SeatReuseLimitException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** When the next reassignment of a freed license is allowed. */
  private final Instant nextReassignmentAt;

  /**
   * @param message what was refused and when to try again
   * @param nextReassignmentAt when the next reassignment is allowed
   */
  public SeatReuseLimitException(String message, Instant nextReassignmentAt) {
    super(message);
    this.nextReassignmentAt = nextReassignmentAt;
  }

  /** @return when the next reassignment of a freed license is allowed */
  public Instant nextReassignmentAt() {
    return nextReassignmentAt;
  }
}
