package dev.keyseat.examples.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.Actor;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.validation.Verdict;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The portal's JSON API over real HTTP: what each demo user may do, and how refusals look. */
class AdminPortalApiTest {
  private static final String ADMIN = "alice";

  private Keyseat keyseat;
  private KeyValidator validator;
  private AdminPortal portal;
  private PortalClient client;

  @BeforeEach
  void start() {
    keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    DemoAccount.seed(keyseat);
    validator = keyseat.storeValidator();
    portal = AdminPortal.start(keyseat, DemoAccount.ID, DemoAccount.NAME,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    client = new PortalClient(portal.uri());
  }

  @AfterEach
  void stop() {
    portal.close();
  }

  @Test
  void theSeededAccountHasFiveLicensesSixDevicesAndOneKey() {
    assertThat(client.usage(ADMIN)).containsExactly(1L, 4L, 5L);
    assertThat(client.get("/api/devices", ADMIN).array()).hasSize(6);
    List<Object> keys = client.get("/api/keys", ADMIN).array();
    assertThat(keys).singleElement().satisfies(k -> {
      Map<?, ?> key = (Map<?, ?>) k;
      assertThat(key.get("deviceSerial")).isEqualTo("AQ-1001");
      assertThat(key.get("lastUsedAt")).isNotNull();
      assertThat(key.get("status")).isEqualTo("ACTIVE");
    });
  }

  @Test
  void signingInSetsAStrictHttpOnlyCookieNamingTheDemoUser() {
    PortalClient.Reply reply = client.post("/api/session", null, Map.of("user", "bob"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.raw().headers().firstValue("Set-Cookie")).hasValueSatisfying(c -> assertThat(c)
        .startsWith(AdminPortal.COOKIE + "=bob;").contains("HttpOnly").contains("SameSite=Strict"));
    assertThat(reply.object()).containsEntry("signedIn", true).containsEntry("role", "MANAGER");
    assertThat(client.get("/api/session", null).object()).containsEntry("signedIn", false);
    assertThat(client.post("/api/session", null, Map.of("user", "mallory")).status()).isEqualTo(400);
  }

  @Test
  void creatingKeysForTwoDevicesReturnsEachSecretOnceAndUsesTwoLicenses() {
    PortalClient.Reply created = client.createKeys(ADMIN, "AQ-1002", "AQ-1003");

    assertThat(created.status()).isEqualTo(201);
    List<?> issued = (List<?>) created.object().get("keys");
    assertThat(issued).hasSize(2);
    String first = secret(issued.get(0));
    String second = secret(issued.get(1));
    assertThat(first).startsWith("ks_").isNotEqualTo(second);
    assertThat(validator.validate(first, "AQ-1002").status()).isEqualTo(Verdict.Status.VALID);
    assertThat(validator.validate(second, "AQ-1003").status()).isEqualTo(Verdict.Status.VALID);

    PortalClient.Reply table = client.get("/api/keys", ADMIN);
    assertThat(table.array()).hasSize(3);
    assertThat(table.body()).doesNotContain(first).doesNotContain(second).doesNotContain("secret");
    assertThat(client.usage(ADMIN)).containsExactly(3L, 2L, 5L);
  }

  @Test
  void regeneratingKeepsTheKeyAndLicenseAndKillsTheOldSecret() {
    Map<?, ?> issued = (Map<?, ?>) ((List<?>) client.createKeys(ADMIN, "AQ-1002").object().get("keys")).get(0);
    String id = keyId(issued);
    String old = secret(issued);

    PortalClient.Reply regenerated = client.post("/api/keys/" + id + "/regenerate", ADMIN, null);

    assertThat(regenerated.status()).isEqualTo(200);
    String fresh = secret(regenerated.object());
    assertThat(keyId(regenerated.object())).isEqualTo(id);
    assertThat(fresh).isNotEqualTo(old);
    assertThat(validator.validate(fresh, "AQ-1002").status()).isEqualTo(Verdict.Status.VALID);
    assertThat(validator.validate(old, "AQ-1002").status()).isNotEqualTo(Verdict.Status.VALID);
    assertThat(client.usage(ADMIN)).containsExactly(2L, 3L, 5L);
  }

  @Test
  void deletingAKeyFreesItsLicenseForAnotherDevice() {
    PortalClient.Reply created = client.createKeys(ADMIN, "AQ-1002", "AQ-1003", "AQ-1004", "AQ-1005");
    assertThat(created.status()).isEqualTo(201);
    assertThat(client.usage(ADMIN)).containsExactly(5L, 0L, 5L);
    assertThat(client.createKeys(ADMIN, "AQ-1006").status()).isEqualTo(409);
    Map<?, ?> kitchen = (Map<?, ?>) ((List<?>) created.object().get("keys")).get(1);

    PortalClient.Reply deleted = client.delete("/api/keys/" + keyId(kitchen), ADMIN);

    assertThat(deleted.status()).isEqualTo(204);
    assertThat(client.usage(ADMIN)).containsExactly(4L, 1L, 5L);
    assertThat(validator.validate(secret(kitchen), "AQ-1003").status()).isNotEqualTo(Verdict.Status.VALID);
    assertThat(client.createKeys(ADMIN, "AQ-1006").status()).isEqualTo(201);
    assertThat(client.usage(ADMIN)).containsExactly(5L, 0L, 5L);
  }

  @Test
  void creatingMoreKeysThanFreeLicensesIsRefusedWithTheShortfallAndCreatesNothing() {
    PortalClient.Reply refused = client.createKeys(ADMIN, "AQ-1002", "AQ-1003", "AQ-1004", "AQ-1005", "AQ-1006");

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.object())
        .containsEntry("error", "LICENSE_LIMIT")
        .containsEntry("needed", 5L)
        .containsEntry("available", 4L);
    assertThat(refused.message()).contains("needs 5, 4 available");
    assertThat(client.usage(ADMIN)).containsExactly(1L, 4L, 5L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bob", "carol"})
  void managersAndViewersAreRefusedEveryKeyActionWith403AndNothingChanges(String user) {
    String lobbyKey = keyId((Map<?, ?>) client.get("/api/keys", ADMIN).array().get(0));
    String role = user.equals("bob") ? "MANAGER" : "VIEWER";

    List<PortalClient.Reply> replies = List.of(
        client.get("/api/keys", user),
        client.createKeys(user, "AQ-1002"),
        client.post("/api/keys/" + lobbyKey + "/regenerate", user, null),
        client.patch("/api/keys/" + lobbyKey, user, Map.of("suspended", true)),
        client.delete("/api/keys/" + lobbyKey, user));

    assertThat(replies).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.object()).containsEntry("error", "ACCESS_DENIED");
      assertThat(r.message()).contains("key management is not available to " + role);
    });
    // They may still read the usage banner, and nothing changed.
    assertThat(client.usage(user)).containsExactly(1L, 4L, 5L);
    assertThat(client.get("/api/keys", ADMIN).array()).singleElement()
        .satisfies(k -> assertThat(((Map<?, ?>) k).get("status")).isEqualTo("ACTIVE"));
  }

