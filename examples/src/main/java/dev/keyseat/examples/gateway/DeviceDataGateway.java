package dev.keyseat.examples.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.KeyManager;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A device-data API at the edge, in the style of an air-quality platform's public API, with every
 * request's key validated in-process:
 *
 * <ul>
 *   <li>{@code GET /last-measurements/{apiKey}/{serial}}
 *   <li>{@code GET /measurements-by-time/{apiKey}/{serial}/{from}/{to}} (epoch seconds, at most 24 h)
 * </ul>
 *
 * <p>Verdicts map to statuses: {@code MALFORMED}, {@code UNKNOWN} and {@code REVOKED} → 401;
 * {@code DEVICE_MISMATCH}, {@code SUSPENDED} and {@code EXPIRED} → 403; {@code RATE_LIMITED} → 429
 * with {@code Retry-After}; {@code UNAVAILABLE} → 503. Bodies are JSON. The key is never logged or
 * echoed.
 */
public final class DeviceDataGateway implements AutoCloseable {
  private static final Duration MAX_RANGE = Duration.ofHours(24);
  private static final long STEP_SECONDS = 300;

  private final HttpServer server;
  private final ExecutorService executor;
  private final KeyValidator validator;
  private final boolean validate;

  private DeviceDataGateway(HttpServer server, ExecutorService executor, KeyValidator validator, boolean validate) {
    this.server = server;
    this.executor = executor;
    this.validator = validator;
    this.validate = validate;
  }

  /**
   * Runs the gateway on a demo account: {@code [port [requestsPerHour]]}, by default port 8081 and
   * 6 requests per hour per device, as the reference platform's public API allows. Prints a
   * working key and example requests.
   */
  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8081;
    long perHour = args.length > 1 ? Long.parseLong(args[1]) : 6;
    Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    KeyManager keys = keyseat.manager();
    AccountId acme = AccountId.of("acme");
    keys.createAccount(Actor.operator("ops"), acme, new NewAccount("Acme Air", UserId.of("alice"), 5));
    Actor admin = Actor.user("alice");
    keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1002", "Kitchen", "Indoor Air Monitor"));
    String key = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001")).get(0).secret().reveal();

