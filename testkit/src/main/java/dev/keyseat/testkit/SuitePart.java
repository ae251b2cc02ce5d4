package dev.keyseat.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes a nested class of a suite in the rule's words. {@link StoreDisplayNames} reports it
 * after the store's test class ({@code InMemoryKeyManagerContractTest › R1 quota: …}), which a
 * {@link org.junit.jupiter.api.DisplayName} could not: JUnit would show it without the store.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface SuitePart {
  /** @return what the nested class checks */
  String value();
}
