package dev.keyseat.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The refusals of the REST API, each an RFC 9457 problem type with a stable {@code type} URI
 * ({@value #TYPE_BASE}{@code <slug>}), an HTTP status and a title. The page and other clients
 * branch on the slug, never on the detail text, which is written for administrators.
 */
enum ApiProblem {
  LICENSE_LIMIT("license-limit", HttpStatus.CONFLICT, "Not enough free licenses"),
  DEVICE_HAS_KEY("device-has-key", HttpStatus.CONFLICT, "Device already has a key"),
  NOT_FOUND("not-found", HttpStatus.NOT_FOUND, "Not found"),
  ACCESS_DENIED("access-denied", HttpStatus.FORBIDDEN, "Not allowed"),
  INVALID_REQUEST("invalid-request", HttpStatus.BAD_REQUEST, "Invalid request"),
  SEAT_REUSE_LIMIT("seat-reuse-limit", HttpStatus.CONFLICT, "License reuse limit reached"),
  ALREADY_EXISTS("already-exists", HttpStatus.CONFLICT, "Already exists"),
  LAST_ADMIN("last-admin", HttpStatus.CONFLICT, "Last administrator"),
  SECRET_NOT_RETAINED("secret-not-retained", HttpStatus.CONFLICT, "Secret not kept"),
  STORE_UNAVAILABLE("store-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Temporarily unavailable"),
  UNAUTHENTICATED("unauthenticated", HttpStatus.UNAUTHORIZED, "Not signed in"),
  CONFLICT("conflict", HttpStatus.CONFLICT, "Conflicting change"),
  HOST_NOT_ALLOWED("host-not-allowed", HttpStatus.FORBIDDEN, "Host not allowed"),
  TOO_LARGE("too-large", HttpStatus.CONTENT_TOO_LARGE, "Request too large"),
  UNSUPPORTED_MEDIA_TYPE("invalid-request", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
  METHOD_NOT_ALLOWED("invalid-request", HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed"),
  SERVER_ERROR("server-error", HttpStatus.INTERNAL_SERVER_ERROR, "Server error");

  /** The prefix of every {@code type}. */
  static final String TYPE_BASE = "https://keyseat.dev/problems/";
  /** The media type of every problem body. */
  static final String MEDIA_TYPE = "application/problem+json";

  final String slug;
  final HttpStatus status;
  final String title;

  ApiProblem(String slug, HttpStatus status, String title) {
    this.slug = slug;
    this.status = status;
    this.title = title;
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
