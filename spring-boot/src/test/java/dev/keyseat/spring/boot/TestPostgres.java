package dev.keyseat.spring.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One embedded PostgreSQL 17 (Zonky, binaries from the Maven repository) per test JVM, started on
 * first use and stopped when the JVM exits; each test class creates its own databases in it.
 */
final class TestPostgres {
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  /** @return the server of this JVM */
  static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
      }
      EmbeddedPostgres started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException e) {
          // the JVM is ending; the server's directory is temporary
        }
      }));
    }
    return server;
  }
}
