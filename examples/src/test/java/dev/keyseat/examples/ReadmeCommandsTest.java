package dev.keyseat.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every command of the README's "Examples" table, started as a user would start it: the table is
 * read from {@code ../README.md} on each run, so that a command added there or changed is tested
 * too. Each program runs in a child JVM on the module's <em>runtime</em> class path (what
 * {@code exec:java} uses, written by maven-dependency-plugin to {@code target/runtime-classpath.txt}),
 * never on the test class path, which would hide a dependency the examples only get in test
 * scope. Servers listen on a free port (port 0) instead of the README's fixed one; the load driver
 * runs with short phases.
 */
class ReadmeCommandsTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path POM = Path.of("pom.xml");
  private static final Path RUNTIME_CLASSPATH = Path.of("target", "runtime-classpath.txt");
  private static final Path CLASSES = Path.of("target", "classes");
  private static final Path LOGS = Path.of("target", "readme-commands");

  /** Bounds of every wait; they only matter when something is broken. */
  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration RUN_TO_END = Duration.ofSeconds(45);
  private static final Duration STOP = Duration.ofSeconds(10);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);

  private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
  private static final Pattern KEY_SHAPE = Pattern.compile("\\bks_[0-9A-Za-z]{20,}");

  /** How each example is started and checked, by main class. */
  private static final Map<String, Probe> PROBES = Map.of(
      "dev.keyseat.examples.QuickStart", ReadmeCommandsTest::probeQuickStart,
      "dev.keyseat.examples.gateway.DeviceDataGateway", ReadmeCommandsTest::probeGateway,
      "dev.keyseat.examples.portal.AdminPortal", ReadmeCommandsTest::probePortal,
      "dev.keyseat.examples.gateway.GatewayLoadDriver", ReadmeCommandsTest::probeLoadDriver);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();

  @TestFactory
  Stream<DynamicTest> everyExampleCommandOfTheReadmeStartsAndAnswers() throws IOException {
    List<ReadmeCommand> commands = readmeCommands(Files.readString(README), defaultMainClass());
    assertThat(commands).as("example commands in %s's \"## Examples\" table", README).isNotEmpty();
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

        Prose with `-Dexec.args="8081 6"` is not a command.

        ## Next
        | other | `mvn exec:java -pl examples -Dexec.mainClass=not.Examples` |
        """;

    assertThat(readmeCommands(readme, "x.Default"))
        .extracting(ReadmeCommand::mainClass, ReadmeCommand::args)
        .containsExactly(
            tuple("x.Default", List.of()),
            tuple("a.B", List.of("5", "4")),
            tuple("c.D", List.of("9090")));
  }

  @Test
  void aTableRowThatIsNotAnExamplesExecCommandIsRefused() {
    String readme = """
        ## Examples
        | example | command |
        |---|---|
        | A jar | `java -jar examples/target/keyseat-examples.jar` |
        """;

    assertThatThrownBy(() -> readmeCommands(readme, "x.Default"))
        .hasMessageContaining("A jar")
        .hasMessageContaining("mvn … exec:java -pl examples");
  }

  @Test
  void aCommandWhoseMainClassHasNoProbeFailsNamingIt() {
    ReadmeCommand unknown = new ReadmeCommand("mvn exec:java -pl examples -Dexec.mainClass=dev.keyseat.examples.New",
        "dev.keyseat.examples.New", List.of());

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

  /**
   * The gateway ({@code [port [perHour]]}) on a free port: the printed key answers 200 on the
   * printed URL, the same key with a typo 401, the key on another device's URL 403.
   */
  private void probeGateway(ReadmeCommand command) throws Exception {
    List<String> args = withFreePort(command, 2);
    try (Child child = Child.start(command.mainClass(), args)) {
      URI base = URI.create(child.awaitLine(Pattern.compile("gateway on (http://\\S+)"), STARTUP).group(1));
      String key = child.awaitLine(Pattern.compile("Demo key for AQ-1001 \\(shown once\\): (\\S+)"), STARTUP).group(1);

      HttpResponse<String> ok = get(URI.create(base + "/last-measurements/" + key + "/AQ-1001"));
      assertThat(ok.statusCode()).as("the printed key on its device, %s", child.describe()).isEqualTo(200);
      assertThat(ok.body()).contains("\"serial\":\"AQ-1001\"");
      assertThat(get(URI.create(base + "/last-measurements/" + typo(key) + "/AQ-1001")).statusCode())
          .as("a mistyped key").isEqualTo(401);
      assertThat(get(URI.create(base + "/last-measurements/" + key + "/AQ-1002")).statusCode())
          .as("the key on another device").isEqualTo(403);
      child.stop();
    }
  }

  /** The admin portal ({@code [port]}) on a free port: the printed address serves the API Keys page. */
  private void probePortal(ReadmeCommand command) throws Exception {
    List<String> args = withFreePort(command, 1);
    try (Child child = Child.start(command.mainClass(), args)) {
      URI page = URI.create(child.awaitLine(Pattern.compile("admin portal: (http://\\S+)"), STARTUP).group(1));

      HttpResponse<String> response = get(page);
      assertThat(response.statusCode()).as("GET %s, %s", page, child.describe()).isEqualTo(200);
      assertThat(response.body()).contains("<title>API Keys");
      child.stop();
    }
  }

  /**
   * The load driver ({@code [seconds per phase [threads]]}): the README's arguments must be two
   * positive numbers; the run here uses 1 s phases so that it ends in seconds, exit status 0
   * and the comparison printed.
   */
  private void probeLoadDriver(ReadmeCommand command) throws Exception {
    assertThat(command.args())
        .as("`%s`: the load driver takes seconds per phase and client threads", command.text())
        .hasSizeLessThanOrEqualTo(2)
        .allMatch(a -> a.matches("[1-9]\\d*"));
    try (Child child = Child.start(command.mainClass(), List.of("1", "2"))) {
      child.awaitExit(0, RUN_TO_END);
      assertThat(child.stdout())
          .as(child.describe())
          .containsPattern("(?m)^median: [\\d,]+ requests/s without, [\\d,]+ with");
    }
  }

  /**
   * The README's arguments with the first, a port, replaced by 0 (a free port the program
   * prints); a port if there were none.
   */
  private static List<String> withFreePort(ReadmeCommand command, int maxArgs) {
    List<String> args = new ArrayList<>(command.args());
    assertThat(args).as("`%s`: at most %d arguments, the first a port", command.text(), maxArgs)
        .hasSizeLessThanOrEqualTo(maxArgs);
    if (args.isEmpty()) {
      args.add("0");
    } else {
      assertThat(args.get(0)).as("`%s`: the first argument is a port", command.text()).matches("\\d{1,5}");
      args.set(0, "0");
    }
    return args;
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String typo(String key) {
    char last = key.charAt(key.length() - 1);
    return key.substring(0, key.length() - 1) + (last == 'x' ? 'y' : 'x');
  }

  // ---------------------------------------------------------------- the README table

  /** One command of the table: its text, and the main class and arguments exec:java would run. */
  record ReadmeCommand(String text, String mainClass, List<String> args) {
    String displayName() {
      return mainClass.substring(mainClass.lastIndexOf('.') + 1) + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }
  }

  /**
   * The commands of the table in the {@code ## Examples} section: one per body row, each a
   * backticked {@code mvn … exec:java -pl examples …} command.
   */
  static List<ReadmeCommand> readmeCommands(String readme, String defaultMainClass) {
    List<String> section = new ArrayList<>();
    boolean inside = false;
    for (String line : readme.split("\\R")) {
      if (line.startsWith("## ")) {
        inside = line.strip().equals("## Examples");
      } else if (inside) {
        section.add(line);
      }
    }
    List<String> rows = section.stream().filter(l -> l.strip().startsWith("|")).toList();
    List<ReadmeCommand> commands = new ArrayList<>();
    // rows.get(0) is the header, rows.get(1) the |---| separator
    for (String row : rows.subList(Math.min(2, rows.size()), rows.size())) {
      List<String> mvn = new ArrayList<>();
      Matcher m = BACKTICKED.matcher(row);
      while (m.find()) {
        if (m.group(1).strip().startsWith("mvn ")) {
          mvn.add(m.group(1).strip());
        }
      }
      List<String> tokens = mvn.size() == 1 ? shellWords(mvn.get(0)) : List.of();
      int pl = tokens.indexOf("-pl");
      if (!tokens.contains("exec:java") || pl < 0 || pl + 1 >= tokens.size() || !tokens.get(pl + 1).equals("examples")) {
        throw new IllegalArgumentException("README.md's Examples table row \"" + row.strip() + "\" should hold "
            + "one backticked `mvn … exec:java -pl examples …` command, which ReadmeCommandsTest runs");
      }
      String mainClass = defaultMainClass;
      List<String> args = List.of();
      for (String t : tokens) {
        if (t.startsWith("-Dexec.mainClass=")) {
          mainClass = t.substring("-Dexec.mainClass=".length());
        } else if (t.startsWith("-Dexec.args=")) {
          String value = t.substring("-Dexec.args=".length()).strip();
          args = value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
        }
      }
      commands.add(new ReadmeCommand(mvn.get(0), mainClass, args));
    }
    return commands;
  }

  /** The words of a shell command line: split at blanks, quotes removed. */
  private static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /** The main class exec:java runs without -Dexec.mainClass: the module's exec.mainClass property. */
  private static String defaultMainClass() throws IOException {
    Matcher m = Pattern.compile("<exec\\.mainClass>\\s*([\\w.]+)\\s*</exec\\.mainClass>").matcher(Files.readString(POM));
    assertThat(m.find()).as("%s sets the exec.mainClass property", POM).isTrue();
    return m.group(1);
  }

  // ---------------------------------------------------------------- the child JVM

  /** An example program in its own JVM on the runtime class path; stdout read line by line. */
  private static final class Child implements AutoCloseable {
    private static final String EOF = new String("<end of stdout>");

    private final String name;
    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final Thread reader;
    private boolean ended;

    private Child(String name, Process process, Path stderr) {
      this.name = name;
      this.process = process;
      this.stderr = stderr;
      this.reader = new Thread(this::read, "stdout of " + name);
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(String mainClass, List<String> args) throws IOException {
      if (!Files.isRegularFile(RUNTIME_CLASSPATH)) {
        fail("%s is missing: run this test through Maven (mvn -pl examples -am test), whose "
            + "maven-dependency-plugin writes it in generate-test-resources", RUNTIME_CLASSPATH.toAbsolutePath());
      }
      String classpath = CLASSES.toAbsolutePath() + File.pathSeparator + Files.readString(RUNTIME_CLASSPATH).strip();
      List<String> commandLine = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath, mainClass));
      commandLine.addAll(args);
      String simpleName = mainClass.substring(mainClass.lastIndexOf('.') + 1);
      Files.createDirectories(LOGS);
      Path stderr = LOGS.resolve(simpleName + ".stderr.log");
      Process process = new ProcessBuilder(commandLine)
          .redirectError(stderr.toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .start();
      process.getOutputStream().close();
      return new Child(simpleName + " " + String.join(" ", args), process, stderr);
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process was destroyed while we read: its output ends here
      } finally {
        lines.add(EOF);
      }
    }

    /** Waits, at most {@code timeout}, for a line of stdout that contains the pattern. */
    Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (String line = take(deadline); line != null; line = take(deadline)) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m;
        }
      }
      if (ended) {
        process.waitFor(STOP.toNanos(), TimeUnit.NANOSECONDS); // for the exit status in the message
      }
      throw new AssertionError((ended ? "stdout ended before a line" : "no line within " + timeout) + " matching /"
          + pattern + "/; " + describe());
    }

    private String take(long deadline) throws InterruptedException {
      if (ended) {
        return null;
      }
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == EOF) {
        ended = true;
        return null;
      }
      if (line != null) {
        seen.add(line);
      }
      return line;
    }

    /** Waits, at most {@code timeout}, for the program to end by itself with {@code status}. */
    void awaitExit(int status, Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("still running after " + timeout + "; " + describe());
      }
      drain();
      assertThat(process.exitValue()).as("exit status; %s", describe()).isEqualTo(status);
    }

    /** Stops the program as Ctrl+C would; it must end within the bound. */
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(STOP.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("did not stop within " + STOP + " of SIGTERM; " + describe());
      }
    }

    /** Everything printed to stdout so far (all of it once the program has ended). */
    String stdout() {
      return String.join("\n", seen);
    }

    private void drain() throws InterruptedException {
      long deadline = System.nanoTime() + STOP.toNanos();
      while (take(deadline) != null) {
        // collects into seen
      }
    }

    /** Name, exit state, stdout and the end of stderr, with key-shaped strings redacted. */
    String describe() {
      String err;
      try {
        err = Files.readString(stderr);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      err = err.length() > 3000 ? "…" + err.substring(err.length() - 3000) : err;
      String state = process.isAlive() ? "running" : "exited " + process.exitValue();
      return redact(name + " (" + state + ")\n--- stdout:\n" + stdout() + "\n--- stderr (" + stderr + "):\n" + err);
    }

    private static String redact(String text) {
      return KEY_SHAPE.matcher(text).replaceAll("ks_<redacted>");
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(STOP.toNanos(), TimeUnit.NANOSECONDS)) {
          process.destroyForcibly().waitFor(STOP.toNanos(), TimeUnit.NANOSECONDS);
        }
      }
      reader.join(STOP.toMillis());
    }
  }
}
