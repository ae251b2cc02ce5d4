package dev.keyseat;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.jspecify.annotations.Nullable;

/**
 * Free text an administrator sees in a table (account, device and model names, key labels): shown
 * as it reads, so nothing in it may make it read otherwise. Refused:
 *
 * <ul>
 *   <li>bidirectional controls: U+202A–U+202E (embeddings and overrides), U+2066–U+2069 (isolates),
 *       U+200E, U+200F and U+061C (marks), which reorder what follows, e.g. {@code "invoice\u202Etxt.exe"};
 *   <li>invisible characters: U+200B, U+200C, U+2060, U+FEFF, and U+200D (zero-width joiner) except
 *       inside an emoji sequence, i.e. after an emoji, skin tone or U+FE0F and before an emoji;
 *   <li>control characters other than tab (ESC, newlines, DEL, U+0080–U+009F) and the line and
 *       paragraph separators U+2028 and U+2029;
 *   <li>text that is not empty but only spaces (any Unicode space).
 * </ul>
 *
 * Tabs and ordinary Unicode text (accents, CJK, emoji, including ZWJ sequences such as 👩‍💻) are kept.
 * Null passes ({@code @NotNull} says whether it is allowed); empty text passes unless {@link #required()}.
 */
@Documented
@Constraint(validatedBy = FreeText.Check.class)
@Target({ElementType.FIELD, ElementType.RECORD_COMPONENT})
@Retention(RetentionPolicy.RUNTIME)
@interface FreeText {
  /** @return the message when the text is refused (replaced by one naming the character found) */
  String message() default "must be readable text";

  /** @return whether the text must not be empty (nor only spaces) */
  boolean required() default false;

  /** @return validation groups */
  Class<?>[] groups() default {};

  /** @return payload */
  Class<? extends Payload>[] payload() default {};

  /** The Jakarta Validation side of {@link FreeText}. */
  final class Check implements ConstraintValidator<FreeText, String> {
    /**
     * @param text the text
     * @param required whether empty text is refused
     * @return what is wrong with it, as a message an administrator can be shown, or null if nothing
     */
    static @Nullable String problem(String text, boolean required) {
      if (text.isEmpty()) {
        return required ? Constraints.NOT_BLANK_MESSAGE : null;
      }
      boolean onlySpaces = true;
      int previous = -1;
      for (int i = 0; i < text.length(); ) {
        int cp = text.codePointAt(i);
        int next = i + Character.charCount(cp) < text.length() ? text.codePointAt(i + Character.charCount(cp)) : -1;
        String kind = refused(cp, previous, next);
        if (kind != null) {
          return String.format("must not contain U+%04X (%s); remove it (it may be invisible)", cp, kind);
        }
        onlySpaces &= cp == '\t' || Character.isWhitespace(cp) || Character.isSpaceChar(cp);
        previous = cp;
        i += Character.charCount(cp);
      }
      return onlySpaces ? Constraints.NOT_BLANK_MESSAGE : null;
    }

    private static @Nullable String refused(int cp, int previous, int next) {
      if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F
          || cp == 0x061C) {
        return "a bidirectional control character";
      }
      if (cp == 0x200D) {
        return emojiBefore(previous) && isEmoji(next) ? null : "an invisible zero-width joiner outside an emoji";
      }
      if (cp == 0x200B || cp == 0x200C || cp == 0x2060 || cp == 0xFEFF) {
        return "an invisible zero-width character";
      }
      if (cp == 0x2028 || cp == 0x2029) {
        return "a line or paragraph separator";
      }
      if (Character.getType(cp) == Character.CONTROL && cp != '\t') {
        return cp == '\n' || cp == '\r' || cp == 0x85 ? "a line break" : "a control character";
      }
      return null;
    }

    private static boolean emojiBefore(int cp) {
      return isEmoji(cp) || cp == 0xFE0F || Character.getType(cp) == Character.MODIFIER_SYMBOL;
    }

    private static boolean isEmoji(int cp) {
      return cp > 0x7F && Character.getType(cp) == Character.OTHER_SYMBOL;
    }

    private boolean required;

    @Override
    public void initialize(FreeText annotation) {
      required = annotation.required();
    }

    @Override
    public boolean isValid(@Nullable String value, ConstraintValidatorContext context) {
      String problem = value == null ? null : problem(value, required);
      if (problem == null) {
        return true;
      }
      context.disableDefaultConstraintViolation();
      context.buildConstraintViolationWithTemplate(problem).addConstraintViolation();
      return false;
    }
  }
}
