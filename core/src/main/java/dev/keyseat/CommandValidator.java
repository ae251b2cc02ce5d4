package dev.keyseat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.lang.reflect.RecordComponent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/** Jakarta Validation of commands plus hand checks, gathered into one list of violations. */
final class CommandValidator {
  private static final java.util.regex.Pattern CONTAINER_ELEMENT = java.util.regex.Pattern.compile("\\.<[a-z ]+>");
  /** Building a factory costs milliseconds and metadata; one serves every Keyseat in the JVM. */
  private static final ValidatorFactory FACTORY = Validation.byDefaultProvider()
      .configure()
      .messageInterpolator(new ParameterMessageInterpolator())
      .buildValidatorFactory();
  private final Validator validator;

  CommandValidator(Clock clock) {
    this.validator = FACTORY.usingContext().clockProvider(() -> clock).getValidator();
  }

  static final String UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired surrogates";

  /** @return whether every store can keep {@code s} as it is: no NUL, no unpaired surrogate */
  static boolean isStorable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\0' || Character.isLowSurrogate(ch)) {
        return false;
      }
      if (Character.isHighSurrogate(ch)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      }
    }
    return true;
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
      if (command instanceof Record record) {
        storableText(name, record);
      }
      return this;
    }

    /**
     * Text must be storable by every store: PostgreSQL refuses NUL characters, and an unpaired
     * surrogate cannot be encoded in UTF-8 (the driver would store '?' instead).
     */
    private void storableText(String name, Record record) {
      for (RecordComponent c : record.getClass().getRecordComponents()) {
        if (c.getType() != String.class) {
          continue;
        }
        Object value;
        try {
          value = c.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + name + "." + c.getName(), e);
        }
        if (value instanceof String s && !isStorable(s)) {
          add(name + "." + c.getName(), UNSTORABLE_MESSAGE);
        }
      }
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
