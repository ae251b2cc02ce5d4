package dev.keyseat.internal;

import org.jspecify.annotations.Nullable;

/** The null checks of the domain records' compact constructors, in one line per record. */
public final class Require {
  private Require() {}

  /**
   * Checks that no value is null.
   *
   * @param names the components' names, separated by ", ", in the order of {@code values}
   * @param values the components
   * @throws NullPointerException naming the first null component
   */
  public static void nonNull(String names, @Nullable Object... values) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        throw new NullPointerException(names.split(", ", -1)[i]);
      }
    }
  }
}
