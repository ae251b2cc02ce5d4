package dev.keyseat.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.LicensePolicy;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every endpoint of the REST API (WEB-API contract), every status and every problem type a real
 * request can cause, over HTTP against a real Spring Boot application ({@link WebApiApp}) on a
 * random port. Subclasses run it on H2 and on PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WebApiTests {
  static final Actor OPERATOR = Actor.operator("ops");
  static final Actor ALICE = Actor.user("alice");
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  static final int MAX_BATCH = 50;
  private static final AtomicInteger ACCOUNTS = new AtomicInteger();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  ConfigurableApplicationContext app;
  URI base;
  int port;
  KeyManager keys;
  Keyseat keyseat;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  /** The account of the running test, with alice (admin), mona (manager), victor (viewer) and devices SN-1..SN-6. */
  String acct;

  /** @return the datasource properties of the database under test */
  abstract String[] databaseProperties() throws Exception;

  @BeforeAll
  void start() throws Exception {
    List<String> props = new ArrayList<>(List.of("server.port=0", "keyseat.web.enabled=true",
        "keyseat.validator.enabled=false", "keyseat.jdbc.initialize-schema=always", "spring.flyway.enabled=false",
        "keyseat.web.max-body-size=16KB", "keyseat.web.max-batch-size=" + MAX_BATCH, "logging.level.root=WARN"));
    props.addAll(List.of(databaseProperties()));
    app = new SpringApplicationBuilder(WebApiApp.class).properties(props.toArray(String[]::new)).run();
    port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    base = URI.create("http://127.0.0.1:" + port);
    keys = app.getBean(KeyManager.class);
    keyseat = app.getBean(Keyseat.class);
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  @BeforeEach
  void newAccount() {
    acct = "acme-" + ACCOUNTS.incrementAndGet();
    AccountId id = AccountId.of(acct);
    keys.createAccount(OPERATOR, id, new NewAccount("Acme Air", UserId.of("alice"), 5));
    keys.addMember(ALICE, id, UserId.of("mona"), Role.MANAGER);
    keys.addMember(ALICE, id, UserId.of("victor"), Role.VIEWER);
    for (int i = 1; i <= 6; i++) {
      keys.associateDevice(ALICE, id, new NewDevice(acct + "-SN-" + i, "Monitor " + i, "Indoor Air Monitor"));
    }
  }

  // ================================================================ account

  @Test
  void meNamesTheUserTheirRoleTheAccountAndWhetherSecretsCanBeCopied() throws Exception {
    JsonNode alice = json(send("GET", "/me", null, "alice"), 200);
    assertThat(alice.get("user").asString()).isEqualTo("alice");
    assertThat(alice.get("role").asString()).isEqualTo("ADMIN");
    assertThat(alice.get("account").asString()).isEqualTo(acct);
    assertThat(alice.get("vault").asBoolean()).isTrue();
    assertThat(json(send("GET", "/me", null, "mona"), 200).get("role").asString()).isEqualTo("MANAGER");
    assertThat(json(send("GET", "/me", null, "victor"), 200).get("role").asString()).isEqualTo("VIEWER");
    assertThat(json(send("GET", "/me", null, "ops"), 200).get("role").asString()).isEqualTo("OPERATOR");
    assertProblem(send("GET", "/me", null, "eve"), 403, "access-denied");
  }

  @Test
  void usageShowsUsedAvailableTotalAndTheNextEnd() throws Exception {
    create("alice", serial(1), serial(2));
    JsonNode u = json(send("GET", "/usage", null, "victor"), 200);
    assertThat(u.get("used").asInt()).isEqualTo(2);
    assertThat(u.get("available").asInt()).isEqualTo(3);
    assertThat(u.get("total").asInt()).isEqualTo(5);
    assertThat(u.get("ending").asInt()).isZero();
    assertThat(u.get("nextEnd").isNull()).isTrue();
  }

  @Test
  void membersListsEveryMemberWithTheirRole() throws Exception {
    JsonNode m = json(send("GET", "/members", null, "victor"), 200);
    assertThat(m.get("items").values().stream().map(i -> i.get("user").asString() + ":" + i.get("role").asString()))
        .containsExactly("alice:ADMIN", "mona:MANAGER", "victor:VIEWER");
  }

  @Test
  void theAuditLogPagesNewestFirstForAdminsOnly() throws Exception {
    create("alice", serial(1));
    JsonNode first = json(send("GET", "/audit?size=2", null, "alice"), 200);
    assertThat(first.get("items")).hasSize(2);
    assertThat(first.get("items").get(0).get("action").asString()).isEqualTo("CREATE_KEYS");
    assertThat(first.get("items").get(0).get("outcome").asString()).isEqualTo("SUCCESS");
    assertThat(first.get("items").get(0).get("actor").asString()).isEqualTo("user:alice");
    long next = first.get("next").asLong();
    JsonNode second = json(send("GET", "/audit?size=2&before=" + next, null, "alice"), 200);
    assertThat(second.get("items").get(0).get("sequence").asLong()).isLessThan(next);
    JsonNode all = json(send("GET", "/audit?size=200", null, "alice"), 200);
    assertThat(all.get("next").isNull()).isTrue();
    assertProblem(send("GET", "/audit", null, "victor"), 403, "access-denied");
    assertInvalid(send("GET", "/audit?size=0", null, "alice"), "size");
  }

  // ================================================================ keys

  @Test
  void createIssuesOneKeyPerDeviceWith201AndTheSecretsOnlyThere() throws Exception {
    HttpResponse<String> created = send("POST", "/keys",
        Map.of("serials", List.of(serial(1), serial(2)), "label", "lab", "expiresAt", "2030-01-01T00:00:00Z"), "alice");
    JsonNode body = json(created, 201);
    assertThat(body.get("keys")).hasSize(2);
    JsonNode k = body.get("keys").get(0);
    String secret = k.get("secret").asString();
    assertThat(secret).startsWith("ks_");
    assertThat(k.get("key").get("deviceSerial").asString()).isEqualTo(serial(1));
    assertThat(k.get("key").get("label").asString()).isEqualTo("lab");
    assertThat(k.get("key").get("expiresAt").asString()).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(k.get("key").get("status").asString()).isEqualTo("ACTIVE");
    assertThat(k.get("key").get("hint").asString()).isNotEmpty().isNotEqualTo(secret);
    assertThat(keyseat.storeValidator().validate(secret).status()).isEqualTo(Verdict.Status.VALID);

    HttpResponse<String> table = send("GET", "/keys", null, "alice");
    assertThat(table.body()).doesNotContain(secret).doesNotContain(secret.substring(3, 20));
    JsonNode page = json(table, 200);
    assertThat(page.get("total").asLong()).isEqualTo(2);
    assertThat(page.get("items").values().stream().map(i -> i.get("id").asString()))
        .containsExactlyInAnyOrder(k.get("key").get("id").asString(), body.get("keys").get(1).get("key").get("id")
            .asString());
  }

  @Test
  void createIsAllOrNothingAndNamesTheRefusal() throws Exception {
    create("alice", serial(1));
    HttpResponse<String> again = send("POST", "/keys", Map.of("serials", List.of(serial(1), serial(2))), "alice");
    JsonNode p = assertProblem(again, 409, "device-has-key");
    assertThat(p.get("detail").asString()).contains(serial(1)).contains("already has a key");
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isEqualTo(1);

    JsonNode missing = assertProblem(send("POST", "/keys", Map.of("serials", List.of("SN-NOPE")), "alice"), 404,
        "not-found");
    assertThat(missing.get("detail").asString()).contains("SN-NOPE");

    JsonNode limit = assertProblem(send("POST", "/keys",
        Map.of("serials", List.of(serial(2), serial(3), serial(4), serial(5), serial(6))), "alice"), 409, "license-limit");
    assertThat(limit.get("detail").asString()).isEqualTo("These 5 devices need 5 licenses; 4 are free. Delete unused "
        + "keys or ask your provider for more licenses.");
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isEqualTo(1);
  }

  @Test
  void previewSaysWhetherACreateWouldBeAllowedAndWhyNotWithoutWriting() throws Exception {
    create("alice", serial(1), serial(2), serial(3));
    JsonNode refused = json(send("POST", "/keys/preview", Map.of("serials", List.of(serial(4), serial(5), serial(6))),
        "alice"), 200);
    assertThat(refused.get("needed").asInt()).isEqualTo(3);
    assertThat(refused.get("available").asInt()).isEqualTo(2);
    assertThat(refused.get("allowed").asBoolean()).isFalse();
    assertThat(refused.get("reason").asString()).isEqualTo("These 3 devices need 3 licenses; 2 are free. Delete unused "
        + "keys or ask your provider for more licenses.");

    JsonNode ok = json(send("POST", "/keys/preview", Map.of("serials", List.of(serial(4))), "alice"), 200);
    assertThat(ok.get("allowed").asBoolean()).isTrue();
    assertThat(ok.get("reason").asString()).isEqualTo("This device needs 1 license; 2 are free.");
    JsonNode keyed = json(send("POST", "/keys/preview", Map.of("serials", List.of(serial(1))), "alice"), 200);
    assertThat(keyed.get("allowed").asBoolean()).isFalse();
    assertThat(keyed.get("reason").asString()).contains(serial(1)).contains("already has a key");
    JsonNode absent = json(send("POST", "/keys/preview", Map.of("serials", List.of("SN-NOPE")), "alice"), 200);
    assertThat(absent.get("reason").asString()).isEqualTo("Device SN-NOPE is not in this account.");
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).as("nothing written").isEqualTo(3);
    assertProblem(send("POST", "/keys/preview", Map.of("serials", List.of(serial(4))), "mona"), 403, "access-denied");
  }

  @Test
  void theKeysTableSearchesSortsAndPagesByCursor() throws Exception {
    create("alice", serial(1), serial(2), serial(3));
    JsonNode byName = json(send("GET", "/keys?sort=deviceName&dir=desc&size=2", null, "alice"), 200);
    assertThat(byName.get("total").asLong()).isEqualTo(3);
    assertThat(names(byName)).containsExactly("Monitor 3", "Monitor 2");
    String next = byName.get("next").asString();
    JsonNode rest = json(send("GET", "/keys?sort=deviceName&dir=desc&size=2&after=" + next, null, "alice"), 200);
    assertThat(names(rest)).containsExactly("Monitor 1");
    assertThat(rest.get("next").isNull()).isTrue();
    JsonNode found = json(send("GET", "/keys?q=monitor%202", null, "alice"), 200);
    assertThat(names(found)).containsExactly("Monitor 2");
    assertThat(found.get("total").asLong()).isEqualTo(1);
    assertInvalid(send("GET", "/keys?sort=colour", null, "alice"), "sort");
    assertInvalid(send("GET", "/keys?dir=up", null, "alice"), "dir");
    assertInvalid(send("GET", "/keys?size=0", null, "alice"), "size");
    assertInvalid(send("GET", "/keys?size=x", null, "alice"), "size");
    assertInvalid(send("GET", "/keys?sort=serial&after=" + next, null, "alice"), "after");
  }

  @Test
  void regenerateIssuesANewSecretInPlaceAndTheOldOneStops() throws Exception {
    JsonNode k = create("alice", serial(1)).get(0);
    String id = k.get("key").get("id").asString();
    String old = k.get("secret").asString();
    JsonNode regenerated = json(send("POST", "/keys/" + id + "/regenerate", Map.of("overlapSeconds", 0), "alice"), 200);
    String fresh = regenerated.get("secret").asString();
    assertThat(regenerated.get("key").get("id").asString()).isEqualTo(id);
    assertThat(fresh).isNotEqualTo(old);
    assertThat(keyseat.storeValidator().validate(old).status()).isEqualTo(Verdict.Status.REVOKED);
    assertThat(keyseat.storeValidator().validate(fresh).status()).isEqualTo(Verdict.Status.VALID);

    JsonNode overlapping = json(send("POST", "/keys/" + id + "/regenerate", Map.of("overlapSeconds", 3600), "alice"),
        200);
    assertThat(keyseat.storeValidator().validate(fresh).status()).as("planned rotation").isEqualTo(Verdict.Status.VALID);
    assertThat(overlapping.get("secret").asString()).isNotEqualTo(fresh);
    assertThat(json(send("POST", "/keys/" + id + "/regenerate", null, "alice"), 200).get("secret").asString())
        .startsWith("ks_");
    assertInvalid(send("POST", "/keys/" + id + "/regenerate", Map.of("overlapSeconds", -1), "alice"), "overlapSeconds");
    assertProblem(send("POST", "/keys/" + id + "/regenerate", null, "mona"), 403, "access-denied");
  }

  @Test
  void editChangesLabelExpirySuspensionAndDevice() throws Exception {
    String id = create("alice", serial(1)).get(0).get("key").get("id").asString();
    JsonNode labelled = json(send("PATCH", "/keys/" + id, Map.of("label", "north wing"), "alice"), 200);
    assertThat(labelled.get("label").asString()).isEqualTo("north wing");
    JsonNode expiring = json(send("PATCH", "/keys/" + id, Map.of("expiresAt", "2031-05-01T00:00:00Z"), "alice"), 200);
    assertThat(expiring.get("expiresAt").asString()).isEqualTo("2031-05-01T00:00:00Z");
    assertThat(json(send("PATCH", "/keys/" + id, Map.of("clearExpiry", true), "alice"), 200).get("expiresAt").isNull())
        .isTrue();
    assertThat(json(send("PATCH", "/keys/" + id, Map.of("suspended", true), "alice"), 200).get("status").asString())
        .isEqualTo("SUSPENDED");
    assertThat(json(send("PATCH", "/keys/" + id, Map.of("suspended", false), "alice"), 200).get("status").asString())
        .isEqualTo("ACTIVE");
    assertThat(json(send("PATCH", "/keys/" + id, Map.of("rebindTo", serial(2)), "alice"), 200).get("deviceSerial")
        .asString()).isEqualTo(serial(2));
    assertInvalid(send("PATCH", "/keys/" + id, Map.of(), "alice"), "body");
    assertInvalid(send("PATCH", "/keys/" + id, Map.of("expiresAt", "2001-01-01T00:00:00Z"), "alice"), "expiresAt");
    assertProblem(send("PATCH", "/keys/" + id, Map.of("label", "x"), "victor"), 403, "access-denied");
  }

  @Test
  void deleteAnswers204AndFreesTheLicense() throws Exception {
    String id = create("alice", serial(1)).get(0).get("key").get("id").asString();
    assertProblem(send("DELETE", "/keys/" + id, null, "mona"), 403, "access-denied");
    HttpResponse<String> deleted = send("DELETE", "/keys/" + id, null, "alice");
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isZero();
    JsonNode gone = assertProblem(send("DELETE", "/keys/" + id, null, "alice"), 404, "not-found");
    assertThat(gone.get("detail").asString()).startsWith("Key " + id + " was not found");
    assertInvalid(send("DELETE", "/keys/not-a-key-id", null, "alice"), "keyId");
  }

  @Test
  void revealCopiesAKeptSecretAnd409WhenTheSecretWasNotKept() throws Exception {
    JsonNode k = create("alice", serial(1)).get(0);
    String id = k.get("key").get("id").asString();
    JsonNode revealed = json(send("POST", "/keys/" + id + "/reveal", null, "alice"), 200);
    assertThat(revealed.get("secret").asString()).isEqualTo(k.get("secret").asString());

    // a key issued by a Keyseat without vault over the same store: its secret was shown once
    Keyseat noVault = Keyseat.builder(keyseat.store()).clock(WebApiApp.CLOCK).build();
    String unkept = noVault.manager().createKeys(ALICE, AccountId.of(acct), NewKeys.forDevices(serial(2))).get(0).key()
        .id().value();
    JsonNode p = assertProblem(send("POST", "/keys/" + unkept + "/reveal", null, "alice"), 409, "secret-not-retained");
    assertThat(p.get("detail").asString()).contains("Regenerate the key");
    assertProblem(send("POST", "/keys/" + id + "/reveal", null, "victor"), 403, "access-denied");
  }

  @Test
  void theStaleReviewListsKeysUnusedForTheGivenDays() throws Exception {
    List<JsonNode> made = create("alice", serial(1), serial(2));
    keyseat.storeValidator().validate(made.get(0).get("secret").asString());
    WebApiApp.CLOCK.advance(Duration.ofDays(10));
    keyseat.storeValidator().validate(made.get(1).get("secret").asString());
    JsonNode stale = json(send("GET", "/keys/stale?days=5", null, "alice"), 200);
    assertThat(stale.get("items").values().stream().map(i -> i.get("deviceSerial").asString()))
        .containsExactly(serial(1));
    assertThat(stale.get("total").asLong()).isEqualTo(1);
    assertThat(json(send("GET", "/keys/stale?days=90", null, "alice"), 200).get("items")).isEmpty();
    assertInvalid(send("GET", "/keys/stale?days=0", null, "alice"), "days");
    assertProblem(send("GET", "/keys/stale", null, "victor"), 403, "access-denied");
  }

  @Test
  void usageChartsGiveExactlyTheDaysAskedForOldestFirstWithZeros() throws Exception {
    List<JsonNode> made = create("alice", serial(1), serial(2));
    String a = made.get(0).get("secret").asString();
    WebApiApp.CLOCK.advance(Duration.ofDays(1));
    LocalDate first = LocalDate.ofInstant(WebApiApp.CLOCK.instant(), ZoneOffset.UTC);
    for (int i = 0; i < 3; i++) {
      keyseat.storeValidator().validate(a);
    }
    keyseat.storeValidator().validate(made.get(1).get("secret").asString());
    WebApiApp.CLOCK.advance(Duration.ofDays(2));
    keyseat.storeValidator().validate(a);
    String id = made.get(0).get("key").get("id").asString();

    JsonNode key = json(send("GET", "/keys/" + id + "/usage?days=4", null, "alice"), 200);
    assertThat(days(key)).containsExactly(first.minusDays(1) + "=0", first + "=3", first.plusDays(1) + "=0",
        first.plusDays(2) + "=1");
    assertThat(json(send("GET", "/keys/" + id + "/usage", null, "alice"), 200).get("days")).hasSize(30);
    JsonNode account = json(send("GET", "/usage/daily?days=3", null, "alice"), 200);
    assertThat(days(account)).containsExactly(first + "=4", first.plusDays(1) + "=0", first.plusDays(2) + "=1");
    assertInvalid(send("GET", "/usage/daily?days=0", null, "alice"), "days");
    assertInvalid(send("GET", "/keys/" + id + "/usage?days=400", null, "alice"), "days");
    assertProblem(send("GET", "/usage/daily", null, "mona"), 403, "access-denied");
    assertProblem(send("GET", "/keys/" + id + "/usage", null, "victor"), 403, "access-denied");
    assertProblem(send("GET", "/keys/key_00000000000000000000/usage", null, "alice"), 404, "not-found");
  }

  // ================================================================ devices

  @Test
  void devicesListSearchPageAndShowKeysToAdminsOnly() throws Exception {
    create("alice", serial(1));
    JsonNode all = json(send("GET", "/devices?size=4", null, "alice"), 200);
    assertThat(all.get("total").asLong()).isEqualTo(6);
    assertThat(all.get("items")).hasSize(4);
    assertThat(all.get("items").get(0).get("serial").asString()).isEqualTo(serial(1));
    assertThat(all.get("items").get(0).get("hasKey").asBoolean()).isTrue();
    assertThat(all.get("items").get(1).get("hasKey").asBoolean()).isFalse();
    assertThat(all.get("items").get(0).get("model").asString()).isEqualTo("Indoor Air Monitor");
    assertThat(json(send("GET", "/devices?size=4&page=1", null, "alice"), 200).get("items")).hasSize(2);
    JsonNode viewer = json(send("GET", "/devices?q=monitor%203", null, "victor"), 200);
    assertThat(viewer.get("items")).hasSize(1);
    assertThat(viewer.get("items").get(0).get("hasKey").isNull()).as("keys are for admins").isTrue();
    assertInvalid(send("GET", "/devices?page=-1", null, "alice"), "page");
  }

  @Test
  void managersAddAndRenameDevicesAndOnlyAdminsRemoveThem() throws Exception {
    String serial = acct + "-NEW";
    JsonNode added = json(send("POST", "/devices", Map.of("serial", serial, "name", "Lobby", "model", "M2"), "mona"), 201);
    assertThat(added.get("serial").asString()).isEqualTo(serial);
    assertThat(added.get("associatedAt").asString()).isNotEmpty();
    assertProblem(send("POST", "/devices", Map.of("serial", serial, "name", "Again"), "alice"), 409, "already-exists");
    assertProblem(send("POST", "/devices", Map.of("serial", acct + "-V", "name", "V"), "victor"), 403, "access-denied");
    JsonNode renamed = json(send("PATCH", "/devices/" + serial, Map.of("name", "Lobby east"), "mona"), 200);
    assertThat(renamed.get("name").asString()).isEqualTo("Lobby east");
    assertProblem(send("PATCH", "/devices/NOPE-1", Map.of("name", "x"), "mona"), 404, "not-found");
    assertProblem(send("DELETE", "/devices/" + serial, null, "mona"), 403, "access-denied");
    assertThat(send("DELETE", "/devices/" + serial, null, "alice").statusCode()).isEqualTo(204);
    assertThat(json(send("GET", "/devices", null, "alice"), 200).get("total").asLong()).isEqualTo(6);
  }

  // ================================================================ refusals

  @Test
  void viewersAndManagersAreRefusedKeyManagementWithAReadableSentence() throws Exception {
    for (String who : List.of("victor", "mona", "eve")) {
      JsonNode p = assertProblem(send("GET", "/keys", null, who), 403, "access-denied");
      assertThat(p.get("detail").asString())
          .isEqualTo("Your role in this account does not allow you to see the API keys of this account. Ask an "
              + "administrator of the account if you need it.");
      assertReadable(p);
      assertProblem(send("POST", "/keys", Map.of("serials", List.of(serial(1))), who), 403, "access-denied");
    }
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isZero();
  }

  @Test
  void withoutSignInEveryEndpointAnswers401Unauthenticated() throws Exception {
    for (String[] call : new String[][] {{"GET", "/keys"}, {"GET", "/me"}, {"POST", "/keys"}, {"DELETE", "/keys/x"}}) {
      HttpRequest.Builder b = request(call[0], path(call[1]), call[0].equals("GET") ? null : "{}");
      withCsrf(b);
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode p = assertProblem(r, 401, "unauthenticated");
      assertReadable(p);
    }
    HttpRequest.Builder wrong = request("GET", path("/me"), null).header("Authorization", basic("alice", "wrong"));
    assertProblem(http.send(wrong.build(), HttpResponse.BodyHandlers.ofString()), 401, "unauthenticated");
  }

  @Test
  void aChangeWithoutTheCsrfTokenIsRefused403AndAGetHandsOutTheToken() throws Exception {
    HttpRequest.Builder b = request("POST", path("/keys"), "{\"serials\":[\"" + serial(1) + "\"]}")
        .header("Authorization", basic("alice", WebApiApp.PASSWORD));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode p = assertProblem(r, 403, "access-denied");
    assertThat(p.get("detail").asString()).contains("CSRF");
    HttpRequest.Builder forged = request("POST", path("/keys"), "{\"serials\":[\"" + serial(1) + "\"]}")
        .header("Authorization", basic("alice", WebApiApp.PASSWORD)).header("Cookie", "XSRF-TOKEN=one")
        .header("X-XSRF-TOKEN", "another");
    assertProblem(http.send(forged.build(), HttpResponse.BodyHandlers.ofString()), 403, "access-denied");
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isZero();

    HttpResponse<String> get = send("GET", "/me", null, "alice");
    assertThat(get.headers().allValues("Set-Cookie")).anyMatch(c -> c.startsWith("XSRF-TOKEN=") && !c.contains("HttpOnly"));
  }

  @Test
  void aRequestForAnotherHostNameIsRefusedBeforeSignIn() throws Exception {
    for (String host : List.of("evil.example", "evil.example:" + port, "localhost.evil.example", "127.0.0.2")) {
      String raw = rawGet("/keyseat/api/accounts/" + acct + "/keys", host);
      assertThat(raw).startsWith("HTTP/1.1 403");
      assertThat(raw).contains("application/problem+json").contains("https://keyseat.dev/problems/host-not-allowed");
      assertThat(raw).doesNotContain("evil").doesNotContain("127.0.0.2");
    }
    assertThat(rawGet("/keyseat/api/accounts/" + acct + "/me", "localhost:" + port)).startsWith("HTTP/1.1 401");
    assertThat(rawGet("/keyseat/", "evil.example")).as("the page too").startsWith("HTTP/1.1 403");
  }

  @Test
  void hostileTextRoundTripsAsInertJsonData() throws Exception {
    JsonNode k = create("alice", Map.of("serials", List.of(serial(1)), "label", HOSTILE)).get(0);
    assertThat(k.get("key").get("label").asString()).isEqualTo(HOSTILE);
    HttpResponse<String> table = send("GET", "/keys?q=" + java.net.URLEncoder.encode("onerror", StandardCharsets.UTF_8),
        null, "alice");
    assertThat(table.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    assertThat(table.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(json(table, 200).get("items").get(0).get("label").asString()).isEqualTo(HOSTILE);
    JsonNode renamed = json(send("PATCH", "/devices/" + serial(2), Map.of("name", HOSTILE), "alice"), 200);
    assertThat(renamed.get("name").asString()).isEqualTo(HOSTILE);

    String bidi = "invoice\u202Efdp.exe";
    HttpResponse<String> refused = send("PATCH", "/keys/" + k.get("key").get("id").asString(), Map.of("label", bidi),
        "alice");
    JsonNode p = assertInvalid(refused, "label");
    assertThat(refused.body()).doesNotContain("\u202E");
    assertThat(p.get("errors").get(0).get("message").asString()).isNotBlank();
    JsonNode device = assertInvalid(send("POST", "/devices", Map.of("serial", acct + "-B", "name", bidi), "alice"),
        "name");
    assertReadable(device);
    // a search with hostile text is data too: nothing found, nothing echoed
    HttpResponse<String> search = send("GET", "/keys?q=" + java.net.URLEncoder.encode("\u202E<script>",
        StandardCharsets.UTF_8), null, "alice");
    assertThat(json(search, 200).get("total").asLong()).isZero();
  }

  @Test
  void twentyConcurrentCreatesForTheSameDevicesGiveExactlyOneSuccess() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        calls.add(pool.submit(() -> {
          go.await();
          return send("POST", "/keys", Map.of("serials", List.of(serial(1), serial(2))), "alice");
        }));
      }
      go.countDown();
      int created = 0;
      Set<String> refusals = new HashSet<>();
      for (Future<HttpResponse<String>> f : calls) {
        HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 201) {
          created++;
        } else {
          refusals.add(r.statusCode() + " " + json(r, 409).get("type").asString());
        }
      }
      assertThat(created).isEqualTo(1);
      assertThat(refusals).isNotEmpty().isSubsetOf("409 https://keyseat.dev/problems/device-has-key",
          "409 https://keyseat.dev/problems/license-limit");
      assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void bodiesAndBatchesOverTheLimitsAreRefusedClearly() throws Exception {
    List<String> many = IntStream.range(0, MAX_BATCH + 1).mapToObj(i -> "SN-" + i).toList();
    JsonNode batch = assertInvalid(send("POST", "/keys", Map.of("serials", many), "alice"), "serials");
    assertThat(batch.get("detail").asString()).contains("at most " + MAX_BATCH);
    String big = "x".repeat(17 * 1024);
    assertProblem(send("POST", "/keys", Map.of("serials", List.of(serial(1)), "label", big), "alice"), 413, "too-large");
    // without Content-Length (chunked), the limit holds while reading
    byte[] chunked = ("{\"serials\":[\"" + serial(1) + "\"],\"label\":\"" + big + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder b = HttpRequest.newBuilder(path("/keys")).header("Content-Type", "application/json")
        .header("Authorization", basic("alice", WebApiApp.PASSWORD))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(chunked)));
    withCsrf(b);
    assertProblem(http.send(b.build(), HttpResponse.BodyHandlers.ofString()), 413, "too-large");
    assertThat(json(send("GET", "/usage", null, "alice"), 200).get("used").asInt()).isZero();
  }

  @Test
  void malformedBodiesAndWrongMediaTypesAreInvalidRequests() throws Exception {
    HttpRequest.Builder b = request("POST", path("/keys"), "{\"serials\": [").header("Authorization",
        basic("alice", WebApiApp.PASSWORD));
    withCsrf(b);
    assertProblem(http.send(b.build(), HttpResponse.BodyHandlers.ofString()), 400, "invalid-request");
    HttpRequest.Builder text = HttpRequest.newBuilder(path("/keys")).header("Content-Type", "text/plain")
        .header("Authorization", basic("alice", WebApiApp.PASSWORD)).POST(HttpRequest.BodyPublishers.ofString("x"));
    withCsrf(text);
    assertProblem(http.send(text.build(), HttpResponse.BodyHandlers.ofString()), 415, "invalid-request");
    JsonNode empty = assertInvalid(send("POST", "/keys", Map.of("serials", List.of()), "alice"), "serials");
    assertReadable(empty);
    assertInvalid(send("POST", "/keys", Map.of("serials", List.of("bad serial!")), "alice"), "serials[0]");
    assertInvalid(send("GET", "/keys", null, "alice", "/keyseat/api/accounts/bad%20id"), "accountId");
    assertProblem(send("GET", "/keys", null, "alice", "/keyseat/api/accounts/nosuch"), 404, "not-found");
  }

  @Test
  void aSeatReuseLimitIsItsOwnProblem() throws Exception {
    keys.cancelLicenses(OPERATOR, AccountId.of(acct), 4); // one license left
    keys.setLicensePolicy(OPERATOR, AccountId.of(acct), LicensePolicy.DEFAULT.limitReassignments(1, Duration.ofDays(30)));
    String first = create("alice", serial(1)).get(0).get("key").get("id").asString();
    assertThat(send("DELETE", "/keys/" + first, null, "alice").statusCode()).isEqualTo(204);
    String second = create("alice", serial(2)).get(0).get("key").get("id").asString(); // the one reuse allowed
    assertThat(send("DELETE", "/keys/" + second, null, "alice").statusCode()).isEqualTo(204);

    JsonNode p = assertProblem(send("POST", "/keys", Map.of("serials", List.of(serial(3))), "alice"), 409,
        "seat-reuse-limit");
    assertReadable(p);
  }

  @Test
  void noSecretReachesTheLogEvenAtDebugLevel() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger web = (Logger) LoggerFactory.getLogger("org.springframework");
    Logger ours = (Logger) LoggerFactory.getLogger("dev.keyseat");
    Level webLevel = web.getLevel();
    Level ourLevel = ours.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    web.setLevel(Level.DEBUG);
    ours.setLevel(Level.DEBUG);
    List<String> secrets = new ArrayList<>();
    try {
      JsonNode k = create("alice", serial(1)).get(0);
      secrets.add(k.get("secret").asString());
      String id = k.get("key").get("id").asString();
      secrets.add(json(send("POST", "/keys/" + id + "/regenerate", null, "alice"), 200).get("secret").asString());
      secrets.add(json(send("POST", "/keys/" + id + "/reveal", null, "alice"), 200).get("secret").asString());
      send("POST", "/keys", Map.of("serials", List.of(serial(1))), "alice"); // refused: logged
    } finally {
      root.detachAppender(logs);
      web.setLevel(webLevel);
      ours.setLevel(ourLevel);
    }
    assertThat(logs.list).as("debug logging was on").isNotEmpty();
    for (ILoggingEvent e : logs.list) {
      StringBuilder text = new StringBuilder(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(' ').append(t.getMessage());
      }
      for (String s : secrets) {
        assertThat(text.toString()).as("log line of %s", e.getLoggerName()).doesNotContain(s)
            .doesNotContain(s.substring(3, 23));
      }
    }
  }

  // ================================================================ page and description

  @Test
  void thePageIsServedAtTheBasePath() throws Exception {
    HttpResponse<String> page = http.send(request("GET", base.resolve("/keyseat/"), null)
        .header("Authorization", basic("alice", WebApiApp.PASSWORD)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
    assertThat(page.body()).contains("<html");
    HttpResponse<String> bare = http.send(request("GET", base.resolve("/keyseat"), null)
        .header("Authorization", basic("alice", WebApiApp.PASSWORD)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(bare.statusCode()).isEqualTo(302);
    assertThat(bare.headers().firstValue("Location").orElseThrow()).endsWith("/keyseat/");
  }

  @Test
  void theOpenApiDescriptionListsExactlyTheControllersMappings() throws Exception {
    HttpResponse<String> r = http.send(request("GET", base.resolve("/keyseat/api/openapi.json"), null)
        .header("Authorization", basic("victor", WebApiApp.PASSWORD)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode doc = json(r, 200);
    assertThat(doc.get("openapi").asString()).startsWith("3.");
    assertThat(doc.get("servers").get(0).get("url").asString()).isEqualTo("/keyseat/api");
    Set<String> described = new HashSet<>();
    for (Map.Entry<String, JsonNode> p : doc.get("paths").properties()) {
      for (Map.Entry<String, JsonNode> m : p.getValue().properties()) {
        described.add(m.getKey().toUpperCase(java.util.Locale.ROOT) + " /keyseat/api" + p.getKey());
      }
    }
    Set<String> mapped = new HashSet<>();
    RequestMappingHandlerMapping mappings = app.getBean("requestMappingHandlerMapping",
        RequestMappingHandlerMapping.class);
    for (Map.Entry<RequestMappingInfo, HandlerMethod> e : mappings.getHandlerMethods().entrySet()) {
      Class<?> type = e.getValue().getBeanType();
      if (type == KeyseatApiController.class || type == OpenApiController.class) {
        for (String pattern : e.getKey().getPatternValues()) {
          e.getKey().getMethodsCondition().getMethods().forEach(m -> mapped.add(m.name() + " " + pattern));
        }
      }
    }
    assertThat(mapped).hasSize(19);
    assertThat(described).isEqualTo(mapped);
  }

  // ================================================================ helpers

  String serial(int i) {
    return acct + "-SN-" + i;
  }

  URI path(String rest) {
    return base.resolve("/keyseat/api/accounts/" + acct + rest);
  }

  List<JsonNode> create(String who, String... serials) throws Exception {
    return create(who, Map.of("serials", List.of(serials)));
  }

  List<JsonNode> create(String who, Map<String, ?> body) throws Exception {
    return json(send("POST", "/keys", body, who), 201).get("keys").values().stream().toList();
  }

  HttpResponse<String> send(String method, String rest, Object body, String user) throws Exception {
    return send(method, rest, body, user, "/keyseat/api/accounts/" + acct);
  }

  HttpResponse<String> send(String method, String rest, Object body, String user, String prefix) throws Exception {
    String json = body == null ? null : JSON.writeValueAsString(body);
    HttpRequest.Builder b = request(method, base.resolve(prefix + rest), json)
        .header("Authorization", basic(user, WebApiApp.PASSWORD));
    if (!method.equals("GET")) {
      withCsrf(b);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpRequest.Builder request(String method, URI uri, String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
  }

  /** What the page does: the token of cookie XSRF-TOKEN echoed in header X-XSRF-TOKEN. */
  static void withCsrf(HttpRequest.Builder b) {
    String token = UUID.randomUUID().toString();
    b.header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token);
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  String rawGet(String target, String host) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static JsonNode json(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("status of %s: %s", r.uri(), r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  static JsonNode assertProblem(HttpResponse<String> r, int status, String slug) {
    assertThat(r.statusCode()).as("status of %s %s: %s", r.request().method(), r.uri(), r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
    JsonNode p = JSON.readTree(r.body());
    assertThat(p.get("type").asString()).isEqualTo("https://keyseat.dev/problems/" + slug);
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("title").asString()).isNotBlank();
    assertThat(p.get("detail").asString()).isNotBlank();
    assertThat(p.get("instance").asString()).isEqualTo(r.uri().getRawPath());
    return p;
  }

  static JsonNode assertInvalid(HttpResponse<String> r, String field) {
    JsonNode p = assertProblem(r, 400, "invalid-request");
    assertThat(p.get("errors").values().stream().map(e -> e.get("field").asString()).toList()).as(r.body())
        .contains(field);
    return p;
  }

  /** Written for administrators: no class names, no "Keyseat said", no actor syntax. */
  static void assertReadable(JsonNode problem) {
    String d = problem.get("detail").asString();
    assertThat(d).doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z]").doesNotContain("Exception")
        .doesNotContain("Keyseat said").doesNotContain("user:").doesNotContain("dev.keyseat");
    assertThat(Character.isUpperCase(d.charAt(0))).as(d).isTrue();
    assertThat(d).endsWith(".");
  }

  static List<String> names(JsonNode page) {
    return page.get("items").values().stream().map(i -> i.get("deviceName").asString()).toList();
  }

  static List<String> days(JsonNode series) {
    return series.get("days").values().stream().map(d -> d.get("date").asString() + "=" + d.get("count").asLong())
        .collect(Collectors.toList());
  }
}
