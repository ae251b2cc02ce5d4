package dev.keyseat.testkit;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A per-part difference of two states (records of records and lists), for failure messages that
 * say which collection and which element differ instead of printing two whole snapshots.
 */
final class StateDiff {

  private StateDiff() {}

  /**
   * Fails with one line per differing part ({@code acme.keys[1]: expected … but was …}) unless the
   * two states are equal.
   *
   * @param rule what the equality checks, in the rule's words
   * @param expected the state expected
   * @param actual the state found
   */
  static void assertSame(String rule, Object expected, Object actual) {
    if (Objects.equals(expected, actual)) {
      return;
    }
    List<String> lines = new ArrayList<>();
    diff("state", expected, actual, lines);
    throw new AssertionError("[" + rule + "] the state differs in " + lines.size() + " part(s):\n  "
        + String.join("\n  ", lines));
  }

  private static void diff(String path, Object a, Object b, List<String> out) {
    if (Objects.equals(a, b)) {
      return;
    }
    if (a instanceof Optional<?> oa && b instanceof Optional<?> ob && oa.isPresent() && ob.isPresent()) {
      diff(path, oa.get(), ob.get(), out);
    } else if (a instanceof List<?> la && b instanceof List<?> lb) {
      int n = Math.min(la.size(), lb.size());
      for (int i = 0; i < n; i++) {
        diff(path + "[" + i + "]", la.get(i), lb.get(i), out);
      }
      if (la.size() != lb.size()) {
        out.add(path + ": expected " + la.size() + " elements but was " + lb.size()
            + (lb.size() > la.size() ? ", extra " + lb.subList(n, lb.size()) : ", missing " + la.subList(n, la.size())));
      }
    } else if (a != null && b != null && a.getClass().isRecord() && a.getClass() == b.getClass()) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        try {
          c.getAccessor().setAccessible(true);
          diff(path + "." + c.getName(), c.getAccessor().invoke(a), c.getAccessor().invoke(b), out);
        } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
          out.add(path + ": expected " + a + " but was " + b);
          return;
        }
      }
    } else {
      out.add(path + ": expected " + a + " but was " + b);
    }
  }
}
