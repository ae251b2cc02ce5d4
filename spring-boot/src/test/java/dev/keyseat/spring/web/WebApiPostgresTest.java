package dev.keyseat.spring.web;

import dev.keyseat.jdbc.TestDatabases;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;

/** The web API tests on PostgreSQL (the embedded server of this JVM). */
class WebApiPostgresTest extends WebApiTests {
  @Override
  String[] databaseProperties() throws Exception {
    EmbeddedPostgres pg = TestDatabases.embeddedPostgres();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS web_api");
      st.execute("CREATE DATABASE web_api");
    }
    return new String[] {"spring.datasource.url=" + pg.getJdbcUrl("postgres", "web_api"),
        "spring.datasource.username=postgres"};
  }
}
