package dev.keyseat.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * The README's "Examples" table and the child JVMs that run its commands, shared by the README
 * command tests of every example module (examples' {@code ReadmeCommandsTest},
 * examples-spring-gateway's {@code SpringGatewayReadmeCommandsTest} and examples-spring-portal's
 * {@code PortalReadmeCommandsTest}, in test scope). Paths are
 * relative to the module whose test runs (Maven's working directory for its tests). Each module
 * runs the rows of its own {@code -pl}, on its own runtime class path; a row for any other module
 * is refused.
 */
public final class ReadmeCommands {
  /** The modules whose README rows are run, each by its own test. */
  public static final Set<String> MODULES = Set.of("examples", "examples-spring-gateway", "examples-spring-portal");

  public static final Path README = Path.of("..", "README.md");
  private static final Path RUNTIME_CLASSPATH = Path.of("target", "runtime-classpath.txt");
  private static final Path CLASSES = Path.of("target", "classes");
  private static final Path LOGS = Path.of("target", "readme-commands");
  /** Bound of a stop; it only matters when something is broken. */
  public static final Duration STOP = Duration.ofSeconds(10);
  private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
  private static final Pattern KEY_SHAPE = Pattern.compile("\\bks_[0-9A-Za-z]{20,}");

  private ReadmeCommands() {}

  // ---------------------------------------------------------------- the README table

  /**
   * One command of the table: its text, the module it runs ({@code -pl}), and the main class and
   * arguments exec:java would run.
   */
  public record ReadmeCommand(String text, String module, String mainClass, List<String> args) {
    /** @return the main class's simple name and the arguments */
    public String displayName() {
      return mainClass.substring(mainClass.lastIndexOf('.') + 1) + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }
  }

  /**
   * The commands of the table in the {@code ## Examples} section: one per body row, each a
   * backticked {@code mvn … exec:java -pl <module> …} command, where the module is one of
   * {@link #MODULES}.
   *
   * @param defaultMainClass the main class exec:java runs in a module without -Dexec.mainClass
   */
  public static List<ReadmeCommand> readmeCommands(String readme, Function<String, String> defaultMainClass) {
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
      if (!tokens.contains("exec:java") || pl < 0 || pl + 1 >= tokens.size() || !MODULES.contains(tokens.get(pl + 1))) {
        throw new IllegalArgumentException("README.md's Examples table row \"" + row.strip() + "\" should hold "
            + "one backticked `mvn … exec:java -pl <module> …` command for a module of " + MODULES
            + " (mvn … exec:java -pl examples …), which that module's README command test runs");
      }
      String module = tokens.get(pl + 1);
      String mainClass = null;
      List<String> args = List.of();
      for (String t : tokens) {
        if (t.startsWith("-Dexec.mainClass=")) {
          mainClass = t.substring("-Dexec.mainClass=".length());
        } else if (t.startsWith("-Dexec.args=")) {
          String value = t.substring("-Dexec.args=".length()).strip();
          args = value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
        }
      }
      commands.add(new ReadmeCommand(mvn.get(0), module, mainClass == null ? defaultMainClass.apply(module) : mainClass,
          args));
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

  /**
   * The main class exec:java runs without -Dexec.mainClass: the module's exec.mainClass property.
   *
   * @param module a module directory next to this one, e.g. {@code examples}
   */
  public static String defaultMainClass(String module) {
    Path pom = Path.of("..", module, "pom.xml");
    try {
      Matcher m = Pattern.compile("<exec\\.mainClass>\\s*([\\w.]+)\\s*</exec\\.mainClass>").matcher(Files.readString(pom));
      assertThat(m.find()).as("%s sets the exec.mainClass property", pom).isTrue();
      return m.group(1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A check of the program one README row starts. */
  @FunctionalInterface
  public interface Probe {
    /**
     * @param command the row, to start with {@link Child#start}
     * @throws Exception when the program does not start or does not answer as the row says
     */
    void check(ReadmeCommand command) throws Exception;
  }

  /**
   * One dynamic test per README row of {@code module}, named by the row and checked by the probe of
   * the row's main class; there must be at least one row.
   *
   * @param module the module whose rows are run
   * @param probes the probe of each main class the module's rows may start
   * @return the tests; one whose main class has no probe fails, naming the main class
   * @throws IOException when README.md cannot be read
   */
  public static Stream<DynamicTest> probeEach(String module, Map<String, Probe> probes) throws IOException {
    List<ReadmeCommand> commands = commandsOf(module);
    assertThat(commands).as("README rows for -pl %s", module).isNotEmpty();
    return commands.stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> {
      Probe probe = probes.get(c.mainClass());
      if (probe == null) {
        throw new AssertionError(String.format(
            "README.md's Examples table runs %s (`%s`) in %s, but its README command test has no probe for that"
                + " main class", c.mainClass(), c.text(), module));
      }
      probe.check(c);
    }));
  }

  /**
   * @param module the module whose rows are wanted
   * @return the commands of the repository's README.md that run in that module
   */
  public static List<ReadmeCommand> commandsOf(String module) throws IOException {
    return readmeCommands(Files.readString(README), ReadmeCommands::defaultMainClass).stream()
        .filter(c -> c.module().equals(module)).toList();
  }

  /**
   * The README's arguments with the first, a port, replaced by 0 (a free port the program
   * prints); a port if there were none.
   */
  public static List<String> withFreePort(ReadmeCommand command, int maxArgs) {
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

  /** @return the key with its last character changed, so that the checksum fails */
  public static String typo(String key) {
    char last = key.charAt(key.length() - 1);
    return key.substring(0, key.length() - 1) + (last == 'x' ? 'y' : 'x');
  }

  // ---------------------------------------------------------------- the child JVM

  /** An example program in its own JVM on the runtime class path; stdout read line by line. */
  public static final class Child implements AutoCloseable {
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

    /**
     * Starts a main class of this module (the working directory) on its runtime class path.
     *
     * @param mainClass the class
     * @param args its arguments
     * @return the running child
     */
    public static Child start(String mainClass, List<String> args) throws IOException {
      if (!Files.isRegularFile(RUNTIME_CLASSPATH)) {
        fail("%s is missing: run this test through Maven (mvn -pl <module> -am test), whose "
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
    public Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
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
    public void awaitExit(int status, Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("still running after " + timeout + "; " + describe());
      }
      drain();
      assertThat(process.exitValue()).as("exit status; %s", describe()).isEqualTo(status);
    }

    /** Stops the program as Ctrl+C would; it must end within the bound. */
    public void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(STOP.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("did not stop within " + STOP + " of SIGTERM; " + describe());
      }
    }

    /** Everything printed to stdout so far (all of it once the program has ended). */
    public String stdout() {
      return String.join("\n", seen);
    }

    private void drain() throws InterruptedException {
      long deadline = System.nanoTime() + STOP.toNanos();
      while (take(deadline) != null) {
        // collects into seen
      }
    }

    /** Name, exit state, stdout and the end of stderr, with key-shaped strings redacted. */
    public String describe() {
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
