package dev.keyseat.spring.security;

import dev.keyseat.validation.Verdict;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Refused requests as RFC 9457 problem details ({@code application/problem+json}):
 * {@code MALFORMED}, {@code UNKNOWN}, {@code REVOKED} and a missing key → 401;
 * {@code SUSPENDED}, {@code EXPIRED}, {@code DEVICE_MISMATCH} → 403; {@code RATE_LIMITED} → 429
 * with {@code Retry-After}; {@code UNAVAILABLE} → 503. The body names the verdict and never the key.
 */
public final class Problems {
  /** The media type of every body written here. */
  public static final String MEDIA_TYPE = "application/problem+json";

  private Problems() {}

  /**
   * @param status a refusal (anything but VALID)
   * @return the HTTP status that answers it
   */
  public static int httpStatus(Verdict.Status status) {
    return switch (status) {
      case VALID -> 200;
      case MALFORMED, UNKNOWN, REVOKED -> 401;
      case SUSPENDED, EXPIRED, DEVICE_MISMATCH -> 403;
      case RATE_LIMITED -> 429;
      case UNAVAILABLE -> 503;
    };
  }

  /**
   * Writes the refusal of a verdict.
   *
   * @param response the response, not yet committed
   * @param verdict a verdict that is not VALID
   * @throws IOException if the body cannot be written
   */
  public static void write(HttpServletResponse response, Verdict verdict) throws IOException {
    String detail = switch (verdict.status()) {
      case VALID -> throw new IllegalArgumentException("a valid key is not a problem");
      case MALFORMED -> "The API key is malformed: wrong shape or checksum.";
      case UNKNOWN -> "The API key is not known.";
      case REVOKED -> "The API key was replaced by a regenerated one.";
      case SUSPENDED -> "The API key is suspended.";
      case EXPIRED -> "The API key has expired.";
      case DEVICE_MISMATCH -> "The API key belongs to another device.";
      case RATE_LIMITED -> "The API key's rate limit is used up.";
      case UNAVAILABLE -> "API keys cannot be checked right now; retry later.";
    };
    int status = httpStatus(verdict.status());
    if (status == 401) {
      response.setHeader("WWW-Authenticate", "ApiKey");
    }
    Duration retry = verdict.retryAfter();
    if (retry != null) {
      response.setHeader("Retry-After", Long.toString(Math.max(1, (retry.toMillis() + 999) / 1000)));
    }
    write(response, status, detail, verdict.status().name());
  }

  /**
   * Writes a problem.
   *
   * @param response the response, not yet committed
   * @param status the HTTP status
   * @param detail a sentence for people; must not contain anything the client sent
   * @param verdict the verdict's name for the {@code verdict} member, or null for none
   * @throws IOException if the body cannot be written
   */
  public static void write(HttpServletResponse response, int status, String detail, @Nullable String verdict)
      throws IOException {
    response.setStatus(status);
    response.setContentType(MEDIA_TYPE);
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    // not flushed: the container then sends a Content-Length, and a later filter may still add headers
    response.getWriter().write(json(status, detail, verdict));
  }

  /**
   * @param status the HTTP status
   * @param detail a sentence for people
   * @param verdict the verdict's name, or null
   * @return the problem as JSON
   */
  public static String json(int status, String detail, @Nullable String verdict) {
    StringBuilder sb = new StringBuilder(160).append("{\"type\":\"about:blank\",\"title\":\"")
        .append(escape(title(status))).append("\",\"status\":").append(status)
        .append(",\"detail\":\"").append(escape(detail)).append('"');
    if (verdict != null) {
      sb.append(",\"verdict\":\"").append(escape(verdict.toUpperCase(Locale.ROOT))).append('"');
    }
    return sb.append('}').toString();
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Server Error" : "Error";
    };
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
