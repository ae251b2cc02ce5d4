package dev.keyseat.cli;

import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.NotFoundException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code audit export ACCOUNT}. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "An account's audit log (R12).",
    subcommands = AuditCommand.Export.class)
final class AuditCommand {

  /** Export formats. */
  enum Format { CSV, JSON }

  static Json json(AuditEntry e) {
    return Json.object("audit").put("account", e.accountId().value()).put("sequence", e.sequence())
        .put("at", e.at().toString()).put("actor", e.actor()).put("action", e.action().name())
        .put("key", e.keyId() == null ? null : e.keyId().value()).put("device", e.deviceSerial())
        .put("outcome", e.outcome().name()).put("detail", e.detail());
  }

  /** @return the account's audit entries at or after {@code since}, oldest first */
  static List<AuditEntry> entries(dev.keyseat.spi.KeyStore store, AccountId account, Instant since) {
    return store.readAccount(account, tx -> {
      if (tx.account().isEmpty()) {
        throw NotFoundException.of("account", account);
      }
      List<AuditEntry> all = new ArrayList<>();
      long before = Long.MAX_VALUE;
      while (true) {
        List<AuditEntry> page = tx.audit(before, 1000);
        boolean older = false;
        for (AuditEntry e : page) {
          if (e.at().isBefore(since)) {
            older = true;
            break;
          }
          all.add(e);
        }
        if (older || page.size() < 1000) {
          break;
        }
        before = page.get(page.size() - 1).sequence();
      }
      Collections.reverse(all);
      return all;
    });
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Writes an account's audit log, oldest first, as CSV or JSON Lines (closed accounts too).")
  static final class Export extends AccountCommand {
    @Option(names = "--format", defaultValue = "csv", description = "csv (default) or json (JSON Lines)")
    Format format;

    @Option(names = "--since", paramLabel = "INSTANT",
        description = "only entries at or after this time, e.g. 2026-01-01T00:00:00Z or 2026-01-01")
    @Nullable String since;

    @Override
    public Integer call() {
      Instant from = since == null ? Instant.EPOCH : KeysCommand.instant(since, "--since");
      List<AuditEntry> entries = entries(cli().store(), accountId(), from);
      if (format == Format.CSV) {
        out().println(Csv.line("sequence", "at", "actor", "action", "key", "device", "outcome", "detail"));
      }
      for (AuditEntry e : entries) {
        out().println(format == Format.JSON ? json(e).toString()
            : Csv.line(e.sequence(), e.at(), e.actor(), e.action(), e.keyId() == null ? "" : e.keyId().value(),
                e.deviceSerial(), e.outcome(), e.detail()));
      }
      err().println(entries.size() + " audit entries of account " + account);
      return KeyseatCli.ExitCode.OK;
    }
  }
}
