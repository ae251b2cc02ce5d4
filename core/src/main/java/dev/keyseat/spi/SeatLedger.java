package dev.keyseat.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the seat reuse limit ({@code LicensePolicy.limitReassignments}) remembers of an account:
 * how many licenses deleting keys freed that no new key took since, and when freed licenses were
 * given to new keys. Kept by the store, interpreted only by {@code KeyManager}.
 *
 * @param freedSeats licenses freed by deleting keys and not reassigned since, never negative
 * @param reassignments when each reassignment happened (one entry per license reassigned), oldest
 *     first; core keeps only those that still count
 */
public record SeatLedger(int freedSeats, List<Instant> reassignments) {
  /** Nothing freed, nothing reassigned. */
  public static final SeatLedger EMPTY = new SeatLedger(0, List.of());

  /**
   * Checks and copies the components.
   *
   * @param freedSeats licenses freed by deleting keys and not reassigned since, never negative
   * @param reassignments when each reassignment happened (one entry per license reassigned), oldest
   *     first; core keeps only those that still count
   */
  public SeatLedger {
    if (freedSeats < 0) {
      throw new IllegalArgumentException("freedSeats must be >= 0");
    }
    reassignments = List.copyOf(Objects.requireNonNull(reassignments, "reassignments"));
  }
}
