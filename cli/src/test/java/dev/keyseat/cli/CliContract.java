package dev.keyseat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.Keyseat;
import dev.keyseat.LegacyKeyShape;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.validation.Verdict.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command of {@code keyseat-cli}, driven through picocli's {@code CommandLine.execute} with
 * captured output, on a fresh database per test. Subclasses name the database.
 */
abstract class CliContract {
  static final String UUID_SHAPE = "uuid";

  @TempDir
  Path dir;
  private String url;
  private String user;
  private Path passwordFile;

  /** @return the JDBC URL of a new, empty database */
  abstract String newDatabase();

  abstract String user();

  abstract String password();

  /** @return how many keys the large import test imports on this database */
  abstract int largeImport();

  /** One run of the command line. */
  record Run(int exitCode, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  @BeforeEach
  void freshDatabase() throws IOException {
    url = newDatabase();
    user = user();
    passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, password() + "\n");
  }

  Run run(String... args) {
    return runWith("", null, args);
  }

  Run runWith(String stdin, Consumer<KeyseatCli> setup, String... args) {
    List<String> all = new ArrayList<>(List.of("--jdbc-url", url, "--user", user, "--password-file",
        passwordFile.toString(), "--operator", "ops", "--legacy-key-shape", UUID_SHAPE));
    all.addAll(List.of(args));
    return runRaw(stdin, setup, all.toArray(new String[0]));
  }

