package dev.keyseat.cli;

import java.util.concurrent.atomic.AtomicInteger;

/** Every command on an in-memory H2 database, a new one per test. */
class H2CliTest extends CliContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  String newDatabase() {
    return "jdbc:h2:mem:cli" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
  }

  @Override
  String user() {
    return "sa";
  }

  @Override
  String password() {
    return "";
  }

  @Override
  int largeImport() {
    return 50_000;
  }
}
