package dev.keyseat.examples.springportal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What the portal refuses, over plain HTTP: another host name (DNS rebinding), no session, a
 * forged session, the old demo's cookie naming a user, a change without the CSRF header; and what
 * a real sign-in gets.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"portal.demo-password=" + PortalHttpTest.PASSWORD, "spring.datasource.url=jdbc:h2:mem:portal-http;DB_CLOSE_DELAY=-1"})
class PortalHttpTest {
  static final String PASSWORD = "portal-http-test-password";
  private static final String ME = "/keyseat/api/accounts/acme/me";

  @LocalServerPort
  int port;

  private Http http;

  @BeforeEach
  void client() {
    http = new Http(URI.create("http://127.0.0.1:" + port));
  }

  @Test
  void aRequestForAnotherHostNameIsRefusedBeforeItReachesThePageOrTheApi() throws Exception {
    for (String target : new String[] {"/keyseat/", ME, "/login"}) {
      String response = Http.raw(port, "GET " + target + " HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
      assertThat(Http.status(response)).as("GET %s with Host: evil.example", target).isIn(400, 403);
      assertThat(response).doesNotContain("API Keys").doesNotContain("alice");
    }
    String allowed = Http.raw(port, "GET /login HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n");
    assertThat(Http.status(allowed)).isEqualTo(200);
  }

  @Test
  void withoutASessionThePageRedirectsToSignInAndTheApiAnswers401() throws Exception {
    HttpResponse<String> page = http.page("/keyseat/");
    assertThat(page.statusCode()).as("a browser's request for the page").isEqualTo(302);
    assertThat(page.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
    assertThat(http.get(ME).statusCode()).isEqualTo(401);
  }

  @Test
  void aForgedSessionCookieGetsNothing() throws Exception {
    String response = Http.raw(port, "GET " + ME + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Cookie: JSESSIONID=6F9B1C2D3E4F5A6B7C8D9E0F1A2B3C4D\r\nConnection: close\r\n\r\n");
    assertThat(Http.status(response)).isEqualTo(401);
    assertThat(response).doesNotContain("\"user\"");
  }

  @Test
  void theOldDemoCookieNamingAUserGetsNothing() throws Exception {
    String api = Http.raw(port, "GET " + ME + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: keyseat_demo_user=alice\r\n"
        + "Connection: close\r\n\r\n");
    assertThat(Http.status(api)).isEqualTo(401);
    String body = "{\"serials\":[\"AQ-1030\"]}";
    String create = Http.raw(port, "POST /keyseat/api/accounts/acme/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Cookie: keyseat_demo_user=alice\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
        + "\r\nConnection: close\r\n\r\n" + body);
    assertThat(Http.status(create)).isIn(401, 403);
    String page = Http.raw(port, "GET /keyseat/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: keyseat_demo_user=alice\r\n"
        + "Accept: text/html\r\nConnection: close\r\n\r\n");
    assertThat(Http.status(page)).isEqualTo(302);
  }

  @Test
  void aWrongPasswordIsRefused() throws Exception {
    HttpResponse<String> refused = http.signIn("alice", "not-the-password");
    assertThat(refused.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/login?error"));
    assertThat(http.get(ME).statusCode()).isEqualTo(401);
  }

  @Test
  void aSignedInAdminReadsTheApiAndAChangeNeedsTheCsrfHeader() throws Exception {
    HttpResponse<String> signedIn = http.signIn("alice", PASSWORD);
    assertThat(signedIn.statusCode()).isEqualTo(302);

    HttpResponse<String> me = http.get(ME);
    assertThat(me.statusCode()).isEqualTo(200);
    assertThat(me.body()).contains("\"user\":\"alice\"").contains("\"role\":\"ADMIN\"");
    HttpResponse<String> page = http.page("/keyseat/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<title>API Keys</title>");

    String body = "{\"serials\":[\"AQ-1040\"],\"label\":null,\"expiresAt\":null}";
    assertThat(http.send("POST", "/keyseat/api/accounts/acme/keys/preview", body, false).statusCode())
        .as("a change without X-XSRF-TOKEN").isEqualTo(403);
    HttpResponse<String> preview = http.send("POST", "/keyseat/api/accounts/acme/keys/preview", body, true);
    assertThat(preview.statusCode()).as(preview.body()).isEqualTo(200);
    assertThat(preview.body()).contains("\"allowed\":true");
  }
}