  Run runRaw(String stdin, Consumer<KeyseatCli> setup, String... args) {
    KeyseatCli cli = new KeyseatCli(Map.of(), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    if (setup != null) {
      setup.accept(cli);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = cli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  /** @return Keyseat over the test's database, accepting UUIDs as imported keys */
  Keyseat keyseat() {
    return Keyseat.builder(JdbcKeyStore.builder(new DriverDataSource(url, user, password())).build())
        .legacyKeyShapes(LegacyKeyShape.uuid()).build();
  }

  void migrateAndCreate(String account, int licenses) {
    assertThat(run("schema", "migrate").exitCode()).isZero();
    Run created = run("accounts", "create", account, "--name", "Acme Air", "--admin", "alice", "--licenses",
        String.valueOf(licenses));
    assertThat(created.exitCode()).as(created.err()).isZero();
  }

  Path csv(String... lines) throws IOException {
    Path f = Files.createTempFile(dir, "keys", ".csv");
    Files.write(f, List.of(lines), StandardCharsets.UTF_8);
    return f;
  }

  static String uuid(int i) {
    return new UUID(0x5eed_0000_0000_4000L | i, 0x8000_0000_0000_0000L | i).toString();
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** @return a CSV of {@code n} UUID keys for devices DEV-1..DEV-n, line i+1 holding key i */
  Path legacyKeys(int n) {
    List<String> lines = new ArrayList<>(n + 1);
    lines.add("serial,key,created_at,label");
    for (int i = 1; i <= n; i++) {
      lines.add("DEV-" + i + "," + uuid(i) + ",2024-03-0" + (1 + i % 9) + ",imported");
    }
    Path f = dir.resolve("keys-" + n + ".csv");
    try {
      Files.write(f, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return f;
  }

  // ------------------------------------------------------------------ general

  @Test
  void everyCommandHasHelp() {
    List<String> paths = new ArrayList<>();
    collect(new KeyseatCli(Map.of(), System.in).commandLine(new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter())), "", paths);
    assertThat(paths).contains("schema migrate", "accounts create", "accounts list", "accounts show", "accounts close",
        "licenses contract", "licenses cancel", "usage", "keys import", "keys export", "keys revoke-leaked",
        "audit export");
    for (String path : paths) {
      List<String> args = new ArrayList<>(List.of(path.trim().split(" ")));
      args.add("--help");
      Run help = runRaw("", null, args.toArray(new String[0]));
      assertThat(help.exitCode()).as(path).isZero();
      assertThat(help.out()).as(path).contains("Usage: keyseat-cli " + path.trim());
    }
    assertThat(runRaw("", null, "--help").out()).contains("Exit codes:", "KEYSEAT_DB_PASSWORD");
  }

  private static void collect(CommandLine cl, String prefix, List<String> paths) {
    for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
      String path = prefix + " " + e.getKey();
      paths.add(path.trim());
      collect(e.getValue(), path, paths);
    }
  }

  @Test
  void schemaMigrateCreatesTheStoresSchemaOnceAndCommandsBeforeItSayWhatToDo() {
    Run early = run("usage");
    assertThat(early.exitCode()).isEqualTo(KeyseatCli.ExitCode.DATABASE);
    assertThat(early.errLines()).containsExactly("keyseat-cli: the Keyseat tables are missing: run 'keyseat-cli"
        + " --jdbc-url ... schema migrate' first");
    Run first = run("schema", "migrate");
    assertThat(first.exitCode()).isZero();
    assertThat(first.out()).contains("created the Keyseat schema");
    Run again = run("schema", "migrate");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).contains("in place already");
    assertThat(run("usage").exitCode()).isZero();
  }

  @Test
  void errorsAreOneLineWithADocumentedExitCode() {
    Run noUrl = runRaw("", null, "usage");
    assertThat(noUrl.exitCode()).isEqualTo(KeyseatCli.ExitCode.USAGE);
    assertThat(noUrl.errLines()).containsExactly(
        "keyseat-cli: no database given: pass --jdbc-url URL (or set KEYSEAT_JDBC_URL) before the command");
    Run password = runRaw("", null, "--jdbc-url", url, "--password", "secret", "usage");
    assertThat(password.exitCode()).as("no password option: it would land in the shell history")
        .isEqualTo(KeyseatCli.ExitCode.USAGE);
    Run unreachable = runRaw("", null, "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none", "usage");
    assertThat(unreachable.exitCode()).isEqualTo(KeyseatCli.ExitCode.DATABASE);
    assertThat(unreachable.errLines()).hasSize(1);
    assertThat(unreachable.err()).contains("check --jdbc-url");

    migrateAndCreate("acme", 2);
    Run twice = run("accounts", "create", "acme", "--name", "Again", "--admin", "bob");
    assertThat(twice.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(twice.errLines()).containsExactly("keyseat-cli: account acme exists already");
    Run nowhere = run("licenses", "contract", "nowhere", "3");
    assertThat(nowhere.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(nowhere.errLines()).singleElement().asString().contains("nowhere");
    Run badNumber = run("licenses", "contract", "acme", "many");
    assertThat(badNumber.exitCode()).isEqualTo(KeyseatCli.ExitCode.USAGE);
  }

  // ------------------------------------------------------------------ accounts, licenses, usage

  @Test
  void accountsAndLicensesFromCreationToClosing() {
    migrateAndCreate("acme", 3);
    assertThat(run("accounts", "create", "globex", "--name", "Globex, Inc.", "--admin", "gus").exitCode()).isZero();
    Run contract = run("licenses", "contract", "globex", "5");
    assertThat(contract.out()).contains("globex: contracted 5 licenses; now 0 used / 5 total, 5 available");

    Keyseat k = keyseat();
    k.manager().associateDevice(Actor.user("alice"), AccountId.of("acme"), new NewDevice("AQ-1", "Lobby"));
    k.manager().associateDevice(Actor.user("alice"), AccountId.of("acme"), new NewDevice("AQ-2", "Roof"));
    k.manager().createKeys(Actor.user("alice"), AccountId.of("acme"), NewKeys.forDevices("AQ-1", "AQ-2"));

    Run refused = run("licenses", "cancel", "acme", "2");
    assertThat(refused.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(refused.err()).contains("delete 1 key first");
    Run over = run("licenses", "cancel", "acme", "2", "--strategy", "mark_over_limit");
    assertThat(over.exitCode()).isZero();
    assertThat(over.out()).contains("now 2 used / 1 total, 0 available, OVER LIMIT");

    Run list = run("accounts", "list");
    assertThat(list.out().lines().toList()).hasSize(3);
    assertThat(list.out()).contains("acme", "Acme Air", "over limit", "globex");
    Run csv = run("accounts", "list", "--format", "csv");
    assertThat(csv.out().lines().toList().get(0)).isEqualTo("account,name,created,licenses,used,status");
    assertThat(csv.out()).contains("\"Globex, Inc.\"");

    Run usage = run("usage", "--format", "csv");
    assertThat(usage.out().lines().toList()).containsExactly("account,used,total,available,over_limit",
        "acme,2,1,0,yes", "globex,0,5,5,no");
    Run table = run("usage");
    assertThat(table.out().lines().toList().get(0)).matches("account +used +total +available +over_limit");

    Run show = run("accounts", "show", "acme");
    assertThat(show.out()).contains("licenses:  2 used / 1 total, 0 available", "devices:   2", "member:    alice ADMIN");

    Run keep = run("accounts", "close", "acme");
    assertThat(keep.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(keep.err()).contains("it has 2 keys");
    Run closed = run("accounts", "close", "acme", "--delete-keys");
    assertThat(closed.exitCode()).isZero();
    assertThat(run("usage", "--format", "csv").out()).doesNotContain("acme");
    assertThat(run("accounts", "list").out()).contains("closed");
  }

  // ------------------------------------------------------------------ import

  @Test
  void aLargeImportShowsProgressLinesAndEveryKeyValidates() {
    int n = largeImport();
    migrateAndCreate("acme", n);
    Path file = legacyKeys(n);
    Run imported = run("keys", "import", "acme", "--csv", file.toString(), "--associate");
    assertThat(imported.exitCode()).as(imported.err()).isZero();
    assertThat(imported.out()).contains("imported " + n + " keys into account acme; 0 were imported already; " + n
        + " devices associated");
    List<String> progress = imported.errLines();
    assertThat(progress).as("one plain line per batch of 1,000: the output is no terminal").hasSize(n / 1000);
    Pattern line = Pattern.compile("[0-9,]+/" + String.format("%,d", n) + " keys \\d+% [0-9,]+/s ETA \\d+:\\d\\d");
    assertThat(progress).allMatch(l -> line.matcher(l).matches());
    assertThat(progress.get(0)).startsWith("1,000/");
    assertThat(progress.get(progress.size() - 1)).startsWith(String.format("%,d/%,d keys 100%%", n, n));
    assertThat(run("usage", "--format", "csv").out()).contains("acme," + n + "," + n + ",0,no");
    Keyseat k = keyseat();
    for (int i : new int[] {1, n / 2, n}) {
      assertThat(k.storeValidator().validate(uuid(i), "DEV-" + i).status()).isEqualTo(Status.VALID);
    }
  }

  @Test
  void anInterruptedImportLeavesWholeBatchesAndARerunContinues() throws IOException {
    migrateAndCreate("acme", 5_000);
    Path file = legacyKeys(5_000);
    Run stopped = runWith("", cli -> cli.afterBatch(done -> {
      if (done == 2) {
        cli.interrupt(); // as Ctrl-C does, through the shutdown hook
      }
    }), "keys", "import", "acme", "--csv", file.toString(), "--associate");
    assertThat(stopped.exitCode()).isEqualTo(KeyseatCli.ExitCode.INTERRUPTED);
    assertThat(stopped.err()).contains("interrupted: 2000 keys imported", "through line 2001", "Rerun the same command");
    assertThat(run("usage", "--format", "csv").out()).contains("acme,2000,5000");

    Run resumed = run("keys", "import", "acme", "--csv", file.toString(), "--associate");
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("imported 3000 keys into account acme; 2000 were imported already");
    assertThat(run("usage", "--format", "csv").out()).contains("acme,5000,5000");
  }

  @Test
  void badLinesAreEachReportedWithTheirLineNumberAndNothingIsImported() throws IOException {
    migrateAndCreate("acme", 10);
    String notAKey = "p@ssw0rd-from-the-old-system";
    Path file = csv("serial,key,created_at,label",
        "DEV-1," + uuid(1) + ",2024-01-01,ok",
        "DEV-2",
        "DEV-1," + uuid(3) + ",,duplicate serial",
        "DEV-4," + notAKey + ",,not a declared shape",
        "DEV-5,,,missing key",
        "DEV-6," + uuid(6) + ",yesterday,bad time",
        "DEV-7," + uuid(1) + ",,same key");
    Run bad = run("keys", "import", "acme", "--csv", file.toString(), "--associate");
    assertThat(bad.exitCode()).isEqualTo(KeyseatCli.ExitCode.INPUT);
    assertThat(bad.errLines()).containsExactly(
        "line 3: has 1 fields, the header names 4 (missing or extra fields)",
        "line 4: device DEV-1 is on line 2 already (duplicate serial)",
        "line 5: key is neither a Keyseat key with a valid checksum nor of a declared legacy shape (--legacy-key-shape)",
        "line 6: missing key",
        "line 7: created_at 'yesterday' is not a time; write 2024-05-31 or 2024-05-31T12:00:00Z",
        "line 8: the same key as line 2",
        "keyseat-cli: 6 bad lines in " + file + "; nothing was imported: fix them and rerun");
    assertThat(bad.err()).doesNotContain(notAKey);
    assertThat(run("usage", "--format", "csv").out()).contains("acme,0,10");
  }

  @Test
  void aBatchTheRulesRefuseIsNamedByItsLinesAndNothingOfItIsImported() throws IOException {
    migrateAndCreate("acme", 10);
    Keyseat k = keyseat();
    k.manager().associateDevice(Actor.user("alice"), AccountId.of("acme"), new NewDevice("DEV-4", "has a key"));
    k.manager().createKeys(Actor.user("alice"), AccountId.of("acme"), NewKeys.forDevices("DEV-4"));
    Path file = csv("serial,key", "DEV-1," + uuid(1), "DEV-2," + uuid(2), "DEV-3," + uuid(3), "DEV-4," + uuid(4));
    Run refused = run("keys", "import", "acme", "--csv", file.toString(), "--associate", "--batch-size", "2",
        "--progress", "none");
    assertThat(refused.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(refused.errLines()).singleElement().asString()
        .startsWith("keyseat-cli: lines 4-5 refused: ")
        .contains("DEV-4", "already has a key", "nothing of this batch was imported (2 keys imported by earlier batches");
    assertThat(run("usage", "--format", "csv").out()).contains("acme,3,10");
  }

  @Test
  void anImportBeyondTheLicensesIsRefusedWholeNamingTheShortfall() {
    migrateAndCreate("acme", 3);
    Run refused = run("keys", "import", "acme", "--csv", legacyKeys(5).toString(), "--associate");
    assertThat(refused.exitCode()).isEqualTo(KeyseatCli.ExitCode.REFUSED);
    assertThat(refused.errLines()).containsExactly("keyseat-cli: license limit: the import needs 5 new keys and account"
        + " acme has 3 licenses available, 2 short; contract them first (keyseat-cli licenses contract acme 2) and"
        + " rerun; nothing was imported");
    assertThat(run("usage", "--format", "csv").out()).contains("acme,0,3");
  }

  @Test
  void hashedKeysImportAndValidateButNotUnderAPepper() throws IOException {
    migrateAndCreate("acme", 5);
    Path file = csv("serial,sha256,device_name", "DEV-1," + sha256(uuid(1)) + ",Lobby",
        "DEV-2," + sha256(uuid(2)).toUpperCase() + ",");
    Run hashed = run("keys", "import", "acme", "--csv", file.toString(), "--hashed", "--associate");
    assertThat(hashed.exitCode()).as(hashed.err()).isZero();
    assertThat(keyseat().storeValidator().validate(uuid(2)).status()).isEqualTo(Status.VALID);
    assertThat(keyseat().manager().devices(Actor.user("alice"), AccountId.of("acme")))
        .extracting(d -> d.name()).containsExactly("Lobby", "DEV-2");

    Path pepper = dir.resolve("pepper");
    Files.write(pepper, "a pepper of at least 16 bytes".getBytes(StandardCharsets.US_ASCII));
    Run peppered = run("--pepper-file", pepper.toString(), "keys", "import", "acme", "--csv", file.toString(), "--hashed");
    assertThat(peppered.exitCode()).isEqualTo(KeyseatCli.ExitCode.USAGE);
    assertThat(peppered.err()).contains("--hashed cannot be used with --pepper-file", "import the plaintext keys instead");
  }

  // ------------------------------------------------------------------ export and audit

  @Test
  void exportWritesEveryRecordAsJsonLinesWithHashesNeverSecrets() throws IOException {
    migrateAndCreate("acme", 5);
    run("keys", "import", "acme", "--csv", legacyKeys(2).toString(), "--associate", "--progress", "none");
    Path out = dir.resolve("export.jsonl");
    Run export = run("keys", "export", "--output", out.toString());
    assertThat(export.exitCode()).as(export.err()).isZero();
    assertThat(export.err()).contains("exported 1 accounts, 2 keys (hashes only)");
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).allMatch(l -> l.startsWith("{\"type\":\"") && l.endsWith("}"));
    assertThat(lines).filteredOn(l -> l.startsWith("{\"type\":\"account\"")).hasSize(1);
    assertThat(lines).filteredOn(l -> l.startsWith("{\"type\":\"member\"")).hasSize(1);
    assertThat(lines).filteredOn(l -> l.startsWith("{\"type\":\"device\"")).hasSize(2);
    assertThat(lines).filteredOn(l -> l.startsWith("{\"type\":\"key\"")).hasSize(2)
        .anyMatch(l -> l.contains("\"hash\":\"" + sha256(uuid(1)) + "\"") && l.contains("\"hashAlgorithm\":\"SHA-256\""));
    assertThat(lines).filteredOn(l -> l.startsWith("{\"type\":\"audit\"")).hasSizeGreaterThanOrEqualTo(5);
    assertThat(String.join("\n", lines)).doesNotContain(uuid(1), uuid(2));

    Run csv = run("keys", "export", "acme", "--format", "csv");
    assertThat(csv.out().lines().toList()).hasSize(3).first().isEqualTo("serial,sha256,created_at,label,device_name");
    assertThat(csv.out()).contains("DEV-1," + sha256(uuid(1)) + ",");
  }

  @Test
  void auditExportAsCsvOrJsonSinceATime() {
    migrateAndCreate("acme", 5);
    run("licenses", "contract", "acme", "2");
    Run csv = run("audit", "export", "acme", "--format", "csv");
    assertThat(csv.exitCode()).isZero();
    List<String> lines = csv.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("sequence,at,actor,action,key,device,outcome,detail");
    assertThat(lines.subList(1, lines.size())).extracting(l -> Csv.parse(l).get(3))
        .containsExactly("CREATE_ACCOUNT", "CONTRACT_LICENSES");
    assertThat(Csv.parse(lines.get(2)).get(2)).isEqualTo("operator:ops");
    Run json = run("audit", "export", "acme", "--format", "json");
    assertThat(json.out().lines().toList()).hasSize(2).allMatch(l -> l.startsWith("{\"type\":\"audit\""));
    Run future = run("audit", "export", "acme", "--since", "2999-01-01");
    assertThat(future.out().lines().toList()).containsExactly("sequence,at,actor,action,key,device,outcome,detail");
    assertThat(run("audit", "export", "acme", "--since", "soon").exitCode()).isEqualTo(KeyseatCli.ExitCode.USAGE);
  }

  // ------------------------------------------------------------------ leaked keys

  @Test
  void leakedSecretsFromStandardInputAreRegeneratedAndReportedWithoutTheSecret() {
    migrateAndCreate("acme", 5);
    run("accounts", "create", "globex", "--name", "Globex", "--admin", "gus", "--licenses", "5");
    Keyseat k = keyseat();
    k.manager().associateDevice(Actor.user("alice"), AccountId.of("acme"), new NewDevice("AQ-1", "Lobby"));
    k.manager().associateDevice(Actor.user("gus"), AccountId.of("globex"), new NewDevice("GX-1", "Roof"));
    IssuedKey ours = k.manager().createKeys(Actor.user("alice"), AccountId.of("acme"), NewKeys.forDevices("AQ-1")).get(0);
    IssuedKey theirs = k.manager().createKeys(Actor.user("gus"), AccountId.of("globex"), NewKeys.forDevices("GX-1")).get(0);
    String stdin = "found in a paste\n" + theirs.secret().reveal() + "\n\n  " + ours.secret().reveal() + "  \n"
        + uuid(9) + "\n";
    Run leaked = runWith(stdin, null, "keys", "revoke-leaked", "--action", "regenerate", "--format", "csv");
    assertThat(leaked.exitCode()).as(leaked.err()).isZero();
    assertThat(leaked.out().lines().toList()).containsExactly("line,account,device,key,action",
        "2,globex,GX-1," + theirs.key().id() + ",regenerated", "4,acme,AQ-1," + ours.key().id() + ",regenerated");
    assertThat(leaked.err()).contains("2 of 4 secrets matched a key");
    assertThat(leaked.out() + leaked.err()).doesNotContain(ours.secret().reveal(), theirs.secret().reveal());
    assertThat(k.storeValidator().validate(ours.secret().reveal()).status()).isEqualTo(Status.REVOKED);

    IssuedKey fresh = k.manager().regenerateKey(Actor.user("alice"), AccountId.of("acme"), ours.key().id());
    Run suspended = runWith(fresh.secret().reveal() + "\n", null, "keys", "revoke-leaked", "--action", "suspend");
    assertThat(suspended.out()).contains("acme", "AQ-1", "suspended");
    assertThat(k.storeValidator().validate(fresh.secret().reveal()).status()).isEqualTo(Status.SUSPENDED);
  }
}
