package dev.keyseat.examples.portal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A real HTTP client for the portal's JSON API, signed in by the demo cookie. */
final class PortalClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  PortalClient(URI base) {
    this.base = base;
  }

  /** One response: status, headers and body text. */
  record Reply(int status, String body, HttpResponse<String> raw) {
    Map<String, Object> object() {
      return Json.parseObject(body);
    }

    List<Object> array() {
      return Json.parseArray(body);
    }

    String message() {
      return (String) object().get("message");
    }
  }

  Reply send(String method, String path, String user, String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
    if (user != null) {
      b.header("Cookie", AdminPortal.COOKIE + "=" + user);
    }
    if (json != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return send(b.build());
  }

  Reply send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r);
    } catch (IOException e) {
      throw new AssertionError("request failed: " + request, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  Reply get(String path, String user) {
    return send("GET", path, user, null);
  }

  Reply post(String path, String user, Object body) {
    return send("POST", path, user, body == null ? null : Json.write(body));
  }

  Reply patch(String path, String user, Object body) {
    return send("PATCH", path, user, Json.write(body));
  }

  Reply delete(String path, String user) {
    return send("DELETE", path, user, null);
  }

  /** Creates keys as {@code user}; returns the reply (201 with the issued keys, or a refusal). */
  Reply createKeys(String user, String... serials) {
    return post("/api/keys", user, Map.of("serials", List.of(serials)));
  }

  /** The usage as [used, available, total]. */
  List<Long> usage(String user) {
    Map<String, Object> u = get("/api/usage", user).object();
    return List.of((Long) u.get("used"), (Long) u.get("available"), (Long) u.get("total"));
  }
}
