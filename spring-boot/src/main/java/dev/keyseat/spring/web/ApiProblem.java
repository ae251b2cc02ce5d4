package dev.keyseat.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The refusals of the REST API, each an RFC 9457 problem type with a stable {@code type} URI
 * ({@value #TYPE_BASE}{@code <slug>}), an HTTP status and a title. The page and other clients
 * branch on the slug, never on the detail text, which is written for administrators.
 */
enum ApiProblem {
  // each refusal of these types says what it is about
  LICENSE_LIMIT("license-limit", HttpStatus.CONFLICT, "Not enough free licenses"),
  DEVICE_HAS_KEY("device-has-key", HttpStatus.CONFLICT, "Device already has a key"),
  NOT_FOUND("not-found", HttpStatus.NOT_FOUND, "Not found"),
  ACCESS_DENIED("access-denied", HttpStatus.FORBIDDEN, "Not allowed"),
  INVALID_REQUEST("invalid-request", HttpStatus.BAD_REQUEST, "Invalid request"),
  SEAT_REUSE_LIMIT("seat-reuse-limit", HttpStatus.CONFLICT, "License reuse limit reached"),
  ALREADY_EXISTS("already-exists", HttpStatus.CONFLICT, "Already exists"),
  SECRET_NOT_RETAINED("secret-not-retained", HttpStatus.CONFLICT, "Secret not kept"),
  HOST_NOT_ALLOWED("host-not-allowed", HttpStatus.FORBIDDEN, "Host not allowed"),
  TOO_LARGE("too-large", HttpStatus.CONTENT_TOO_LARGE, "Request too large"),
  METHOD_NOT_ALLOWED("invalid-request", HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed"),
  // the API's refusals of these types always say the same: their standing detail
  LAST_ADMIN("last-admin", HttpStatus.CONFLICT, "Last administrator",
      "The account needs at least one administrator; make another member an administrator first."),
  STORE_UNAVAILABLE("store-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Temporarily unavailable",
      "API keys cannot be read or changed right now; nothing was changed. Try again in a moment."),
  UNAUTHENTICATED("unauthenticated", HttpStatus.UNAUTHORIZED, "Not signed in", "Sign in to manage API keys."),
  CONFLICT("conflict", HttpStatus.CONFLICT, "Conflicting change", "The request conflicts with the account's current "
      + "state (it may have changed meanwhile); nothing was changed. Reload the page and try again."),
  UNSUPPORTED_MEDIA_TYPE("invalid-request", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
      "Send the request body as application/json."),
  SERVER_ERROR("server-error", HttpStatus.INTERNAL_SERVER_ERROR, "Server error",
      "The server could not complete the request; the error was logged for its administrator.");

  /** The prefix of every {@code type}. */
  static final String TYPE_BASE = "https://keyseat.dev/problems/";
  /** The media type of every problem body. */
  static final String MEDIA_TYPE = "application/problem+json";

  final String slug;
  final HttpStatus status;
  final String title;
  /** The detail of a refusal of this type that needs no more words, or null if each says its own. */
  final @Nullable String standingDetail;

  ApiProblem(String slug, HttpStatus status, String title) {
    this(slug, status, title, null);
  }

  ApiProblem(String slug, HttpStatus status, String title, @Nullable String standingDetail) {
    this.slug = slug;
    this.status = status;
    this.title = title;
    this.standingDetail = standingDetail;
  }

  /** @return the {@code type} URI */
  URI type() {
    return URI.create(TYPE_BASE + slug);
  }

  /**
   * @param detail a sentence for an administrator, never a secret
   * @param instance the request path
   * @return the problem, for a controller advice
   */
  ProblemDetail detail(String detail, String instance) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
    p.setType(type());
    p.setTitle(title);
    p.setInstance(URI.create(instance));
    return p;
  }

  /**
   * Writes the problem from a servlet filter, outside Spring MVC (no message converters there).
   *
   * @param request the request, for the {@code instance} member
   * @param response the response, not yet committed
   * @param detail a sentence for an administrator that contains nothing the client sent
   * @throws IOException if the body cannot be written
   */
  void write(HttpServletRequest request, HttpServletResponse response, String detail) throws IOException {
    response.setStatus(status.value());
    response.setContentType(MEDIA_TYPE);
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.getWriter().write("{\"type\":\"" + escape(type().toString()) + "\",\"title\":\"" + escape(title)
        + "\",\"status\":" + status.value() + ",\"detail\":\"" + escape(detail) + "\",\"instance\":\""
        + escape(request.getRequestURI()) + "\"}");
  }

  /** JSON string content; also escapes {@code <}, {@code >} and {@code &}, so the body is inert in any HTML context. */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
