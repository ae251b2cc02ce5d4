package dev.keyseat.examples.springportal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The HTTP clients of the portal's tests: a signed-in session (cookies kept, the sign-in form
 * filled in as a browser would), and raw requests that send exactly the given bytes, for headers
 * {@link HttpClient} will not send ({@code Host}).
 */
final class Http {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\"[^>]*value=\"([^\"]+)\"");

  private final URI base;
  private final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
  private final HttpClient client;

  Http(URI base) {
    this.base = base;
    this.client = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** Signs in through the login form: GET it for its CSRF token, POST the credentials. */
  HttpResponse<String> signIn(String user, String password) throws IOException, InterruptedException {
    HttpResponse<String> form = get("/login");
    Matcher m = CSRF_FIELD.matcher(form.body());
    if (!m.find()) {
      throw new AssertionError("no _csrf field in the sign-in form: " + form.body());
    }
    String body = Map.of("username", user, "password", password, "_csrf", m.group(1)).entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return client.send(HttpRequest.newBuilder(base.resolve("/login")).timeout(TIMEOUT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A browser's GET of a page (it accepts HTML: without a session it is sent to the sign-in form). */
  HttpResponse<String> page(String path) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).header("Accept", "text/html").GET()
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A JSON request; with {@code csrf} the header the page sends, from the XSRF-TOKEN cookie. */
  HttpResponse<String> send(String method, String path, String json, boolean csrf) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT)
        .header("Content-Type", "application/json").header("Accept", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (csrf) {
      b.header("X-XSRF-TOKEN", cookie("XSRF-TOKEN"));
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  String cookie(String name) {
    return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name))
        .map(HttpCookie::getValue).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " cookie: " + cookies.getCookieStore().getCookies()));
  }

  /** A raw HTTP/1.1 exchange on a new connection: the status line and what follows it, as text. */
  static String raw(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** @return the status code of a raw response */
  static int status(String response) {
    return Integer.parseInt(response.substring(0, response.indexOf("\r\n")).split(" ")[1]);
  }
}
