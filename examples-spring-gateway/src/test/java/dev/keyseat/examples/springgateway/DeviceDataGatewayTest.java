package dev.keyseat.examples.springgateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.testkit.TestKeys;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Spring Boot gateway over loopback, in-process: both key placements, every refusal as JSON,
 * range checks that cannot overflow, request bounds, slow clients and a flood of unknown keys.
 */
class DeviceDataGatewayTest {
  private static final AccountId ACME = AccountId.of("acme");
  private static final Actor ADMIN = Actor.user("alice");
  private static ConfigurableApplicationContext app;
  private static int port;
  private static URI base;
  private static IssuedKey lobby;
  private static final List<String> secrets = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() {
    app = new SpringApplicationBuilder(DeviceDataGatewayApplication.class).run(
        "--server.port=0",
        "--spring.datasource.url=jdbc:h2:mem:gateway-test;DB_CLOSE_DELAY=-1",
        "--gateway.demo-account=false",
        "--keyseat.validator.rate-limit.requests=0",
        "--server.tomcat.connection-timeout=1s",
        "--logging.level.root=WARN");
    port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    base = URI.create("http://127.0.0.1:" + port);
    KeyManager keys = app.getBean(KeyManager.class);
    keys.createAccount(Actor.operator("ops"), ACME, new NewAccount("Acme Air", UserId.of("alice"), 5));
    keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-1002", "Kitchen", "Indoor Air Monitor"));
    lobby = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1001")).get(0);
    secrets.add(lobby.secret().reveal());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void theKeyInThePathOrInTheHeaderGivesTheDevicesMeasurements() throws Exception {
    HttpResponse<String> path = get("/last-measurements/" + key() + "/AQ-1001", null);
    HttpResponse<String> header = get("/last-measurements/AQ-1001", key());
    long now = Instant.now().getEpochSecond();
    HttpResponse<String> range = get("/measurements-by-time/AQ-1001/" + (now - 3600) + "/" + now, key());

    assertThat(path.statusCode()).isEqualTo(200);
    assertThat(path.body()).startsWith("{\"serial\":\"AQ-1001\"");
    assertThat(header.statusCode()).isEqualTo(200);
    assertThat(range.statusCode()).isEqualTo(200);
    assertThat(range.body().split("\\{").length - 1).isBetween(12, 13);
  }

  @Test
  void refusalsAreProblemDetailsWithoutTheKey() throws Exception {
    assertProblem(get("/last-measurements/" + key() + "/AQ-1002", null), 403);
    assertProblem(get("/last-measurements/AQ-1002", key()), 403);
    assertProblem(get("/last-measurements/" + key().substring(0, key().length() - 1) + "0/AQ-1001", null), 401);
    assertProblem(get("/last-measurements/AQ-1001", null), 401);
    assertProblem(get("/no-such-thing/" + key(), null), 404);
  }

  @Test
  void anOverflowingOrTooLongRangeIsA400() throws Exception {
    String k = key();
    for (String range : List.of("-9000000000000000000/9000000000000000000", "-9e18/9e18", "0/9223372036854775807",
        "9000000000000000000/-9000000000000000000", "1000/999", "0/86401", "253402300800/253402300800", "x/1")) {
      HttpResponse<String> r = get("/measurements-by-time/" + k + "/AQ-1001/" + range, null);
      assertProblem(r, 400);
    }
    HttpResponse<String> day = get("/measurements-by-time/" + k + "/AQ-1001/0/86400", null);
    assertThat(day.statusCode()).isEqualTo(200);
    assertThat(day.body().split("\\{").length - 1).isEqualTo(289);
  }

  @Test
  void otherMethodsAre405WithAllowAndBodiesAre413() throws Exception {
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/last-measurements/AQ-1001"))
        .header("X-API-Key", key()).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertProblem(post, 405);
    assertThat(post.headers().firstValue("Allow").orElse("")).contains("GET");

    HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create(base + "/last-measurements/AQ-1001"))
        .header("X-API-Key", key()).method("GET", HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertProblem(big, 413);
  }

  @Test
  void malformedRequestsAndUrlsGetJsonErrors() throws Exception {
    for (String target : List.of("/last-measurements/%ZZ/AQ-1001", "/last-measurements/" + key() + "%2F/AQ-1001",
        "/last-measurements/a|b/AQ-1001", "/last-measurements/" + key() + "/AQ;1001", "/" + "a".repeat(20_000))) {
      try (RawHttp raw = new RawHttp(port)) {
        RawHttp.Response r = raw.get(target, null);
        assertThat(r.status()).as("GET %s", target.length() > 80 ? target.substring(0, 80) + "…" : target)
            .isBetween(400, 499);
        assertThat(r.headers().get("content-type")).as("%s: %s", target, r.body()).startsWith("application/");
        assertThat(r.body()).startsWith("{").contains("\"status\":" + r.status()).doesNotContain(key());
      }
    }
  }

  /** Four connections that send one byte each, then nothing: a fifth request is served at once. */
  @Test
  void slowClientsDoNotBlockAFifthRequestAndAreDroppedAfterTheReadTimeout() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.getOutputStream().write('G');
        s.getOutputStream().flush();
        slow.add(s);
      }
      long start = System.nanoTime();
      HttpResponse<String> fifth = get("/last-measurements/AQ-1001", key());
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(fifth.statusCode()).isEqualTo(200);
      assertThat(millis).as("the fifth request's time, ms").isLessThan(5_000);
      for (Socket s : slow) {
        s.setSoTimeout(15_000); // the server's read timeout is 1 s here; 15 s only bounds a broken one
        InputStream in = s.getInputStream();
        try {
          byte[] rest = in.readAllBytes(); // ends when the server closes the connection
          assertThat(new String(rest, StandardCharsets.ISO_8859_1)).doesNotContain("200 OK");
        } catch (SocketTimeoutException e) {
          throw new AssertionError("the server kept a connection that sent one byte open for 15 s", e);
        }
      }
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  /**
   * A flood of 100,000 well-formed keys that no store issued, from three connections, while a
   * fourth asks with a valid key once per 25 of them: the valid key's latency stays low (the figure is printed; the
   * bound asserted is generous, so that a loaded machine cannot fail it). Bounded in requests and
   * in time; loopback only.
   */
  @Test
  void aFloodOfUnknownKeysLeavesAValidKeysLatencyLow() throws Exception {
    int floodRequests = 100_000;
    Duration cap = Duration.ofSeconds(40);
    java.util.concurrent.Semaphore probeTickets = new java.util.concurrent.Semaphore(0);
    long deadline = System.nanoTime() + cap.toNanos();
    AtomicInteger sent = new AtomicInteger();
    LongAdder unexpected = new LongAdder();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> flood = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < 3; t++) {
      int seed = t;
      flood.add(pool.submit(() -> {
        Random random = new Random(seed);
        try (RawHttp raw = new RawHttp(port)) {
          for (int n = sent.getAndIncrement(); n < floodRequests && System.nanoTime() < deadline;
              n = sent.getAndIncrement()) {
            if (n % 25 == 0) {
              probeTickets.release(); // one valid-key request per 25 flood requests
            }
            int status = raw.get("/last-measurements/AQ-1001", TestKeys.wellFormed("ks", random)).status();
            if (status != 401 && status != 503) {
              unexpected.increment();
            }
          }
        }
        return null;
      }));
    }
    List<Long> latencies = new ArrayList<>();
    int valid = 0;
    try (RawHttp raw = new RawHttp(port)) {
      while (!flood.stream().allMatch(Future::isDone)) {
        if (!probeTickets.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          continue;
        }
        long t0 = System.nanoTime();
        int status = raw.get("/last-measurements/AQ-1001", key()).status();
        latencies.add(System.nanoTime() - t0);
        valid += status == 200 ? 1 : 0;
      }
    }
    for (Future<?> f : flood) {
      f.get();
    }
    pool.shutdown();
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    double p50 = sorted[sorted.length / 2] / 1e6;
    double p99 = sorted[(int) (sorted.length * 0.99)] / 1e6;
    int flooded = Math.min(sent.get(), floodRequests);
    System.out.printf(Locale.ROOT, "gateway flood: %,d unknown keys in %.1f s (%,.0f/s) from 3 connections; valid key: "
        + "%,d requests, p50 %.2f ms, p99 %.2f ms, max %.1f ms%n", flooded, seconds, flooded / seconds,
        sorted.length, p50, p99, sorted[sorted.length - 1] / 1e6);

    assertThat(unexpected.sum()).as("flood answers other than 401/503").isZero();
    assertThat(valid).as("valid-key answers that were 200").isEqualTo(sorted.length);
    assertThat(flooded).as("unknown keys sent within %s", cap).isGreaterThanOrEqualTo(20_000);
    assertThat(p99).as("the valid key's p99 latency under the flood, ms").isLessThan(250);
  }

  // ------------------------------------------------------------------ helpers

  private static String key() {
    return lobby.secret().reveal();
  }

  private HttpResponse<String> get(String path, String headerKey) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET();
    if (headerKey != null) {
      b.header("X-API-Key", headerKey);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.uri().getPath().replace(key(), "<key>") + ": " + r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(r.body()).contains("\"status\":" + status);
    for (String s : secrets) {
      assertThat(r.body()).doesNotContain(s);
    }
  }

}
