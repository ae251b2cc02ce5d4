package dev.keyseat.spring.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** {@link TestPostgres} for tests in other packages. */
public final class TestPostgresAccess {
  private TestPostgresAccess() {}

  /** @return the embedded PostgreSQL of this JVM */
  public static EmbeddedPostgres server() {
    return TestPostgres.server();
  }
}
