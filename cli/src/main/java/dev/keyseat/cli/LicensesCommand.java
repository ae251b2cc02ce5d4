package dev.keyseat.cli;

import dev.keyseat.LicenseUsage;
import dev.keyseat.OverLimitStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code licenses contract|cancel ACCOUNT N}. */
@Command(name = "licenses", mixinStandardHelpOptions = true, description = "An account's contracted licenses (R9).",
    subcommands = {LicensesCommand.Contract.class, LicensesCommand.Cancel.class})
final class LicensesCommand {

  static String usage(LicenseUsage u) {
    return u.used() + " used / " + u.total() + " total, " + u.available() + " available"
        + (u.overLimit() ? ", OVER LIMIT" : "");
  }

  @Command(name = "contract", mixinStandardHelpOptions = true, description = "Contracts N more licenses.")
  static final class Contract extends AccountCommand {
    @Parameters(index = "1", paramLabel = "N", description = "licenses to add")
    int quantity;

    @Override
    public Integer call() {
      LicenseUsage u = cli().manager().contractLicenses(cli().operator(), accountId(), quantity);
      out().println(account + ": contracted " + quantity + " licenses; now " + usage(u));
      return KeyseatCli.ExitCode.OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels N licenses; keys are never deleted.")
  static final class Cancel extends AccountCommand {
    @Parameters(index = "1", paramLabel = "N", description = "licenses to cancel")
    int quantity;

    @Option(names = "--strategy", defaultValue = "REJECT",
        description = "below the keys in use: REJECT (default), MARK_OVER_LIMIT or SUSPEND_NEWEST")
    OverLimitStrategy strategy;

    @Override
    public Integer call() {
      LicenseUsage u = cli().manager().cancelLicenses(cli().operator(), accountId(), quantity,
          strategy);
      out().println(account + ": cancelled " + quantity + " licenses (" + strategy + "); now " + usage(u));
      return KeyseatCli.ExitCode.OK;
    }
  }
}