    CachedKeyValidator validator = keyseat.validator().rateLimit(perHour, Duration.ofHours(1)).build();
    DeviceDataGateway gateway = start(validator, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      validator.close();
    }));
    long now = Instant.now().getEpochSecond();
    System.out.println("Keyseat device-data gateway on " + gateway.baseUri() + " (" + perHour
        + " requests per hour per device; Ctrl+C stops it)");
    System.out.println("Demo key for AQ-1001 (shown once): " + key);
    System.out.println("  curl " + gateway.baseUri() + "/last-measurements/" + key + "/AQ-1001");
    System.out.println("  curl " + gateway.baseUri() + "/measurements-by-time/" + key + "/AQ-1001/" + (now - 3600)
        + "/" + now);
    System.out.println("  curl " + gateway.baseUri() + "/last-measurements/" + key + "/AQ-1002   (403: other device)");
  }

  /**
   * Starts the gateway.
   *
   * @param validator validates each request's key
   * @param address where to listen; port 0 picks a free port
   * @return the running gateway
   * @throws IOException if the address cannot be bound
   */
  public static DeviceDataGateway start(KeyValidator validator, InetSocketAddress address) throws IOException {
    return start(validator, address, true);
  }

  /**
   * Starts the gateway, optionally without validating keys: the baseline of the load driver that
   * measures validation's share of a request's cost. Never serve real traffic without validation.
   */
  static DeviceDataGateway start(KeyValidator validator, InetSocketAddress address, boolean validate)
      throws IOException {
    Objects.requireNonNull(validator, "validator");
    // Small JSON answers: without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to each
    // keep-alive request. Read once, when the JDK's server is first used.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer server = HttpServer.create(address, 1024);
    ExecutorService executor = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors() * 2));
    DeviceDataGateway gateway = new DeviceDataGateway(server, executor, validator, validate);
    server.createContext("/", gateway::handle);
    server.setExecutor(executor);
    server.start();
    return gateway;
  }

  /** @return the base address, e.g. {@code http://127.0.0.1:8081} */
  public URI baseUri() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  /** Stops accepting requests and ends the worker threads. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        send(exchange, 405, error("method not allowed"));
        return;
      }
      String[] parts = exchange.getRequestURI().getRawPath().split("/");
      // parts[0] is empty: the path starts with '/'
      if (parts.length == 4 && parts[1].equals("last-measurements")) {
        if (authorized(exchange, parts[2], parts[3])) {
          send(exchange, 200, measurement(parts[3], Instant.now().getEpochSecond() / STEP_SECONDS * STEP_SECONDS));
        }
      } else if (parts.length == 6 && parts[1].equals("measurements-by-time")) {
        long from;
        long to;
        try {
          from = Long.parseLong(parts[4]);
          to = Long.parseLong(parts[5]);
        } catch (NumberFormatException e) {
          send(exchange, 400, error("from and to must be epoch seconds"));
          return;
        }
        if (to < from || to - from > MAX_RANGE.toSeconds()) {
          send(exchange, 400, error("to must be after from, at most 24 hours later"));
          return;
        }
        if (authorized(exchange, parts[2], parts[3])) {
          StringBuilder body = new StringBuilder("[");
          for (long t = (from + STEP_SECONDS - 1) / STEP_SECONDS * STEP_SECONDS; t <= to; t += STEP_SECONDS) {
            body.append(body.length() > 1 ? "," : "").append(measurement(parts[3], t));
          }
          send(exchange, 200, body.append(']').toString());
        }
      } else {
        send(exchange, 404, error("no such resource"));
      }
    }
  }

  /** Validates the key for the device and answers the refusal itself; true if the request may go on. */
  private boolean authorized(HttpExchange exchange, String apiKey, String serial) throws IOException {
    if (!validate) {
      return true;
    }
    Verdict verdict = validator.validate(apiKey, serial);
    int status = switch (verdict.status()) {
      case VALID -> 200;
      case MALFORMED, UNKNOWN, REVOKED -> 401;
      case DEVICE_MISMATCH, SUSPENDED, EXPIRED -> 403;
      case RATE_LIMITED -> 429;
      case UNAVAILABLE -> 503;
    };
    if (status == 200) {
      return true;
    }
    if (verdict.retryAfter() != null) {
      long seconds = Math.max(1, (verdict.retryAfter().toMillis() + 999) / 1000);
      exchange.getResponseHeaders().set("Retry-After", Long.toString(seconds));
    }
    send(exchange, status, "{\"error\":\"" + verdict.status().name().toLowerCase(Locale.ROOT).replace('_', ' ')
        + "\",\"verdict\":\"" + verdict.status() + "\"}");
    return false;
  }

  /** A synthetic but stable measurement of a device at an instant. */
  static String measurement(String serial, long epochSecond) {
    long seed = serial.hashCode() * 0x9E3779B97F4A7C15L + epochSecond / STEP_SECONDS;
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    return String.format(Locale.ROOT,
        "{\"serial\":\"%s\",\"timestamp\":%d,\"temperature\":%.1f,\"humidity\":%.1f,\"co2\":%d,"
            + "\"pm25\":%.1f,\"pm10\":%.1f,\"vocs\":%d,\"pressure\":%.1f}",
        jsonSafe(serial), epochSecond, 19 + r.nextDouble(6), 30 + r.nextDouble(30), 400 + r.nextInt(900),
        r.nextDouble(35), r.nextDouble(50), 50 + r.nextInt(450), 990 + r.nextDouble(40));
  }

  private static String jsonSafe(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String error(String message) {
    return "{\"error\":\"" + message + "\"}";
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
