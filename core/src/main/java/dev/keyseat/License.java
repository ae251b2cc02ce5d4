package dev.keyseat;

import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A license grant: what the operator sold an account, e.g. "10 licenses from 1 March for a year,
 * order 4711". The account's contracted total at an instant is the sum of the quantities of its
 * grants active at that instant ({@link #activeAt}); rules R1 and R3 read that total. Grants are
 * never deleted: an ended grant stays as history.
 *
 * @param id the grant's id
 * @param accountId the account it licenses
 * @param quantity licenses granted, 1 to {@link Account#MAX_LICENSES}
 * @param start first instant the licenses count
 * @param end first instant they no longer count, or null for an open-ended grant; not before {@code
 *     start} (equal to it for a grant ended before it started, which never counted)
 * @param reference free text such as an order number, possibly empty
 * @param createdBy who created it, e.g. {@code operator:ops}
 * @param createdAt when it was created
 * @param endApplied whether the account's over-limit strategy was applied for the end of this grant
 *     (written once by the platform when the end passes, or by the operator ending it; R9)
 */
public record License(LicenseId id, AccountId accountId, int quantity, Instant start, @Nullable Instant end,
    String reference, String createdBy, Instant createdAt, boolean endApplied) {

  /** Grants in the order they are listed: by start, then end (open-ended last), then id. */
  public static final Comparator<License> ORDER = Comparator.comparing(License::start)
      .thenComparing(License::end, Comparator.nullsLast(Comparator.naturalOrder()))
      .thenComparing(l -> l.id().value());

  /**
   * Checks the invariants of a grant.
   *
   * @param id the grant's id
   * @param accountId the account
   * @param quantity licenses granted, 1 to {@link Account#MAX_LICENSES}
   * @param start first instant the licenses count
   * @param end first instant they no longer count, or null for an open-ended grant; not before
   *     {@code start} (equal to it for a grant ended before it started, which never counted)
   * @param reference free text such as an order number, possibly empty
   * @param createdBy who created it, e.g. {@code operator:ops}
   * @param createdAt when it was created
   * @param endApplied whether the account's over-limit strategy was applied for the end of this
   *     grant (written once by the platform when the end passes, or by the operator ending it; R9)
   */
  public License {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(createdBy, "createdBy");
    Objects.requireNonNull(createdAt, "createdAt");
    if (quantity < 1 || quantity > Account.MAX_LICENSES) {
      throw new IllegalArgumentException("quantity must be between 1 and " + Account.MAX_LICENSES);
    }
    if (end != null && end.isBefore(start)) {
      throw new IllegalArgumentException("end must not be before start");
    }
  }

  /**
   * @param at an instant
   * @return whether the grant's licenses count at {@code at}: {@code start <= at < end}
   */
  public boolean activeAt(Instant at) {
    return !start.isAfter(at) && (end == null || at.isBefore(end));
  }

  /**
   * @param at an instant
   * @return whether the grant's end has passed at {@code at}
   */
  public boolean endedAt(Instant at) {
    return end != null && !at.isBefore(end);
  }

  /**
   * @param newEnd the new end, or null for open-ended
   * @return a copy with another end; the end counts as not yet applied
   */
  public License withEnd(@Nullable Instant newEnd) {
    return new License(id, accountId, quantity, start, newEnd, reference, createdBy, createdAt, false);
  }

  /** @return a copy whose end was applied (R9) */
  public License withEndApplied() {
    return new License(id, accountId, quantity, start, end, reference, createdBy, createdAt, true);
  }
}
