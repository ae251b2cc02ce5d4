package dev.keyseat.cli;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AccountOverview;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.ImportResult;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.KeyImport;
import dev.keyseat.Keyseat;
import dev.keyseat.KeyseatException;
import dev.keyseat.LeakAction;
import dev.keyseat.LeakedKey;
import dev.keyseat.Member;
import dev.keyseat.NotFoundException;
import dev.keyseat.Secret;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keys import|export|revoke-leaked}. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Import, export and leaked-key response.",
    subcommands = {KeysCommand.Import.class, KeysCommand.Export.class, KeysCommand.RevokeLeaked.class})
final class KeysCommand {
  private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern RECORD_FIELD = Pattern.compile("records\\[(\\d+)](?:\\.(\\w+))?");
  private static final int MAX_REPORTED = 100;

  static Instant instant(String text, String option) {
    try {
      return text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new KeyseatCli.UsageFailure(option + " " + text + ": not a time; write 2026-01-31 or 2026-01-31T12:00:00Z");
    }
  }

  /** Runs the Ctrl-C handling of a long command: a shutdown hook asks it to stop after its batch and waits for it. */
  static final class Interruptible implements AutoCloseable {
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    Interruptible(KeyseatCli cli) {
      hook = new Thread(() -> {
        cli.interrupt();
        try {
          finished.await(60, TimeUnit.SECONDS); // the batch in flight commits or rolls back
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "keyseat-cli-interrupt");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it returns now that the work has finished
      }
    }
  }

  // ------------------------------------------------------------------ import

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = {"Imports existing keys into an account without reissuing them, in batches of up to 1,000, each a"
          + " transaction. The CSV has a header naming its columns: serial and key (required; with --hashed, key"
          + " holds the SHA-256 in hexadecimal), created_at, label and device_name (optional).",
          "Every line is checked before anything is imported; bad lines are reported with their line numbers. A"
          + " rerun skips what an earlier run imported, so an interrupted import continues where it stopped."})
  static final class Import extends AccountCommand {
    @Option(names = "--csv", required = true, paramLabel = "FILE", description = "the keys, one a line")
    Path csv;

    @Option(names = "--hashed", description = "the key column holds SHA-256 hashes, not plaintext keys"
        + " (refused with --pepper-file: import the plaintext then)")
    boolean hashed;

    @Option(names = "--associate", description = "associate devices the account does not have yet")
    boolean associate;

    @Option(names = "--batch-size", defaultValue = "1000", description = "records per transaction, 1-1000 (default 1000)")
    int batchSize;

    @Option(names = "--progress", defaultValue = "auto",
        description = "auto (a bar on a terminal, lines otherwise), bar, lines or none")
    Progress.Mode progress;

    /** One parsed line of the CSV. */
    record Row(int line, KeyImport record, String key) {}

