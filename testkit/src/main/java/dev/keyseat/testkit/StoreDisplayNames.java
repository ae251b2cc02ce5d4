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
      return storeClassName(enclosingInstanceTypes) + " › " + nested;
    }
    return nested;
  }

  /**
   * The store's test class as the run nests it: the outermost test class with the classes it
   * is declared in, then each enclosing instance's class. A suite declared in an abstract class
   * that a {@code @Nested} class per database extends is named after the database's class
   * ({@code JdbcSuitesTest.OnH2.KeyManagerContractTest}), not after the abstract one.
   */
  private static String storeClassName(List<Class<?>> enclosingInstanceTypes) {
    Class<?> outermost = enclosingInstanceTypes.get(0);
    StringBuilder name = new StringBuilder(outermost.getSimpleName());
    for (Class<?> outer = outermost.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass()) {
      name.insert(0, outer.getSimpleName() + ".");
    }
    for (Class<?> inner : enclosingInstanceTypes.subList(1, enclosingInstanceTypes.size())) {
      name.append('.').append(inner.getSimpleName());
    }
    return name.toString();
  }
}
