package dev.keyseat.examples.portal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.keyseat.AccessDeniedException;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.Device;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.KeyseatException;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.Member;
import dev.keyseat.NewKeys;
import dev.keyseat.NotFoundException;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "API Keys" page of a device platform's admin portal, on the JDK's HTTP server: static HTML,
 * JavaScript and CSS from the class path, and a JSON API over {@link KeyManager}.
 *
 * <p>Sign-in is a demo: the browser picks one of {@link DemoAccount#USERS} and the server sets a
 * cookie naming that user. For every request the server turns the cookie into an {@link
 * Actor} and lets {@link KeyManager} decide what that user may do (R8); a {@link KeyseatException}
 * becomes a JSON error with status 400, 403, 404, 409 or 503 and the exception's message. A real
 * portal would put its own authentication in front of the same calls.
 *
 * <pre>{@code
 * try (AdminPortal portal = AdminPortal.start(0)) {   // the demo account, any free port
 *   System.out.println(portal.uri());
 * }
 * }</pre>
 *
 * <p>JSON API (all under {@code /api}, signed in by the cookie):
 *
 * <ul>
 *   <li>{@code GET/POST/DELETE /session}: who is signed in; sign in with {@code {"user":"alice"}};
 *       sign out.
 *   <li>{@code GET /usage}: {@code {"used","available","total","overLimit"}}.
 *   <li>{@code GET /devices}: the account's devices.
 *   <li>{@code GET /keys}: the keys table; {@code POST /keys} with {@code {"serials":[…],
 *       "label":"…"}} creates one key per device, all or nothing, and returns each secret once.
 *   <li>{@code POST /keys/{id}/regenerate}: a new secret, shown once.
 *   <li>{@code PATCH /keys/{id}} with any of {@code label}, {@code suspended}, {@code rebindTo}.
 *   <li>{@code DELETE /keys/{id}}: deletes the key and frees its license.
 * </ul>
 *
 * <p>The server binds to the loopback interface by default because the demo sign-in has no
 * password. Secrets appear only in the responses that create or regenerate a key; nothing here
 * logs a request or response body.
 */
public final class AdminPortal implements AutoCloseable {
  /** Name of the cookie that names the signed-in demo user. */
  public static final String COOKIE = "keyseat_demo_user";
  /** Port {@link #main} uses when none is given. */
  public static final int DEFAULT_PORT = 8080;

  private static final Logger log = LoggerFactory.getLogger(AdminPortal.class);
  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern KEY_PATH = Pattern.compile("/api/keys/([^/]+)(/regenerate)?");
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
      + " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private record Asset(String resource, String contentType) {}

  private static final Map<String, Asset> ASSETS = Map.of(
      "/", new Asset("index.html", "text/html; charset=utf-8"),
      "/app.js", new Asset("app.js", "text/javascript; charset=utf-8"),
      "/app.css", new Asset("app.css", "text/css; charset=utf-8"),
      "/favicon.svg", new Asset("favicon.svg", "image/svg+xml"));

  private final KeyManager keys;
  private final AccountId accountId;
  private final String accountName;
  private final Map<String, byte[]> assets;
  private final HttpServer server;
  private final ExecutorService executor;
  private final CountDownLatch closed = new CountDownLatch(1);

  private AdminPortal(Keyseat keyseat, AccountId accountId, String accountName, InetSocketAddress address)
      throws IOException {
    this.keys = keyseat.manager();
    this.accountId = accountId;
    this.accountName = accountName;
    this.assets = loadAssets();
    AtomicInteger threads = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "keyseat-portal-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.server = HttpServer.create(address, 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /**
   * Starts the portal on the loopback interface over a new in-memory store seeded with the {@link
   * DemoAccount}.
   *
   * @param port the port, or 0 for any free port
   * @return the running portal; close it to stop it
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static AdminPortal start(int port) {
    Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    DemoAccount.seed(keyseat);
    return start(keyseat, DemoAccount.ID, DemoAccount.NAME,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
  }

  /**
   * Starts the portal for one account of any Keyseat.
   *
   * @param keyseat the Keyseat whose manager answers every request
   * @param accountId the account the page manages
   * @param accountName the account's name for the page header
   * @param address where to listen; port 0 picks a free port
   * @return the running portal; close it to stop it
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static AdminPortal start(Keyseat keyseat, AccountId accountId, String accountName, InetSocketAddress address) {
    Objects.requireNonNull(keyseat, "keyseat");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(accountName, "accountName");
    Objects.requireNonNull(address, "address");
    try {
      return new AdminPortal(keyseat, accountId, accountName, address);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
  }

  /** @return the page's address, e.g. {@code http://127.0.0.1:8080/} */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /** @return the port the portal listens on */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops the server at once; requests in flight are cut off. Idempotent. */
  @Override
  public void close() {
    if (closed.getCount() == 0) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
    closed.countDown();
  }

  /**
   * Runs the portal with the demo account until the JVM is stopped (Ctrl+C).
   *
   * @param args optionally the port (default {@value #DEFAULT_PORT}; 0 for any free port)
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    int port = DEFAULT_PORT;
    if (args.length > 0) {
      try {
        port = Integer.parseInt(args[0]);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535 || args.length > 1) {
        System.err.println("usage: AdminPortal [port]   (0-65535, default " + DEFAULT_PORT + ")");
        System.exit(2);
      }
    }
    AdminPortal portal = start(port);
    Runtime.getRuntime().addShutdownHook(new Thread(portal::close, "keyseat-portal-stop"));
    System.out.println("Keyseat admin portal: " + portal.uri());
    System.out.println("Demo users: " + DemoAccount.USERS.stream()
        .map(u -> u.id() + " (" + u.role().name().toLowerCase(Locale.ROOT) + ")")
        .collect(Collectors.joining(", ")) + ". Press Ctrl+C to stop.");
    portal.closed.await();
  }

  // ---------------------------------------------------------------- HTTP plumbing

  private record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    static Response json(int status, Object value) {
      return new Response(status, "application/json; charset=utf-8",
          Json.write(value).getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static Response empty(int status) {
      return new Response(status, "", new byte[0], Map.of());
    }

    Response withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Response(status, contentType, body, h);
    }
  }

  /** A refusal of the HTTP layer itself (not signed in, bad method, body too large …). */
  private static final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  private void handle(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    try {
      Response response;
      try {
        response = path.startsWith("/api/") ? api(exchange, method, path) : asset(method, path);
      } catch (KeyseatException e) {
        response = error(e);
      } catch (HttpError e) {
        response = error(e.status, e.code, e.getMessage());
      } catch (Json.ParseException e) {
        response = error(400, "INVALID_JSON", e.getMessage());
      } catch (RuntimeException e) {
        log.error("{} {} failed", method, path, e);
        response = error(500, "INTERNAL_ERROR", "the portal failed unexpectedly; see its log");
      }
      send(exchange, response);
    } catch (IOException e) {
      log.debug("could not answer {} {}: {}", method, path, e.toString());
    } finally {
      exchange.close();
    }
  }

  private static void send(HttpExchange exchange, Response r) throws IOException {
    Headers h = exchange.getResponseHeaders();
    if (!r.contentType().isEmpty()) {
      h.set("Content-Type", r.contentType());
    }
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
    r.headers().forEach(h::set);
    boolean noBody = r.body().length == 0 || exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(r.status(), noBody ? -1 : r.body().length);
    if (!noBody) {
      exchange.getResponseBody().write(r.body());
    }
  }

  private Map<String, byte[]> loadAssets() throws IOException {
    Map<String, byte[]> loaded = new LinkedHashMap<>();
    for (Asset a : ASSETS.values()) {
      try (InputStream in = AdminPortal.class.getResourceAsStream("web/" + a.resource())) {
        if (in == null) {
          throw new IOException("missing class path resource web/" + a.resource());
        }
        loaded.put(a.resource(), in.readAllBytes());
      }
    }
    return Map.copyOf(loaded);
  }

  private Response asset(String method, String path) {
    Asset asset = ASSETS.get(path.equals("/index.html") ? "/" : path);
    if (asset == null) {
      throw new HttpError(404, "NOT_FOUND", "no such page: " + path);
    }
    requireMethod(method, "GET", "HEAD");
    return new Response(200, asset.contentType(), assets.get(asset.resource()), Map.of(
        "Cache-Control", "no-cache",
        "Content-Security-Policy", CSP));
  }

  private static void requireMethod(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    throw new HttpError(405, "METHOD_NOT_ALLOWED", method + " is not allowed here; use " + String.join(" or ", allowed));
  }

  // ---------------------------------------------------------------- JSON API

  private Response api(HttpExchange exchange, String method, String path) throws IOException {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      requireSameOrigin(exchange);
    }
    Response response = switch (path) {
      case "/api/session" -> switch (method) {
        case "GET" -> Response.json(200, session(cookieUser(exchange)));
        case "POST" -> signIn(body(exchange));
        case "DELETE" -> signOut();
        default -> throw notAllowed(method, "GET", "POST", "DELETE");
      };
      case "/api/usage" -> {
        requireMethod(method, "GET");
        yield Response.json(200, usageJson(keys.licenseUsage(actor(exchange), accountId)));
      }
      case "/api/devices" -> {
        requireMethod(method, "GET");
        yield Response.json(200, keys.devices(actor(exchange), accountId).stream().map(AdminPortal::deviceJson).toList());
      }
      case "/api/keys" -> switch (method) {
        case "GET" -> Response.json(200, keys.keys(actor(exchange), accountId).stream().map(AdminPortal::keyJson).toList());
        case "POST" -> createKeys(actor(exchange), body(exchange));
        default -> throw notAllowed(method, "GET", "POST");
      };
      default -> keyRoute(exchange, method, path);
    };
    return response.withHeader("Cache-Control", "no-store");
  }

  private Response keyRoute(HttpExchange exchange, String method, String path) throws IOException {
    Matcher m = KEY_PATH.matcher(path);
    if (!m.matches()) {
      throw new HttpError(404, "NOT_FOUND", "no such API: " + path);
    }
    boolean regenerate = m.group(2) != null;
    if (regenerate) {
      requireMethod(method, "POST");
      KeyId id = KeyId.of(m.group(1));
      Actor actor = actor(exchange);
      return Response.json(200, issuedJson(keys.regenerateKey(actor, accountId, id)));
    }
    switch (method) {
      case "PATCH": {
        KeyId id = KeyId.of(m.group(1));
        Actor actor = actor(exchange);
        return Response.json(200, keyJson(keys.editKey(actor, accountId, id, keyEdit(body(exchange)))));
      }
      case "DELETE": {
        KeyId id = KeyId.of(m.group(1));
        keys.deleteKey(actor(exchange), accountId, id);
        return Response.empty(204);
      }
      default:
        throw notAllowed(method, "PATCH", "DELETE");
    }
  }

  private static HttpError notAllowed(String method, String... allowed) {
    return new HttpError(405, "METHOD_NOT_ALLOWED", method + " is not allowed here; use " + String.join(" or ", allowed));
  }

  /**
   * The demo's only defence against cross-site requests besides the SameSite=Strict cookie: a
   * browser names the page's origin on every unsafe request, and it must be this server.
   */
  private static void requireSameOrigin(HttpExchange exchange) {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (origin != null && !origin.equals("http://" + host)) {
      throw new HttpError(403, "CROSS_ORIGIN", "cross-origin request refused: " + origin);
    }
  }

  private static @Nullable String cookieUser(HttpExchange exchange) {
    for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", List.of())) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) {
          String value = p.substring(COOKIE.length() + 1);
          return value.isEmpty() ? null : value;
        }
      }
    }
    return null;
  }

  /**
   * The caller as Keyseat sees it: a user named by the cookie. Whether that user may do anything
   * is decided by {@link KeyManager} alone.
   */
  private static Actor actor(HttpExchange exchange) {
    String user = cookieUser(exchange);
    if (user == null) {
      throw new HttpError(401, "SIGN_IN_REQUIRED", "sign in first: pick a demo user");
    }
    return Actor.user(user);
  }

  private static Map<String, Object> body(HttpExchange exchange) throws IOException {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send the request body as application/json");
    }
    byte[] bytes = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
    if (bytes.length > MAX_BODY) {
      throw new HttpError(413, "BODY_TOO_LARGE", "request bodies are limited to " + MAX_BODY + " bytes");
    }
    return Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
  }

  private Map<String, Object> session(@Nullable String userId) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("account", Map.of("id", accountId.value(), "name", accountName));
    s.put("demoUsers", DemoAccount.USERS.stream().map(u -> Map.of(
        "id", u.id(), "name", u.name(), "role", u.role().name())).toList());
    s.put("signedIn", userId != null);
    if (userId == null) {
      return s;
    }
    s.put("user", userId);
    s.put("name", DemoAccount.user(userId).map(DemoAccount.DemoUser::name).orElse(userId));
    // The role shown next to the name comes from Keyseat, like every decision.
    String role = null;
    try {
      Actor actor = Actor.user(userId);
      role = keys.members(actor, accountId).stream()
          .filter(m -> m.userId().value().equals(userId))
          .map(Member::role).map(Enum::name).findFirst().orElse(null);
    } catch (AccessDeniedException | InvalidRequestException e) {
      s.put("notice", e.getMessage());
    }
    s.put("role", role);
    return s;
  }

  private Response signIn(Map<String, Object> body) {
    onlyFields(body, Set.of("user"));
    Object user = body.get("user");
    Optional<DemoAccount.DemoUser> demo = user instanceof String u ? DemoAccount.user(u) : Optional.empty();
    if (demo.isEmpty()) {
      throw InvalidRequestException.of("user", "must be one of the demo users: "
          + DemoAccount.USERS.stream().map(DemoAccount.DemoUser::id).collect(Collectors.joining(", ")));
    }
    String id = demo.get().id();
    return Response.json(200, session(id))
        .withHeader("Set-Cookie", COOKIE + "=" + id + "; Path=/; HttpOnly; SameSite=Strict");
  }

  private static Response signOut() {
    return Response.empty(204)
        .withHeader("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  }

  private Response createKeys(Actor actor, Map<String, Object> body) {
    onlyFields(body, Set.of("serials", "label"));
    Object serials = body.get("serials");
    if (!(serials instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
      throw InvalidRequestException.of("serials", "must be an array of device serial numbers");
    }
    List<String> chosen = list.stream().map(String.class::cast).toList();
    String label = optionalString(body, "label");
    NewKeys command = NewKeys.forDevices(chosen).withLabel(label == null ? "" : label);
    List<Object> issued = new ArrayList<>();
    for (IssuedKey k : keys.createKeys(actor, accountId, command)) {
      issued.add(issuedJson(k));
    }
    return Response.json(201, Map.of("keys", issued));
  }

  private static KeyEdit keyEdit(Map<String, Object> body) {
    onlyFields(body, Set.of("label", "suspended", "rebindTo"));
    Object suspended = body.get("suspended");
    if (suspended != null && !(suspended instanceof Boolean)) {
      throw InvalidRequestException.of("suspended", "must be true or false");
    }
    return new KeyEdit(optionalString(body, "label"), null, false, (Boolean) suspended, optionalString(body, "rebindTo"));
  }

  private static @Nullable String optionalString(Map<String, Object> body, String field) {
    Object v = body.get(field);
    if (v != null && !(v instanceof String)) {
      throw InvalidRequestException.of(field, "must be a string");
    }
    return (String) v;
  }

  private static void onlyFields(Map<String, Object> body, Set<String> known) {
    List<InvalidRequestException.Violation> unknown = body.keySet().stream()
        .filter(k -> !known.contains(k)).sorted()
        .map(k -> new InvalidRequestException.Violation(k, "is not a known field; use " + String.join(", ", known.stream().sorted().toList())))
        .toList();
    if (!unknown.isEmpty()) {
      throw new InvalidRequestException(unknown);
    }
  }

  // ---------------------------------------------------------------- JSON shapes

  private static Map<String, Object> usageJson(LicenseUsage u) {
    return Map.of("used", u.used(), "available", u.available(), "total", u.total(), "overLimit", u.overLimit());
  }

  private static Map<String, Object> deviceJson(Device d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("serial", d.serial());
    m.put("name", d.name());
    m.put("model", d.model());
    m.put("associatedAt", d.associatedAt());
    return m;
  }

  private static Map<String, Object> keyJson(ApiKey k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", k.id().value());
    m.put("deviceSerial", k.deviceSerial());
    m.put("deviceName", k.deviceName());
    m.put("label", k.label());
    m.put("hint", k.hint());
    m.put("createdAt", k.createdAt());
    m.put("regeneratedAt", k.regeneratedAt());
    m.put("expiresAt", k.expiresAt());
    m.put("lastUsedAt", k.lastUsedAt());
    m.put("useCount", k.useCount());
    m.put("status", k.status());
    return m;
  }

  /** The one place a secret leaves the server: the answer to the create or regenerate call. */
  private static Map<String, Object> issuedJson(IssuedKey k) {
    return Map.of("key", keyJson(k.key()), "secret", k.secret().reveal());
  }

  /** Maps a refusal to its status and a JSON body with the exception's message and details. */
  private static Response error(KeyseatException e) {
    int status;
    if (e instanceof InvalidRequestException) {
      status = 400;
    } else if (e instanceof AccessDeniedException) {
      status = 403;
    } else if (e instanceof NotFoundException) {
      status = 404;
    } else if (e instanceof StoreUnavailableException) {
      status = 503;
    } else {
      // license limit, device already has a key, already exists, last admin, licenses in use,
      // secret not retained: the request conflicts with the account's current state
      status = 409;
    }
    String simple = e.getClass().getSimpleName().replaceFirst("Exception$", "");
    Map<String, Object> body = errorBody(status, simple.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT),
        e.getMessage());
    if (e instanceof LicenseLimitException l) {
      body.put("needed", l.needed());
      body.put("available", l.available());
      body.put("deviceSerials", l.deviceSerials());
    } else if (e instanceof DeviceAlreadyHasKeyException d) {
      body.put("deviceSerials", d.deviceSerials());
    } else if (e instanceof NotFoundException n) {
      body.put("kind", n.kind());
      body.put("ids", n.ids());
    } else if (e instanceof InvalidRequestException i) {
      body.put("violations", i.violations().stream()
          .map(v -> Map.of("field", v.field(), "message", v.message())).toList());
    }
    return Response.json(status, body);
  }

  private static Response error(int status, String code, String message) {
    return Response.json(status, errorBody(status, code, message));
  }

  private static Map<String, Object> errorBody(int status, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", status);
    body.put("error", code);
    body.put("message", message);
    return body;
  }
}