    @Override
    public Integer call() {
      KeyseatCli cli = cli();
      if (batchSize < 1 || batchSize > 1000) {
        throw new KeyseatCli.UsageFailure("--batch-size must be between 1 and 1000, was " + batchSize);
      }
      if (hashed && cli.peppered()) {
        throw new KeyseatCli.UsageFailure("--hashed cannot be used with --pepper-file: the store keeps HMAC-SHA256"
            + " of keys, which a SHA-256 cannot be turned into; import the plaintext keys instead");
      }
      AccountId id = accountId();
      Keyseat keyseat = cli.keyseat();
      List<Row> rows = read(keyseat);
      if (rows.isEmpty()) {
        out().println("no keys in " + csv + "; nothing to import");
        return KeyseatCli.ExitCode.OK;
      }
      requireLicenses(keyseat.store(), id, rows);

      Progress bar = new Progress(err(), "keys", rows.size(), progress, System::nanoTime);
      int imported = 0;
      int already = 0;
      int associated = 0;
      int batches = 0;
      try (Interruptible ignored = new Interruptible(cli)) {
        for (int from = 0; from < rows.size(); from += batchSize) {
          if (cli.interrupted()) {
            bar.finish();
            err().println("interrupted: " + imported + " keys imported in the batches committed (through line "
                + rows.get(from - 1).line() + "); nothing of a later batch was imported. Rerun the same command to"
                + " continue: keys imported already are skipped");
            summary(id, imported, already, associated);
            return KeyseatCli.ExitCode.INTERRUPTED;
          }
          List<Row> batch = rows.subList(from, Math.min(rows.size(), from + batchSize));
          ImportResult result;
          try {
            result = cli.manager().importKeys(cli.operator(), id, batch.stream().map(Row::record).toList(), associate);
          } catch (InvalidRequestException e) {
            bar.finish();
            reportViolations(batch, e);
            throw refusedBatch(batch, imported, KeyseatCli.ExitCode.INPUT, "the lines above are wrong");
          } catch (KeyseatException e) {
            bar.finish();
            throw refusedBatch(batch, imported, KeyseatCli.ExitCode.REFUSED,
                Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()));
          }
          imported += result.imported().size();
          already += result.alreadyImported().size();
          associated += result.devicesAssociated();
          batches++;
          bar.advance(batch.size());
          cli.afterBatch().accept(batches);
        }
      }
      bar.finish();
      summary(id, imported, already, associated);
      return KeyseatCli.ExitCode.OK;
    }

    private void summary(AccountId id, int imported, int already, int associated) {
      out().println("imported " + imported + " keys into account " + id + "; " + already + " were imported already"
          + (associate ? "; " + associated + " devices associated" : ""));
    }

    private KeyseatCli.CliFailure refusedBatch(List<Row> batch, int importedBefore, int code, String why) {
      return new KeyseatCli.CliFailure("lines " + batch.get(0).line() + "-" + batch.get(batch.size() - 1).line()
          + " refused: " + why.replaceAll("\\s*\\R\\s*", " ") + "; nothing of this batch was imported (" + importedBefore
          + " keys imported by earlier batches stay); fix it and rerun: keys imported already are skipped", code);
    }

    private void reportViolations(List<Row> batch, InvalidRequestException e) {
      for (InvalidRequestException.Violation v : e.violations()) {
        Matcher m = RECORD_FIELD.matcher(v.field());
        if (m.matches()) {
          int line = batch.get(Integer.parseInt(m.group(1))).line();
          err().println("line " + line + ": " + (m.group(2) == null ? "" : column(m.group(2)) + " ") + v.message());
        } else {
          err().println(v.field() + " " + v.message());
        }
      }
    }

    private String column(String field) {
      return switch (field) {
        case "secret", "sha256" -> "key";
        case "createdAt" -> "created_at";
        case "deviceName" -> "device_name";
        default -> field;
      };
    }

    /** R1 for the whole file, before any batch: the records whose device has no key yet need a license each. */
    private void requireLicenses(KeyStore store, AccountId id, List<Row> rows) {
      record Seats(Account account, Set<String> keyed, int keys) {}
      Seats seats = store.readAccount(id, tx -> {
        Account a = tx.account().orElseThrow(() -> NotFoundException.of("account", id));
        Set<String> keyed = new HashSet<>();
        for (StoredKey k : tx.keys()) {
          keyed.add(k.deviceSerial());
        }
        return new Seats(a, keyed, keyed.size());
      });
      if (seats.account().isClosed()) {
        throw NotFoundException.of("open account", id);
      }
      long needed = rows.stream().filter(r -> !seats.keyed().contains(r.record().serial())).count();
      long available = Math.max(0, seats.account().contractedLicenses() - seats.keys());
      if (needed > available) { // R1: refused whole, naming the shortfall
        long shortBy = needed - available;
        throw new KeyseatCli.CliFailure("license limit: the import needs " + needed + " new keys and account " + id
            + " has " + available + " licenses available, " + shortBy + " short; contract them first (keyseat-cli"
            + " licenses contract " + id + " " + shortBy + ") and rerun; nothing was imported",
            KeyseatCli.ExitCode.REFUSED);
      }
    }

