package dev.keyseat.cli;

import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.KeyseatException;
import dev.keyseat.LegacyKeyShape;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.jdbc.JdbcKeyStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyseat-cli}: the operator's command line. Global options name the database and how keys
 * are hashed; each subcommand is one operator task. Exit codes are listed in {@link ExitCode}.
 */
@Command(name = "keyseat-cli", mixinStandardHelpOptions = true, version = "keyseat-cli 0.1.0",
    description = "The Keyseat operator's command line: schema, accounts, licenses, usage, keys, audit.",
    footer = {"",
        "Exit codes: 0 done; 1 refused by a rule (licenses, not found, already exists...);",
        "            2 bad command line; 3 bad input file; 4 database unreachable or schema missing;",
        "            70 internal error; 130 interrupted (batches committed so far stay; rerun to continue).",
        "The password is read from --password-file or the environment variable KEYSEAT_DB_PASSWORD,",
        "never from the command line."},
    subcommands = {
        SchemaCommand.class, AccountsCommand.class, LicensesCommand.class, UsageCommand.class,
        KeysCommand.class, AuditCommand.class})
public final class KeyseatCli {

  @Option(names = "--jdbc-url", paramLabel = "URL",
      description = "JDBC URL of the Keyseat database (PostgreSQL or H2); default: environment KEYSEAT_JDBC_URL")
  @Nullable String jdbcUrl;

