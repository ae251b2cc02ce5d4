package dev.keyseat.jdbc;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * Every suite of {@link DatabaseSuites}, on PostgreSQL and on H2. Reports name the database's
 * class and the suite ({@code JdbcSuitesTest.OnH2.KeyManagerContractTest › R1 quota: …}).
 */
class JdbcSuitesTest {

  /** The shared embedded PostgreSQL; 200 quota sequences. */
  @Nested
  @DisplayName("on PostgreSQL")
  @Tag(TestDatabases.POSTGRESQL_TAG)
  class OnPostgres extends DatabaseSuites {
    OnPostgres() {
      super(TestDatabases::postgres, "postgresql", 200);
    }
  }

  /** In-memory H2; 300 quota sequences. */
  @Nested
  @DisplayName("on H2")
  @Tag(TestDatabases.H2_TAG)
  class OnH2 extends DatabaseSuites {
    OnH2() {
      super(TestDatabases::h2, "h2", 300);
    }
  }
}
