package dev.keyseat.examples.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.inmemory.InMemoryKeyStore;
import dev.keyseat.testkit.InstrumentedKeyStore;
import dev.keyseat.testkit.ManualScheduler;
import dev.keyseat.testkit.MutableClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway over loopback with a real HTTP client: every status a verdict can lead to. */
class DeviceDataGatewayTest {
  private static final Actor OPS = Actor.operator("ops");
  private static final Actor ADMIN = Actor.user("alice");
  private static final AccountId ACME = AccountId.of("acme");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final InstrumentedKeyStore store = new InstrumentedKeyStore(new InMemoryKeyStore());
  private final Keyseat keyseat = Keyseat.builder(store).clock(clock).build();
  private final KeyManager keys = keyseat.manager();
  private final HttpClient http = HttpClient.newHttpClient();
  private CachedKeyValidator validator;
  private DeviceDataGateway gateway;
  private IssuedKey lobby;

  @BeforeEach
  void start() throws IOException {
    keys.createAccount(OPS, ACME, new NewAccount("Acme Air", UserId.of("alice"), 10));
    keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-1002", "Kitchen", "Indoor Air Monitor"));
    lobby = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1001")).get(0);
    validator = keyseat.validator()
        .scheduler(scheduler)
        .rateLimit(6, Duration.ofHours(1))
        .feedPollInterval(Duration.ofSeconds(1))
        .maxStaleness(Duration.ofSeconds(30))
        .build();
    gateway = DeviceDataGateway.start(validator, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  @AfterEach
  void stop() {
    gateway.close();
    validator.close();
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUri() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> last(String key, String serial) throws IOException, InterruptedException {
    return get("/last-measurements/" + key + "/" + serial);
  }

  @Test
  void aValidKeyGetsTheDevicesLastMeasurementAsJson() throws Exception {
    HttpResponse<String> r = last(lobby.secret().reveal(), "AQ-1001");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.body()).startsWith("{\"serial\":\"AQ-1001\",").contains("\"co2\":", "\"pm25\":", "\"vocs\":");
  }

  @Test
  void measurementsByTimeAreEveryFiveMinutesWithinTheRange() throws Exception {
    long from = Instant.parse("2026-03-01T08:00:00Z").getEpochSecond();
    HttpResponse<String> r = get("/measurements-by-time/" + lobby.secret().reveal() + "/AQ-1001/" + from + "/"
        + (from + 3600));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("[{").endsWith("}]");
    assertThat(r.body().split("\"timestamp\":", -1)).hasSize(13 + 1);
    assertThat(get("/measurements-by-time/" + lobby.secret().reveal() + "/AQ-1001/" + from + "/"
        + (from + 2 * 86_400)).statusCode()).isEqualTo(400);
  }

  @Test
  void malformedAndUnknownKeysAre401AndTheKeyIsNotEchoed() throws Exception {
    String secret = lobby.secret().reveal();
    char lastChar = secret.charAt(secret.length() - 1);
    HttpResponse<String> typo = last(secret.substring(0, secret.length() - 1) + (lastChar == 'x' ? 'y' : 'x'), "AQ-1001");
    assertThat(typo.statusCode()).isEqualTo(401);
    assertThat(typo.body()).contains("MALFORMED").doesNotContain(secret.substring(3, 20));
    assertThat(last("garbage", "AQ-1001").statusCode()).isEqualTo(401);

    IssuedKey other = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1002")).get(0);
    keys.deleteKey(ADMIN, ACME, other.key().id());
    HttpResponse<String> unknown = last(other.secret().reveal(), "AQ-1002");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).contains("UNKNOWN");
  }

  @Test
  void aKeyUsedForAnotherDeviceIs403() throws Exception {
    HttpResponse<String> r = last(lobby.secret().reveal(), "AQ-1002");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("DEVICE_MISMATCH");
  }

  @Test
  void suspendedAndExpiredKeysAre403() throws Exception {
    keys.editKey(ADMIN, ACME, lobby.key().id(), KeyEdit.suspend());
    assertThat(last(lobby.secret().reveal(), "AQ-1001").body()).contains("SUSPENDED");
    keys.editKey(ADMIN, ACME, lobby.key().id(), KeyEdit.resume().withExpiresAt(clock.instant().plusSeconds(60)));
    assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(200);

    scheduler.advance(Duration.ofSeconds(61)); // moves the clock and runs the feed poller on the way
    HttpResponse<String> r = last(lobby.secret().reveal(), "AQ-1001");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("EXPIRED");
  }

  @Test
  void theSeventhRequestWithinAnHourIs429WithRetryAfter() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).as("request %d", i + 1).isEqualTo(200);
    }
    HttpResponse<String> limited = last(lobby.secret().reveal(), "AQ-1001");
    assertThat(limited.statusCode()).isEqualTo(429);
    long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 600L);

    scheduler.advance(Duration.ofSeconds(retryAfter));
    assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(200);
  }

  @Test
  void aKeyRegeneratedOrDeletedWhileTheServerRunsIsRefusedOnTheNextRequest() throws Exception {
    String old = lobby.secret().reveal();
    assertThat(last(old, "AQ-1001").statusCode()).isEqualTo(200);

    IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, lobby.key().id());
    HttpResponse<String> revoked = last(old, "AQ-1001");
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(revoked.body()).contains("REVOKED");
    assertThat(last(renewed.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(200);

    keys.deleteKey(ADMIN, ACME, lobby.key().id());
    assertThat(last(renewed.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(401);
  }

  @Test
  void whenTheStoreIsGoneBeyondTheStalenessBoundRequestsAre503UntilItIsBack() throws Exception {
    assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(200);
    store.failAll(true);

    scheduler.advance(Duration.ofSeconds(10));
    assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).as("cached, within staleness").isEqualTo(200);

    scheduler.advance(Duration.ofSeconds(25));
    HttpResponse<String> down = last(lobby.secret().reveal(), "AQ-1001");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.body()).contains("UNAVAILABLE");

    store.failAll(false);
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(last(lobby.secret().reveal(), "AQ-1001").statusCode()).isEqualTo(200);
  }

  @Test
  void unknownPathsAndMethodsAreRefused() throws Exception {
    assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(
        URI.create(gateway.baseUri() + "/last-measurements/x/y")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }
}
