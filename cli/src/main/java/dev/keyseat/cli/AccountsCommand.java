package dev.keyseat.cli;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AccountOverview;
import dev.keyseat.AccountPage;
import dev.keyseat.KeyManager;
import dev.keyseat.LicenseUsage;
import dev.keyseat.Member;
import dev.keyseat.NewAccount;
import dev.keyseat.NotFoundException;
import dev.keyseat.UserId;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code accounts create|list|show|close}. */
@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Customer accounts.",
    subcommands = {AccountsCommand.Create.class, AccountsCommand.ListAccounts.class, AccountsCommand.Show.class,
        AccountsCommand.Close.class})
final class AccountsCommand {

  /** Output formats of tables. */
  enum Format { TABLE, CSV }

  static AccountId accountId(String id) {
    try {
      return AccountId.of(id);
    } catch (IllegalArgumentException e) {
      throw new KeyseatCli.UsageFailure("ACCOUNT " + id + ": " + e.getMessage());
    }
  }

  /** Every account, page by page. */
  static List<AccountOverview> all(KeyManager manager, dev.keyseat.Actor operator) {
    List<AccountOverview> all = new ArrayList<>();
    AccountId after = null;
    do {
      AccountPage page = manager.accounts(operator, after, 1000);
      all.addAll(page.accounts());
      after = page.next();
    } while (after != null);
    return all;
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates an account with its first admin.")
  static final class Create extends CliCommand {
    @Parameters(index = "0", paramLabel = "ACCOUNT", description = "the new account's id")
    String id;

    @Option(names = "--name", required = true, description = "display name")
    String name;

    @Option(names = "--admin", required = true, paramLabel = "USER", description = "user id of the first admin")
    String admin;

    @Option(names = "--licenses", defaultValue = "0", description = "licenses contracted at once (default 0)")
    int licenses;

    @Override
    public Integer call() {
      Account a = cli().manager().createAccount(cli().operator(), accountId(id),
          new NewAccount(name, UserId.of(admin), licenses));
      out().println("created account " + a.id() + " (" + a.name() + ") with " + a.contractedLicenses()
          + " licenses, first admin " + admin);
      return KeyseatCli.ExitCode.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists every account, open and closed.")
  static final class ListAccounts extends CliCommand {
    @Option(names = "--format", defaultValue = "table", description = "table or csv (default table)")
    Format format;

    @Override
    public Integer call() {
      Table t = new Table("account", "name", "created", "licenses", "used", "status");
      for (AccountOverview o : all(cli().manager(), cli().operator())) {
        Account a = o.account();
        t.row(a.id(), a.name(), a.createdAt(), a.contractedLicenses(), o.usage().used(),
            a.closedAt() != null ? "closed " + a.closedAt() : o.usage().overLimit() ? "over limit" : "open");
      }
      t.print(out(), format);
      return KeyseatCli.ExitCode.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Shows one account: licenses, devices, members.")
  static final class Show extends AccountCommand {
    @Override
    public Integer call() {
      AccountId id = accountId();
      record Facts(Account account, int devices, int keys, List<Member> members) {}
      Facts f = cli().store().readAccount(id, tx -> tx.account()
          .map(a -> new Facts(a, tx.devices().size(), tx.keyCount(), tx.members()))
          .orElseThrow(() -> NotFoundException.of("account", id)));
      LicenseUsage usage = LicenseUsage.of(f.keys(), f.account().contractedLicenses());
      out().println("account:   " + f.account().id());
      out().println("name:      " + f.account().name());
      out().println("created:   " + f.account().createdAt());
      out().println("status:    " + (f.account().closedAt() != null ? "closed " + f.account().closedAt()
          : usage.overLimit() ? "over limit" : "open"));
      out().println("licenses:  " + usage.used() + " used / " + usage.total() + " total, " + usage.available()
          + " available");
      out().println("devices:   " + f.devices());
      for (Member m : f.members()) {
        out().println("member:    " + m.userId() + " " + m.role());
      }
      return KeyseatCli.ExitCode.OK;
    }
  }

  @Command(name = "close", mixinStandardHelpOptions = true,
      description = "Closes an account: devices dissociated, members removed, licenses cancelled, audit kept.")
  static final class Close extends AccountCommand {
    @Option(names = "--delete-keys", description = "delete the account's keys too (refused while it has keys otherwise)")
    boolean deleteKeys;

    @Override
    public Integer call() {
      Account a = cli().manager().closeAccount(cli().operator(), accountId(), deleteKeys);
      out().println("closed account " + a.id() + " at " + a.closedAt());
      return KeyseatCli.ExitCode.OK;
    }
  }
}
