package dev.keyseat.testkit;

import java.util.List;

/**
 * A generated quota scenario: the licenses account {@code acme} starts with, then a sequence of
 * commands. Its {@code toString()} lists the commands one per line, numbered from 1, as the
 * failure report of {@link QuotaPropertiesContract} prints them.
 *
 * @param initialLicenses licenses {@code acme} is created with, zero or more
 * @param commands the steps, at least one
 */
public record QuotaScenario(int initialLicenses, List<QuotaCommand> commands) {

  /**
   * Checks and copies the components.
   *
   * @param initialLicenses licenses {@code acme} is created with, zero or more
   * @param commands the steps, at least one
   */
  public QuotaScenario {
    if (initialLicenses < 0) {
      throw new IllegalArgumentException("initialLicenses must be >= 0");
    }
    commands = List.copyOf(commands);
    if (commands.isEmpty()) {
      throw new IllegalArgumentException("a scenario has at least one command");
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder()
        .append("acme starts with ").append(initialLicenses)
        .append(" licenses, devices D0-D5, alice ADMIN, mona MANAGER, vic VIEWER; then ")
        .append(commands.size()).append(commands.size() == 1 ? " command:" : " commands:");
    for (int i = 0; i < commands.size(); i++) {
      sb.append(System.lineSeparator()).append(String.format("%4d. %s", i + 1, commands.get(i)));
    }
    return sb.toString();
  }
}
