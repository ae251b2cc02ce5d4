package dev.keyseat.cli;

import dev.keyseat.AccountOverview;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code usage}: every account's licenses. */
@Command(name = "usage", mixinStandardHelpOptions = true,
    description = "Every open account: licenses used / total, and whether it is over its limit.")
final class UsageCommand extends CliCommand {
  @Option(names = "--format", defaultValue = "table", description = "table or csv (default table)")
  AccountsCommand.Format format;

  @Option(names = "--include-closed", description = "list closed accounts too")
  boolean includeClosed;

  @Override
  public Integer call() {
    Table t = new Table("account", "used", "total", "available", "over_limit");
    for (AccountOverview o : AccountsCommand.all(cli().manager(), cli().operator())) {
      if (o.account().closedAt() != null && !includeClosed) {
        continue;
      }
      t.row(o.account().id(), o.usage().used(), o.usage().total(), o.usage().available(),
          o.usage().overLimit() ? "yes" : "no");
    }
    t.print(out(), format);
    return KeyseatCli.ExitCode.OK;
  }
}
