package dev.keyseat.examples.springportal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.jdbc.TestDatabases;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The portal with {@code --spring.profiles.active=postgres} on a real PostgreSQL 17 (Zonky,
 * embedded in the test JVM): the tables are created, the demo account is seeded, and the page's API
 * answers a signed-in administrator.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "portal.demo-password=" + PortalPostgresTest.PASSWORD)
@ActiveProfiles("postgres")
class PortalPostgresTest {
  static final String PASSWORD = "portal-postgres-test-password";

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) {
    // the test JVM's one server; Zonky stops it when the JVM ends, after the cached context's pool
    EmbeddedPostgres postgres = TestDatabases.embeddedPostgres();
    registry.add("PORTAL_DATABASE_URL", () -> postgres.getJdbcUrl("postgres", "postgres"));
    registry.add("PORTAL_DATABASE_USER", () -> "postgres");
    registry.add("PORTAL_DATABASE_PASSWORD", () -> "");
  }

  @Test
  void theDemoAccountIsSeededInPostgresAndThePageAnswers() throws Exception {
    Http http = new Http(URI.create("http://127.0.0.1:" + port));
    assertThat(http.signIn("alice", PASSWORD).statusCode()).isEqualTo(302);

    HttpResponse<String> usage = http.get("/keyseat/api/accounts/acme/usage");
    assertThat(usage.statusCode()).as(usage.body()).isEqualTo(200);
    assertThat(usage.body()).contains("\"used\":24").contains("\"total\":35");
    HttpResponse<String> keys = http.get("/keyseat/api/accounts/acme/keys?sort=serial&dir=asc&size=20");
    assertThat(keys.body()).contains("\"total\":24").contains("\"next\":\"");
    assertThat(http.page("/keyseat/").body()).contains("<title>API Keys</title>");
  }
}
