package dev.keyseat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/** Jakarta Validation of commands plus hand checks, gathered into one list of violations. */
final class CommandValidator {
  private static final java.util.regex.Pattern CONTAINER_ELEMENT = java.util.regex.Pattern.compile("\\.<[a-z ]+>");
  private final Validator validator;

  CommandValidator(Clock clock) {
    this.validator = Validation.byDefaultProvider()
        .configure()
        .messageInterpolator(new ParameterMessageInterpolator())
        .clockProvider(() -> clock)
        .buildValidatorFactory()
        .getValidator();
  }

  /** Collects violations for one request. */
  Violations start() {
    return new Violations();
  }

  final class Violations {
    private final List<InvalidRequestException.Violation> found = new ArrayList<>();

    /** Validates a command bean; a null command is itself a violation. */
    Violations bean(String name, Object command) {
      if (command == null) {
        return add(name, "must not be null");
      }
      List<ConstraintViolation<Object>> violations = new ArrayList<>(validator.validate(command));
      violations.sort(Comparator.comparing(v -> v.getPropertyPath().toString()));
      for (ConstraintViolation<Object> v : violations) {
        // "serials[2].<list element>" -> "serials[2]": name the element, as Violation documents
        String path = CONTAINER_ELEMENT.matcher(v.getPropertyPath().toString()).replaceAll("");
        found.add(new InvalidRequestException.Violation(name + "." + path, v.getMessage()));
      }
      return this;
    }

    Violations notNull(String field, Object value) {
      return check(value != null, field, "must not be null");
    }

    Violations check(boolean ok, String field, String message) {
      if (!ok) {
        add(field, message);
      }
      return this;
    }

    Violations add(String field, String message) {
      found.add(new InvalidRequestException.Violation(field, message));
      return this;
    }

    boolean ok() {
      return found.isEmpty();
    }

    /** @throws InvalidRequestException listing every violation, if any */
    void throwIfAny() {
      if (!found.isEmpty()) {
        throw new InvalidRequestException(found);
      }
    }
  }
}
