package dev.keyseat;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** The request is malformed; {@link #violations()} lists every problem found. Nothing changed. */
public final class InvalidRequestException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** Every violation found, in the order of the fields. */
  private final List<Violation> violations;

  /**
   * One problem with a request.
   *
   * @param field the offending field, e.g. {@code serials[2]}
   * @param message what is wrong with it
   */
  public record Violation(String field, String message) {
    /**
     * Checks that no component is null.
     *
     * @param field the offending field, e.g. {@code serials[2]}
     * @param message what is wrong with it
     */
    public Violation {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
      return field + " " + message;
    }
  }

  /** @param violations every problem found, at least one */
  public InvalidRequestException(List<Violation> violations) {
    super("invalid request: " + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("no violations");
    }
    this.violations = List.copyOf(violations);
  }

  /**
   * One violation.
   *
   * @param field the field or parameter at fault
   * @param message what was refused and what to do
   * @return the exception, with that one violation
   */
  public static InvalidRequestException of(String field, String message) {
    return new InvalidRequestException(List.of(new Violation(field, message)));
  }

  /** @return every problem found */
  public List<Violation> violations() {
    return violations;
  }
}