  @Option(names = "--user", paramLabel = "NAME", description = "database user; default: environment KEYSEAT_DB_USER")
  @Nullable String user;

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "file whose first line is the database password; default: environment KEYSEAT_DB_PASSWORD")
  @Nullable Path passwordFile;

  @Option(names = "--operator", paramLabel = "NAME",
      description = "who you are, as the audit log records it; default: environment KEYSEAT_OPERATOR, else your login")
  @Nullable String operator;

  @Option(names = "--pepper-file", paramLabel = "FILE",
      description = "the host pepper (raw bytes, at least 16) if the platform hashes keys with HMAC-SHA256")
  @Nullable Path pepperFile;

  @Option(names = "--legacy-key-shape", paramLabel = "SHAPE",
      description = "shape of imported keys that validate without checksum: 'uuid' or 'regex:<min>-<max>:<regex>';"
          + " repeatable")
  List<String> legacyKeyShapes = new ArrayList<>();

  @Option(names = "--key-prefix", paramLabel = "PREFIX", description = "the platform's key prefix (default ks)")
  @Nullable String keyPrefix;

  private final Map<String, String> env;
  private final InputStream in;
  private final AtomicBoolean interrupted = new AtomicBoolean();
  private IntConsumer afterBatch = n -> {};
  private @Nullable Keyseat keyseat;

  /**
   * @param env the environment (for the password and defaults)
   * @param in standard input (leaked secrets)
   */
  KeyseatCli(Map<String, String> env, InputStream in) {
    this.env = env;
    this.in = in;
  }

  /**
   * Runs the command line.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    // Hibernate Validator logs through JBoss Logging: route it to SLF4J (warnings only, stderr)
    System.setProperty("org.jboss.logging.provider", "slf4j");
    KeyseatCli cli = new KeyseatCli(System.getenv(), System.in);
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(cli.run(args, out, err));
  }

  /**
   * Parses and runs one command line, printing results to {@code out} and messages and progress
   * to {@code err}.
   *
   * @return the exit code
   */
  int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(out, err);
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** @return the configured picocli command line, for tests and {@link #run} */
  CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(this);
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      Failure f = Failure.of(e);
      line.getErr().println("keyseat-cli: " + f.message());
      return f.exitCode();
    });
    return cl;
  }

  /** Tests: called with the number of batches committed so far, after each. */
  void afterBatch(IntConsumer hook) {
    this.afterBatch = hook;
  }

  IntConsumer afterBatch() {
    return afterBatch;
  }

  /** Asks a long command to stop after its current batch, as Ctrl-C does. */
  void interrupt() {
    interrupted.set(true);
  }

  boolean interrupted() {
    return interrupted.get();
  }

  InputStream in() {
    return in;
  }

  /** @return the operator named by --operator, KEYSEAT_OPERATOR or the login */
  Actor operator() {
    String name = operator != null ? operator : env.getOrDefault("KEYSEAT_OPERATOR", System.getProperty("user.name", "cli"));
    String cleaned = name.replaceAll("[^A-Za-z0-9_.@-]", "_");
    return Actor.operator(cleaned.isEmpty() ? "cli" : cleaned);
  }

  /** @return a data source for the configured database; each call to it opens a connection */
  DataSource dataSource() {
    String url = jdbcUrl != null ? jdbcUrl : env.get("KEYSEAT_JDBC_URL");
    if (url == null || url.isBlank()) {
      throw new UsageFailure("no database given: pass --jdbc-url URL (or set KEYSEAT_JDBC_URL) before the command");
    }
    String u = user != null ? user : env.get("KEYSEAT_DB_USER");
    String password;
    if (passwordFile != null) {
      try {
        List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
        password = lines.isEmpty() ? "" : lines.get(0);
      } catch (IOException e) {
        throw new InputFailure("cannot read the password file " + passwordFile + ": " + e.getMessage());
      }
    } else {
      password = env.get("KEYSEAT_DB_PASSWORD");
    }
    return new DriverDataSource(url, u, password);
  }

  /** @return the store over the configured database; its schema must be in place */
  JdbcKeyStore store() {
    try {
      return JdbcKeyStore.builder(dataSource()).build();
    } catch (IllegalStateException e) {
      throw new DatabaseFailure("the Keyseat tables are missing: run 'keyseat-cli --jdbc-url ... schema migrate' first");
    } catch (IllegalArgumentException e) {
      throw new DatabaseFailure(e.getMessage() + "; Keyseat runs on PostgreSQL and H2");
    }
  }

  /** @return Keyseat over the configured database, with the pepper, prefix and legacy shapes given */
  Keyseat keyseat() {
    if (keyseat == null) {
      Keyseat.Builder b = Keyseat.builder(store());
      if (keyPrefix != null) {
        try {
          b.keyPrefix(keyPrefix);
        } catch (IllegalArgumentException e) {
          throw new UsageFailure("--key-prefix: " + e.getMessage());
        }
      }
      if (pepperFile != null) {
        try {
          b.pepper(Files.readAllBytes(pepperFile));
        } catch (IOException e) {
          throw new InputFailure("cannot read the pepper file " + pepperFile + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
          throw new InputFailure("--pepper-file " + pepperFile + ": " + e.getMessage());
        }
      }
      List<LegacyKeyShape> shapes = new ArrayList<>();
      for (String s : legacyKeyShapes) {
        try {
          shapes.add(LegacyKeyShape.parse(s));
        } catch (IllegalArgumentException e) {
          throw new UsageFailure("--legacy-key-shape " + s + ": " + e.getMessage());
        }
      }
      b.legacyKeyShapes(shapes.toArray(new LegacyKeyShape[0]));
      keyseat = b.build();
    }
    return keyseat;
  }

  /** @return the management API */
  KeyManager manager() {
    return keyseat().manager();
  }

  /** @return whether --pepper-file was given: the store then holds HMAC-SHA256 */
  boolean peppered() {
    return pepperFile != null;
  }

  /** The exit codes, documented in the help footer and the README. */
  static final class ExitCode {
    static final int OK = 0;
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int INPUT = 3;
    static final int DATABASE = 4;
    static final int INTERNAL = 70;
    static final int INTERRUPTED = 130;

    private ExitCode() {}
  }

  /** A failure of the command line itself, with its one-line message. */
  static class CliFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CliFailure(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }

  /** A bad option or argument. */
  static final class UsageFailure extends CliFailure {
    private static final long serialVersionUID = 1L;

    UsageFailure(String message) {
      super(message, ExitCode.USAGE);
    }
  }

  /** A bad input file. */
  static final class InputFailure extends CliFailure {
    private static final long serialVersionUID = 1L;

    InputFailure(String message) {
      super(message, ExitCode.INPUT);
    }
  }

  /** The database cannot be used. */
  static final class DatabaseFailure extends CliFailure {
    private static final long serialVersionUID = 1L;

    DatabaseFailure(String message) {
      super(message, ExitCode.DATABASE);
    }
  }

  /** A one-line message and an exit code for whatever a command threw. */
  record Failure(String message, int exitCode) {
    static Failure of(Throwable e) {
      if (e instanceof CliFailure f) {
        return new Failure(Objects.requireNonNullElse(f.getMessage(), ""), f.exitCode());
      }
      if (e instanceof StoreUnavailableException s) {
        return new Failure(oneLine(s.getMessage()) + "; check --jdbc-url, --user and the password, and that the"
            + " database is up", ExitCode.DATABASE);
      }
      if (e instanceof KeyseatException k) {
        return new Failure(oneLine(k.getMessage()), ExitCode.REFUSED);
      }
      if (e instanceof UncheckedIOException io) {
        IOException cause = io.getCause();
        return new Failure(oneLine(cause == null ? io.getMessage() : cause.getMessage()), ExitCode.INPUT);
      }
      return new Failure("unexpected " + e.getClass().getSimpleName() + ": " + oneLine(String.valueOf(e.getMessage()))
          + " (a bug: please report it)", ExitCode.INTERNAL);
    }

    private static String oneLine(@Nullable String s) {
      return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ");
    }
  }
}
