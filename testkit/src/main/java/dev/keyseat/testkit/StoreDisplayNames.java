package dev.keyseat.testkit;

import java.util.List;
import org.junit.jupiter.api.DisplayNameGenerator;

/**
 * Names every suite run after the store's test class, nested classes included: the suite's
 * nested class {@code R1Quota} of {@code InMemoryKeyManagerContractTest} is reported as {@code
 * InMemoryKeyManagerContractTest › R1Quota}, not as {@code KeyManagerContract$R1Quota}, so two
 * stores tested in one build report separately; a nested class's {@link SuitePart} gives its
 * description. Every suite of the kit declares it; a {@link org.junit.jupiter.api.DisplayName} on
 * the store's class still wins. With Surefire 3, set {@code
 * usePhrasedFileName} and {@code usePhrasedTestSuiteClassName} of its {@code
 * statelessTestsetReporter} to name the report files and suites by these names (see the kit's
 * README).
 */
public class StoreDisplayNames extends DisplayNameGenerator.Standard {

  /** Creates the generator; JUnit calls it. */
  public StoreDisplayNames() {}

  @Override
  public String generateDisplayNameForNestedClass(List<Class<?>> enclosingInstanceTypes, Class<?> nestedClass) {
    SuitePart part = nestedClass.getAnnotation(SuitePart.class);
    String nested = part != null ? part.value()
        : super.generateDisplayNameForNestedClass(enclosingInstanceTypes, nestedClass);
    if (enclosingInstanceTypes.isEmpty()) {
      return nested;
    }
    // the runtime type of the enclosing instance is the store's subclass, not the abstract suite
    Class<?> store = enclosingInstanceTypes.get(enclosingInstanceTypes.size() - 1);
    if (nestedClass.getEnclosingClass() != null && nestedClass.getEnclosingClass().isAssignableFrom(store)
        && nestedClass.getEnclosingClass() != store) {
      return storeClassName(store) + " › " + nested;
    }
    return nested;
  }

  private static String storeClassName(Class<?> c) {
    String name = c.getSimpleName();
    for (Class<?> outer = c.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass()) {
      name = outer.getSimpleName() + "." + name;
    }
    return name;
  }
}