  @Test
  void aCookieNamingAStrangerIsRefusedByKeyseatAndNoCookieMeansSignIn() {
    PortalClient.Reply stranger = client.get("/api/keys", "mallory");
    assertThat(stranger.status()).isEqualTo(403);
    assertThat(stranger.message()).contains("access denied").doesNotContain("member");
    assertThat(client.get("/api/usage", "mallory").status()).isEqualTo(403);

    PortalClient.Reply anonymous = client.get("/api/keys", null);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.object()).containsEntry("error", "SIGN_IN_REQUIRED");
  }

  @Test
  void editingChangesLabelSuspensionAndDeviceButKeepsTheLicense() {
    Map<?, ?> issued = (Map<?, ?>) ((List<?>) client.createKeys(ADMIN, "AQ-1002").object().get("keys")).get(0);
    String id = keyId(issued);

    Map<String, Object> suspended = client.patch("/api/keys/" + id, ADMIN,
        Map.of("label", "meeting room sensor", "suspended", true)).object();
    assertThat(suspended).containsEntry("label", "meeting room sensor").containsEntry("status", "SUSPENDED");
    assertThat(validator.validate(secret(issued), "AQ-1002").status()).isEqualTo(Verdict.Status.SUSPENDED);

    Map<String, Object> moved = client.patch("/api/keys/" + id, ADMIN,
        Map.of("suspended", false, "rebindTo", "AQ-1006")).object();
    assertThat(moved).containsEntry("status", "ACTIVE").containsEntry("deviceSerial", "AQ-1006")
        .containsEntry("deviceName", "Rooftop");
    assertThat(validator.validate(secret(issued), "AQ-1006").status()).isEqualTo(Verdict.Status.VALID);
    assertThat(client.usage(ADMIN)).containsExactly(2L, 3L, 5L);

    PortalClient.Reply taken = client.patch("/api/keys/" + id, ADMIN, Map.of("rebindTo", "AQ-1001"));
    assertThat(taken.status()).isEqualTo(409);
    assertThat(taken.object()).containsEntry("error", "DEVICE_ALREADY_HAS_KEY")
        .containsEntry("deviceSerials", List.of("AQ-1001"));
  }

  @Test
  void refusalsMapToStatusCodesWithTheExceptionMessage() {
    PortalClient.Reply again = client.createKeys(ADMIN, "AQ-1001");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.message()).contains("already has a key").contains("AQ-1001");

    PortalClient.Reply unknownDevice = client.createKeys(ADMIN, "AQ-9999");
    assertThat(unknownDevice.status()).isEqualTo(404);
    assertThat(unknownDevice.message()).contains("AQ-9999");

    assertThat(client.delete("/api/keys/key_0000000000000000", ADMIN).status()).isEqualTo(404);
    assertThat(client.delete("/api/keys/not-a-key", ADMIN).status()).isEqualTo(400);

    PortalClient.Reply badSerial = client.createKeys(ADMIN, "bad serial!");
    assertThat(badSerial.status()).isEqualTo(400);
    assertThat(badSerial.object()).containsKey("violations");

    assertThat(client.send("POST", "/api/keys", ADMIN, "{\"serials\": [").status()).isEqualTo(400);
    assertThat(client.post("/api/keys", ADMIN, Map.of("serials", List.of("AQ-1002"), "colour", "red")).message())
        .contains("colour");
    assertThat(client.patch("/api/keys/" + keyId((Map<?, ?>) client.get("/api/keys", ADMIN).array().get(0)),
        ADMIN, Map.of()).status()).isEqualTo(400);
    assertThat(client.usage(ADMIN)).containsExactly(1L, 4L, 5L);
  }

  @Test
  void crossOriginWritesAreRefused() {
    HttpRequest forged = HttpRequest.newBuilder(portal.uri().resolve("/api/keys"))
        .header("Cookie", AdminPortal.COOKIE + "=" + ADMIN)
        .header("Origin", "http://evil.example")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"serials\":[\"AQ-1002\"]}"))
        .build();

    assertThat(client.send(forged).status()).isEqualTo(403);
    assertThat(client.usage(ADMIN)).containsExactly(1L, 4L, 5L);
  }

  @Test
  void thePageIsServedWithAContentSecurityPolicyAndApiRepliesAreNotCached() {
    PortalClient.Reply page = client.get("/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<title>API Keys");
    assertThat(page.raw().headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(csp -> assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe"));
    assertThat(client.get("/app.js", null).body()).doesNotContain(".innerHTML");
    assertThat(client.get("/api/usage", ADMIN).raw().headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(client.get("/nope", null).status()).isEqualTo(404);
  }

  @Test
  void stoppingThePortalClosesItsPort() {
    int port = portal.port();
    portal.close();
    PortalClient closed = new PortalClient(java.net.URI.create("http://127.0.0.1:" + port + "/"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> closed.get("/api/session", null))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void theDemoPortalStartsOnAnyFreeLoopbackPortWithTheSeededAccount() {
    try (AdminPortal demo = AdminPortal.start(0)) {
      assertThat(demo.port()).isPositive().isNotEqualTo(portal.port());
      assertThat(demo.uri()).hasToString("http://127.0.0.1:" + demo.port() + "/");
      assertThat(new PortalClient(demo.uri()).usage(ADMIN)).containsExactly(1L, 4L, 5L);
    }
  }

  @Test
  void keysCreatedOutsideThePortalShowUpInItsTable() {
    keyseat.manager().createKeys(Actor.user(ADMIN), DemoAccount.ID, NewKeys.forDevices("AQ-1005"));
    List<String> serials = client.get("/api/keys", ADMIN).array().stream()
        .map(k -> (String) ((Map<?, ?>) k).get("deviceSerial")).toList();
    assertThat(serials).containsExactly("AQ-1001", "AQ-1005");
  }

  private static String secret(Object issued) {
    return (String) ((Map<?, ?>) issued).get("secret");
  }

  private static String keyId(Map<?, ?> keyOrIssued) {
    Object key = keyOrIssued.containsKey("key") ? keyOrIssued.get("key") : keyOrIssued;
    return (String) ((Map<?, ?>) key).get("id");
  }
}
