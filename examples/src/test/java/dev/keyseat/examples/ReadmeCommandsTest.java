package dev.keyseat.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import dev.keyseat.examples.ReadmeCommands.Child;
import dev.keyseat.examples.ReadmeCommands.ReadmeCommand;

/**
 * Every command of the README's "Examples" table for {@code -pl examples}, started as a user would
 * start it (rows of examples-spring-gateway run in that module's own test): the table is
 * read from {@code ../README.md} on each run, so that a command added there or changed is tested
 * too. Each program runs in a child JVM on the module's <em>runtime</em> class path (what
 * {@code exec:java} uses, written by maven-dependency-plugin to {@code target/runtime-classpath.txt}),
 * never on the test class path, which would hide a dependency the examples only get in test
 * scope. Servers listen on a free port (port 0) instead of the README's fixed one; the load driver
 * runs with short phases.
 */
class ReadmeCommandsTest {

  /** Bounds of every wait; they only matter when something is broken. */
  private static final Duration RUN_TO_END = Duration.ofSeconds(45);

  /** How each example is started and checked, by main class. */
  private static final Map<String, Probe> PROBES = Map.of(
      "dev.keyseat.examples.QuickStart", ReadmeCommandsTest::probeQuickStart,
      "dev.keyseat.examples.cluster.ClusterDemo", ReadmeCommandsTest::probeClusterDemo);

  @TestFactory
  Stream<DynamicTest> everyExampleCommandOfTheReadmeStartsAndAnswers() throws IOException {
    List<ReadmeCommand> commands = ReadmeCommands.commandsOf("examples");
    assertThat(commands).as("example commands of -pl examples in %s's \"## Examples\" table", ReadmeCommands.README)
        .isNotEmpty();
    return commands.stream().map(c -> dynamicTest(c.displayName(), () -> probe(c)));
  }

  @Test
  void theTableParserFindsMainClassAndArgumentsInEachShellForm() {
    String readme = """
        # Title

        ## Examples

        | example | command |
        |---|---|
        | Default main, `GET /x` in prose | `mvn -B -q compile exec:java -pl examples -am` |
        | Quoted | `mvn -B compile exec:java -pl examples -am -Dexec.mainClass=a.B -Dexec.args="5 4"` |
        | Unquoted | `mvn exec:java -pl examples -Dexec.args=9090 -Dexec.mainClass=c.D` |
        | Other module | `mvn -B -q compile exec:java -pl examples-spring-gateway -am -Dexec.args=8081` |

        Prose with `-Dexec.args="8081 6"` is not a command.

        ## Next
        | other | `mvn exec:java -pl examples -Dexec.mainClass=not.Examples` |
        """;

    assertThat(ReadmeCommands.readmeCommands(readme, module -> "x.Default." + module))
        .extracting(ReadmeCommand::module, ReadmeCommand::mainClass, ReadmeCommand::args)
        .containsExactly(
            tuple("examples", "x.Default.examples", List.of()),
            tuple("examples", "a.B", List.of("5", "4")),
            tuple("examples", "c.D", List.of("9090")),
            tuple("examples-spring-gateway", "x.Default.examples-spring-gateway", List.of("8081")));
  }

  @Test
  void aTableRowThatIsNotAnExamplesExecCommandIsRefused() {
    String readme = """
        ## Examples
        | example | command |
        |---|---|
        | A jar | `java -jar examples/target/keyseat-examples.jar` |
        """;

    assertThatThrownBy(() -> ReadmeCommands.readmeCommands(readme, module -> "x.Default"))
        .hasMessageContaining("A jar")
        .hasMessageContaining("mvn … exec:java -pl examples");
    String otherModule = readme.replace("`java -jar examples/target/keyseat-examples.jar`",
        "`mvn exec:java -pl spi-jdbc`");
    assertThatThrownBy(() -> ReadmeCommands.readmeCommands(otherModule, module -> "x.Default"))
        .hasMessageContaining("-pl spi-jdbc").hasMessageContaining("examples-spring-gateway");
  }

  @Test
  void aCommandWhoseMainClassHasNoProbeFailsNamingIt() {
    ReadmeCommand unknown = new ReadmeCommand("mvn exec:java -pl examples -Dexec.mainClass=dev.keyseat.examples.New",
        "examples", "dev.keyseat.examples.New", List.of());

    assertThatThrownBy(() -> probe(unknown))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("dev.keyseat.examples.New")
        .hasMessageContaining("no probe");
  }

  // ---------------------------------------------------------------- probes

  @FunctionalInterface
  private interface Probe {
    void check(ReadmeCommandsTest test, ReadmeCommand command) throws Exception;
  }

  private void probe(ReadmeCommand command) throws Exception {
    Probe probe = PROBES.get(command.mainClass());
    if (probe == null) {
      fail("README.md's Examples table runs %s (`%s`), but ReadmeCommandsTest has no probe for that main "
          + "class: add one to PROBES that starts it and checks that it answers", command.mainClass(),
          command.text());
    }
    probe.check(this, command);
  }

  /** The story on embedded H2: ends by itself, exit status 0, each step's line printed. */
  private void probeQuickStart(ReadmeCommand command) throws Exception {
    try (Child child = Child.start(command.mainClass(), command.args())) {
      child.awaitExit(0, RUN_TO_END);
      assertThat(child.stdout())
          .as(child.describe())
          .contains("0. Embedded H2 database in ")
          .contains("5. License usage: 2 of 3 licenses used, 1 available")
          .contains("6. Manager refused: user:bob (MANAGER) may not manage keys")
          .contains("7. Validate the lobby key for AQ-1001: VALID; for AQ-1002: DEVICE_MISMATCH; a typo: MALFORMED")
          .containsPattern("8\\. Regenerated key_\\w+: old secret REVOKED, new secret VALID")
          .contains("10. The freed license went to the kitchen and warehouse monitors: [AQ-1003, AQ-1004]")
          .containsPattern("[\\d,]+ validations in [\\d.]+ s: [\\d,]+ validations per second, 0 refused")
          .contains("12. The validator counted usage");
    }
  }

  /** The cluster story on an embedded PostgreSQL: ends by itself, exit status 0, each step narrated. */
  private void probeClusterDemo(ReadmeCommand command) throws Exception {
    try (Child child = Child.start(command.mainClass(), command.args())) {
      child.awaitExit(0, RUN_TO_END.multipliedBy(2));
      assertThat(child.stdout())
          .as(child.describe())
          .containsPattern("0\\. Embedded PostgreSQL on 127\\.0\\.0\\.1:\\d+")
          .contains("2. Key created on the management node: gateway A says VALID, gateway B says VALID")
          .containsPattern("3\\. Deleted on the management node: refused by both gateways within [\\d.]+ ms"
              + " \\(A UNKNOWN, B UNKNOWN")
          .contains("A:VALID, B:VALID, A:VALID, B:VALID, A:VALID, B:VALID, A:RATE_LIMITED")
          .containsPattern("5\\. The 7th request \\(gateway A\\) is RATE_LIMITED, retry after \\d+ s; the other"
              + " gateway also says RATE_LIMITED")
          .containsPattern("6\\. Gateway B cut off from the database: its rate-limited validator says UNAVAILABLE"
              + " at once .* says VALID from its cache, then UNAVAILABLE \\(fail closed\\) after \\d+ ms"
              + " \\(maxStaleness 2000 ms\\); gateway A says VALID")
          .containsPattern("7\\. Connection restored: gateway B recovered by itself after \\d+ ms and says VALID")
          .contains("8. Done");
    }
  }
}
