package dev.keyseat.cli;

import dev.keyseat.AccountId;
import picocli.CommandLine.Parameters;

/** A leaf command about one existing account, named by its first parameter, {@code ACCOUNT}. */
abstract class AccountCommand extends CliCommand {
  @Parameters(index = "0", paramLabel = "ACCOUNT", description = "the account's id")
  String account;

  /** @return {@code ACCOUNT} as an account id; a malformed one is a usage error */
  AccountId accountId() {
    return AccountsCommand.accountId(account);
  }
}