    /** Reads and checks every line; throws listing every bad line, so that a bad file imports nothing. */
    private List<Row> read(Keyseat keyseat) {
      List<String> lines;
      try {
        lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new KeyseatCli.InputFailure("cannot read " + csv + ": " + e);
      }
      if (lines.isEmpty()) {
        throw new KeyseatCli.InputFailure(csv + " is empty: its first line names the columns, e.g."
            + " serial,key,created_at,label");
      }
      List<String> header = Csv.parse(stripBom(lines.get(0))).stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
      Map<String, Integer> col = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        String name = header.get(i).equals("sha256") ? "key" : header.get(i);
        if (!Set.of("serial", "key", "created_at", "label", "device_name").contains(name)) {
          throw new KeyseatCli.InputFailure(csv + " line 1: unknown column '" + header.get(i) + "'; the columns are"
              + " serial, key, created_at, label and device_name");
        }
        col.put(name, i);
      }
      if (!col.containsKey("serial") || !col.containsKey("key")) {
        throw new KeyseatCli.InputFailure(csv + " line 1: the header must name the columns serial and key, e.g."
            + " serial,key,created_at,label");
      }
      List<String> errors = new ArrayList<>();
      List<Row> rows = new ArrayList<>();
      Map<String, Integer> serials = new HashMap<>();
      Map<String, Integer> keys = new HashMap<>();
      for (int n = 1; n < lines.size(); n++) {
        int line = n + 1;
        String text = lines.get(n);
        if (text.isBlank()) {
          continue;
        }
        List<String> f;
        try {
          f = Csv.parse(text);
        } catch (IllegalArgumentException e) {
          errors.add("line " + line + ": " + e.getMessage());
          continue;
        }
        if (f.size() != header.size()) {
          errors.add("line " + line + ": has " + f.size() + " fields, the header names " + header.size()
              + " (missing or extra fields)");
          continue;
        }
        String serial = f.get(col.get("serial"));
        String key = f.get(col.get("key"));
        List<String> bad = new ArrayList<>();
        if (serial.isEmpty()) {
          bad.add("missing serial");
        } else if (!SERIAL.matcher(serial).matches()) {
          bad.add("serial must be 1-64 characters of [A-Za-z0-9_-]");
        } else {
          Integer first = serials.putIfAbsent(serial, line);
          if (first != null) {
            bad.add("device " + serial + " is on line " + first + " already (duplicate serial)");
          }
        }
        if (key.isEmpty()) {
          bad.add("missing key");
        } else if (hashed && !HEX64.matcher(key).matches()) {
          bad.add("key must be a SHA-256: 64 hexadecimal digits");
        } else if (!hashed && !keyseat.isKeyShaped(key)) {
          // never echo it: it may be a secret of another shape
          bad.add("key is neither a Keyseat key with a valid checksum nor of a declared legacy shape"
              + " (--legacy-key-shape)");
        } else {
          Integer first = keys.putIfAbsent(hashed ? key.toLowerCase(Locale.ROOT) : key, line);
          if (first != null) {
            bad.add("the same key as line " + first);
          }
        }
        Instant created = null;
        String createdText = col.containsKey("created_at") ? f.get(col.get("created_at")) : "";
        if (!createdText.isEmpty()) {
          try {
            created = createdText.length() == 10
                ? LocalDate.parse(createdText).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(createdText);
          } catch (DateTimeParseException e) {
            bad.add("created_at '" + createdText + "' is not a time; write 2024-05-31 or 2024-05-31T12:00:00Z");
          }
        }
        if (!bad.isEmpty()) {
          bad.forEach(b -> errors.add("line " + line + ": " + b));
          continue;
        }
        String label = col.containsKey("label") ? f.get(col.get("label")) : "";
        String deviceName = col.containsKey("device_name") ? f.get(col.get("device_name")) : "";
        KeyImport record = new KeyImport(serial, hashed ? null : Secret.of(key), hashed ? key : null, created, label,
            deviceName.isEmpty() ? null : deviceName);
        rows.add(new Row(line, record, key));
      }
      if (!errors.isEmpty()) {
        PrintWriter err = err();
        errors.stream().limit(MAX_REPORTED).forEach(err::println);
        if (errors.size() > MAX_REPORTED) {
          err.println("... and " + (errors.size() - MAX_REPORTED) + " more bad lines");
        }
        throw new KeyseatCli.InputFailure(errors.size() + (errors.size() == 1 ? " bad line" : " bad lines") + " in "
            + csv + "; nothing was imported: fix them and rerun");
      }
      return rows;
    }

    private static String stripBom(String s) {
      return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }
  }

  // ------------------------------------------------------------------ export

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Exports for backup or migration: accounts, members, devices, keys (hashes, never a secret) and"
          + " audit entries as JSON Lines, one object a line with a \"type\".",
          "--format csv writes one account's keys as 'keys import --hashed' reads them."})
  static final class Export extends CliCommand {
    @Parameters(arity = "0..*", paramLabel = "ACCOUNT", description = "the accounts to export (default every account)")
    List<String> accounts = new ArrayList<>();

    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl (default) or csv")
    String format;

    @Option(names = "--output", paramLabel = "FILE", description = "write to this file instead of standard output")
    @Nullable Path output;

    @Override
    public Integer call() {
      KeyseatCli cli = cli();
      if (!format.equals("jsonl") && !format.equals("csv")) {
        throw new KeyseatCli.UsageFailure("--format must be jsonl or csv, was " + format);
      }
      if (format.equals("csv") && accounts.size() != 1) {
        throw new KeyseatCli.UsageFailure("--format csv exports the keys of one account: name exactly one ACCOUNT");
      }
      List<AccountId> ids = new ArrayList<>();
      if (accounts.isEmpty()) {
        for (AccountOverview o : AccountsCommand.all(cli.manager(), cli.operator())) {
          ids.add(o.account().id());
        }
      } else {
        accounts.forEach(a -> ids.add(AccountsCommand.accountId(a)));
      }
      KeyStore store = cli.store();
      String algorithm = cli.peppered() ? "HMAC-SHA256" : "SHA-256";
      long[] counts = new long[2];
      try (PrintWriter w = output == null ? null
          : new PrintWriter(Files.newBufferedWriter(output, StandardCharsets.UTF_8))) {
        PrintWriter to = w == null ? out() : w;
        if (format.equals("csv")) {
          to.println(Csv.line("serial", "sha256", "created_at", "label", "device_name"));
        }
        for (AccountId id : ids) {
          store.readAccount(id, tx -> {
            Account a = tx.account().orElseThrow(() -> NotFoundException.of("account", id));
            Map<String, Device> devices = new HashMap<>();
            tx.devices().forEach(d -> devices.put(d.serial(), d));
            if (format.equals("csv")) {
              for (StoredKey k : tx.keys()) {
                Device d = devices.get(k.deviceSerial());
                to.println(Csv.line(k.deviceSerial(), k.hash().toHex(), k.createdAt(), k.label(), d == null ? "" : d.name()));
                counts[0]++;
              }
              return a; // the answer is unused: the lambda writes as it reads
            }
            to.println(Json.object("account").put("id", a.id().value()).put("name", a.name())
                .put("licenses", a.contractedLicenses()).put("createdAt", a.createdAt().toString())
                .put("closedAt", a.closedAt() == null ? null : a.closedAt().toString()));
            for (Member m : tx.members()) {
              to.println(Json.object("member").put("account", id.value()).put("user", m.userId().value())
                  .put("role", m.role().name()));
            }
            for (Device d : tx.devices()) {
              to.println(Json.object("device").put("account", id.value()).put("serial", d.serial())
                  .put("name", d.name()).put("model", d.model()).put("associatedAt", d.associatedAt().toString()));
            }
            for (StoredKey k : tx.keys()) {
              KeyUsage u = tx.usage(k.id());
              to.println(Json.object("key").put("account", id.value()).put("id", k.id().value())
                  .put("device", k.deviceSerial()).put("hashAlgorithm", algorithm).put("hash", k.hash().toHex())
                  .put("previousHash", k.previousHash() == null ? null : k.previousHash().toHex())
                  .put("previousValidUntil", k.previousValidUntil() == null ? null : k.previousValidUntil().toString())
                  .put("hint", k.hint()).put("label", k.label()).put("createdAt", k.createdAt().toString())
                  .put("regeneratedAt", k.regeneratedAt() == null ? null : k.regeneratedAt().toString())
                  .put("expiresAt", k.expiresAt() == null ? null : k.expiresAt().toString())
                  .put("suspended", k.suspended())
                  .put("lastUsedAt", u.lastUsedAt() == null ? null : u.lastUsedAt().toString())
                  .put("useCount", u.useCount()));
              counts[0]++;
            }
            return a;
          });
          if (format.equals("jsonl")) {
            for (AuditEntry e : AuditCommand.entries(store, id, Instant.EPOCH)) {
              to.println(AuditCommand.json(e));
              counts[1]++;
            }
          }
        }
        to.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      err().println("exported " + ids.size() + " accounts, " + counts[0] + " keys (hashes only), " + counts[1]
          + " audit entries" + (output == null ? "" : " to " + output));
      return KeyseatCli.ExitCode.OK;
    }
  }

  // ------------------------------------------------------------------ leaked keys

  @Command(name = "revoke-leaked", mixinStandardHelpOptions = true,
      description = {"Reads leaked secrets from standard input, one a line; finds each one's key by hash on any account"
          + " and regenerates or suspends it, audited in that account.",
          "Reports account, device and key id of each key found, never a secret; secrets that match no key are"
          + " counted only."})
  static final class RevokeLeaked extends CliCommand {
    @Option(names = "--action", required = true, description = "regenerate (a new secret, not shown) or suspend")
    LeakAction action;

    @Option(names = "--format", defaultValue = "table", description = "table or csv (default table)")
    AccountsCommand.Format format;

    @Override
    public Integer call() {
      KeyseatCli cli = cli();
      List<Secret> secrets = new ArrayList<>();
      List<Integer> lineOf = new ArrayList<>();
      try {
        BufferedReader r = new BufferedReader(new InputStreamReader(cli.in(), StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
          n++;
          String s = line.strip();
          if (!s.isEmpty()) {
            secrets.add(Secret.of(s));
            lineOf.add(n);
          }
        }
      } catch (IOException e) {
        throw new KeyseatCli.InputFailure("cannot read standard input: " + e.getMessage());
      }
      Table t = new Table("line", "account", "device", "key", "action");
      for (int from = 0; from < secrets.size(); from += 1000) {
        int start = from;
        for (LeakedKey k : cli.manager().revokeLeaked(cli.operator(),
            secrets.subList(from, Math.min(secrets.size(), from + 1000)), action)) {
          t.row(lineOf.get(start + k.index()), k.accountId(), k.deviceSerial(), k.keyId(),
              (action == LeakAction.SUSPEND ? "suspended" : k.previousSecret() ? "overlap ended" : "regenerated"));
        }
      }
      t.print(out(), format);
      err().println(t.size() + " of " + secrets.size() + " secrets matched a key"
          + (t.size() == 0 ? "" : action == LeakAction.SUSPEND ? "; those keys are suspended"
              : "; those secrets are revoked (an admin of each account regenerates the key to give its device a new"
                  + " one)"));
      return KeyseatCli.ExitCode.OK;
    }
  }
}
