package dev.keyseat.spring.boot;

import static dev.keyseat.spring.security.KeyseatApiKeyConfigurer.keyseat;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.jdbc.TestDatabases;
import dev.keyseat.spring.security.ApiKeyPrincipal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * A real Spring Boot application on a random port over a real PostgreSQL (the embedded one of
 * this JVM), with the starter's auto-configuration, Spring Security's filter chain with
 * {@code keyseat()}, Actuator and Micrometer, driven over HTTP by {@link HttpClient}.
 */
class KeyseatApplicationPostgresTest {
  private static final AccountId ACME = AccountId.of("acme");
  private static final Actor ADMIN = Actor.user("alice");
  private static final AtomicInteger DEVICES = new AtomicInteger();
  private static final int RATE_LIMIT = 20;

  private static ConfigurableApplicationContext app;
  private static URI base;
  private static KeyManager keys;
  private static ListAppender<ILoggingEvent> logs;
  private static final List<String> issued = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void startApplication() throws Exception {
    EmbeddedPostgres pg = TestDatabases.embeddedPostgres();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS boot_app");
      st.execute("CREATE DATABASE boot_app");
    }
    app = new SpringApplicationBuilder(App.class).properties(
        "server.port=0",
        "spring.datasource.url=" + pg.getJdbcUrl("postgres", "boot_app"),
        "spring.datasource.username=postgres",
        "keyseat.jdbc.initialize-schema=always",
        "spring.flyway.enabled=false",
        "keyseat.validator.rate-limit.requests=" + RATE_LIMIT,
        "keyseat.validator.rate-limit.period=1h",
        "management.endpoints.web.exposure.include=health,metrics",
        "management.endpoint.health.show-details=always",
        "logging.level.root=INFO").run();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    base = URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port"));
    keys = app.getBean(KeyManager.class);
    keys.createAccount(Actor.operator("ops"), ACME, new NewAccount("Acme Air", UserId.of("alice"), 50));
  }

  @AfterAll
  static void stopApplication() {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void theAutoConfiguredStoreIsTheJdbcStoreOnPostgres() {
    assertThat(app.getBean(JdbcKeyStore.class).toString()).contains("PostgreSQL");
  }

  @Test
  void aValidKeyInTheHeaderOrAsBearerTokenAuthenticatesWithAccountDeviceAndKeyId() throws Exception {
    IssuedKey key = newKey();
    HttpResponse<String> header = get("/whoami", "X-API-Key", key.secret().reveal());
    HttpResponse<String> bearer = get("/whoami", "Authorization", "Bearer " + key.secret().reveal());

    String expected = "acme " + key.key().deviceSerial() + " " + key.key().id().value();
    assertThat(header.statusCode()).isEqualTo(200);
    assertThat(header.body()).isEqualTo(expected);
    assertThat(bearer.body()).isEqualTo(expected);
  }

  @Test
  void aKeyInThePathMustBelongToTheDeviceOfThePath() throws Exception {
    IssuedKey key = newKey();
    IssuedKey other = newKey();

    HttpResponse<String> own = get("/devices/" + key.secret().reveal() + "/" + key.key().deviceSerial(), null, null);
    HttpResponse<String> foreign = get("/devices/" + key.secret().reveal() + "/" + other.key().deviceSerial(), null,
        null);

    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body()).isEqualTo(key.key().deviceSerial());
    assertProblem(foreign, 403, "DEVICE_MISMATCH");
    assertThat(foreign.body()).doesNotContain(key.secret().reveal());
  }

  @Test
  void everyRefusalHasItsStatusAndProblemBody() throws Exception {
    assertProblem(get("/whoami", null, null), 401, null);
    assertProblem(get("/whoami", "X-API-Key", "not-a-key"), 401, "MALFORMED");
    String made = newKey().secret().reveal();
    // One character changed (never to itself, which would leave the key valid): the checksum fails.
    char typo = made.charAt(3) == '0' ? '1' : '0';
    String unknown = made.substring(0, 3) + typo + made.substring(4);
    assertProblem(get("/whoami", "X-API-Key", unknown), 401, "MALFORMED");

    IssuedKey regenerated = newKey();
    IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, regenerated.key().id());
    issued.add(fresh.secret().reveal());
    assertProblem(get("/whoami", "X-API-Key", regenerated.secret().reveal()), 401, "REVOKED");
    assertThat(get("/whoami", "X-API-Key", fresh.secret().reveal()).statusCode()).isEqualTo(200);

    IssuedKey suspended = newKey();
    keys.editKey(ADMIN, ACME, suspended.key().id(), KeyEdit.suspend());
    assertProblem(get("/whoami", "X-API-Key", suspended.secret().reveal()), 403, "SUSPENDED");
  }

  @Test
  void aKeyDeletedThroughTheKeyManagerIsRefusedAtOnce() throws Exception {
    IssuedKey key = newKey();
    assertThat(get("/whoami", "X-API-Key", key.secret().reveal()).statusCode()).isEqualTo(200);

    keys.deleteKey(ADMIN, ACME, key.key().id());

    assertProblem(get("/whoami", "X-API-Key", key.secret().reveal()), 401, "UNKNOWN");
  }

  @Test
  void pastTheRateLimitA429WithRetryAfter() throws Exception {
    IssuedKey key = newKey();
    for (int i = 0; i < RATE_LIMIT; i++) {
      assertThat(get("/whoami", "X-API-Key", key.secret().reveal()).statusCode()).isEqualTo(200);
    }
    HttpResponse<String> limited = get("/whoami", "X-API-Key", key.secret().reveal());

    assertProblem(limited, 429, "RATE_LIMITED");
    assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 3600L);
  }

  @Test
  void metricsAndHealthReadBackFromTheActuator() throws Exception {
    IssuedKey key = newKey();
    double before = metric("keyseat.validations", "verdict:valid");
    get("/whoami", "X-API-Key", key.secret().reveal());
    get("/whoami", "X-API-Key", key.secret().reveal());
    keys.licenseUsage(ADMIN, ACME);

    assertThat(metric("keyseat.validations", "verdict:valid")).isEqualTo(before + 2);
    assertThat(metric("keyseat.management", "operation:licenseUsage")).isGreaterThanOrEqualTo(1);
    assertThat(metric("keyseat.validator.cache.size", null)).isGreaterThanOrEqualTo(1);
    assertThat(metric("keyseat.validator.feed.lag", null)).isBetween(0.0, 30.0);

    HttpResponse<String> health = get("/actuator/health", null, null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).containsPattern("\"keyseat\":\\{\"details\":\\{[^}]*\"cachedEntries\":\\d+")
        .containsPattern("\"keyseat\":\\{[^}]*\\}[^}]*\"status\":\"UP\"").contains("\"feedLag\":\"PT");
  }

  @Test
  void noLogLineHoldsAKey() throws Exception {
    IssuedKey key = newKey();
    get("/whoami", "X-API-Key", key.secret().reveal());
    get("/devices/" + key.secret().reveal() + "/nope", null, null);
    get("/no-such-page", "X-API-Key", key.secret().reveal() + "x");
    keys.deleteKey(ADMIN, ACME, key.key().id());
    get("/whoami", "X-API-Key", key.secret().reveal());

    List<String> secrets = new ArrayList<>(issued);
    assertThat(logs.list).as("captured log events").isNotNull();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      StringBuilder text = new StringBuilder(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(' ').append(t.getMessage());
      }
      for (String s : secrets) {
        assertThat(text.toString()).as("log line of %s", e.getLoggerName()).doesNotContain(s);
      }
      assertThat(text.toString()).doesNotContainPattern("ks_[0-9A-Za-z]{27}");
    }
  }

  // ------------------------------------------------------------------ helpers

  private static synchronized IssuedKey newKey() {
    String serial = "PG-" + DEVICES.incrementAndGet();
    keys.associateDevice(ADMIN, ACME, new NewDevice(serial, "Monitor " + serial, "Indoor Air Monitor"));
    IssuedKey key = keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serial)).get(0);
    issued.add(key.secret().reveal());
    return key;
  }

  private HttpResponse<String> get(String path, String header, String value) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    if (header != null) {
      request.header(header, value);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private double metric(String name, String tag) throws Exception {
    HttpResponse<String> r = get("/actuator/metrics/" + name + (tag == null ? "" : "?tag=" + tag), null, null);
    assertThat(r.statusCode()).as("metric %s %s: %s", name, tag, r.body()).isEqualTo(200);
    Matcher m = Pattern.compile("\"statistic\":\"(?:COUNT|VALUE)\",\"value\":([-0-9.Ee]+)").matcher(r.body());
    assertThat(m.find()).as("a count or value in %s", r.body()).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static void assertProblem(HttpResponse<String> response, int status, String verdict) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(response.body()).contains("\"status\":" + status).contains("\"detail\":");
    if (verdict != null) {
      assertThat(response.body()).contains("\"verdict\":\"" + verdict + "\"");
    }
    for (String s : issued) {
      assertThat(response.body()).doesNotContain(s);
    }
  }

  // ------------------------------------------------------------------ the application

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Api.class)
  static class App {
    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
      // the README's snippet
      return http
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .authorizeHttpRequests(a -> a.requestMatchers("/actuator/**").permitAll().anyRequest().authenticated())
          .with(keyseat(), k -> k.keyInPath("/devices/{apiKey}/{serial}").bearerToken())
          .build();
    }
  }

  @RestController
  static class Api {
    @GetMapping("/whoami")
    String whoami(@AuthenticationPrincipal ApiKeyPrincipal principal) {
      return principal.accountId().value() + " " + principal.deviceSerial() + " " + principal.keyId().value();
    }

    @GetMapping("/devices/{apiKey}/{serial}")
    String device(@PathVariable("serial") String serial, @AuthenticationPrincipal ApiKeyPrincipal principal) {
      return principal.deviceSerial();
    }
  }
}
