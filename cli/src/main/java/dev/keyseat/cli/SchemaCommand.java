package dev.keyseat.cli;

import dev.keyseat.jdbc.JdbcKeyStore;
import javax.sql.DataSource;
import picocli.CommandLine.Command;

/** {@code schema migrate}. */
@Command(name = "schema", mixinStandardHelpOptions = true, description = "The Keyseat tables.",
    subcommands = SchemaCommand.Migrate.class)
final class SchemaCommand {

  @Command(name = "migrate", mixinStandardHelpOptions = true,
      description = "Creates the Keyseat tables if they are missing, applying exactly what the JDBC store applies"
          + " for createSchemaIfMissing (the schema shipped in keyseat-spi-jdbc). Safe to rerun.")
  static final class Migrate extends CliCommand {
    @Override
    public Integer call() {
      DataSource ds = cli().dataSource();
      boolean present;
      try {
        JdbcKeyStore.builder(ds).build();
        present = true;
      } catch (IllegalStateException missing) {
        present = false;
      }
      if (present) {
        out().println("the Keyseat schema is in place already; nothing to do");
      } else {
        // the store's own mechanism, never a copy of the DDL
        JdbcKeyStore.builder(ds).createSchemaIfMissing(true).build();
        out().println("created the Keyseat schema");
      }
      return KeyseatCli.ExitCode.OK;
    }
  }
}
