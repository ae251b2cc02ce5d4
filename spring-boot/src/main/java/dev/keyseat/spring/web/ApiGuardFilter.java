package dev.keyseat.spring.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards every request under the base path before Spring Security and Spring MVC see it:
 * <ol>
 *   <li>the Host header must name an allowed host ({@code keyseat.web.allowed-hosts}), so that a
 *       page of another site whose name was rebound to this server's address (DNS rebinding)
 *       cannot drive the API with the user's cookies: 403 {@code host-not-allowed};
 *   <li>a request body may not exceed {@code keyseat.web.max-body-size}: 413 {@code too-large}, at
 *       once from a declared Content-Length, or while reading a body sent without one.
 * </ol>
 */
final class ApiGuardFilter extends OncePerRequestFilter {
  private final Set<String> allowedHosts;
  private final long maxBodyBytes;

  ApiGuardFilter(List<String> allowedHosts, long maxBodyBytes) {
    this.allowedHosts = allowedHosts.stream().map(ApiGuardFilter::normalize).collect(Collectors.toUnmodifiableSet());
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (!allowedHosts.contains(normalize(hostName(request)))) {
      // the refused name is not echoed: it is the attacker's text
      ApiProblem.HOST_NOT_ALLOWED.write(request, response, "This server does not answer to the host name this request "
          + "was sent to. Open the portal by its own address; the administrator of the server lists the allowed names "
          + "in keyseat.web.allowed-hosts.");
      return;
    }
    long declared = request.getContentLengthLong();
    if (declared > maxBodyBytes) {
      ApiProblem.TOO_LARGE.write(request, response, tooLarge());
      return;
    }
    chain.doFilter(declared >= 0 ? request : new LimitedRequest(request, maxBodyBytes), response);
  }

  String tooLarge() {
    return "The request body is larger than the " + maxBodyBytes + " bytes this server accepts; send fewer devices "
        + "per request.";
  }

  /** The Host header without its port ({@code [::1]:8080} → {@code [::1]}), else the server name. */
  static String hostName(HttpServletRequest request) {
    String host = request.getHeader("Host");
    if (host == null || host.isBlank()) {
      return request.getServerName();
    }
    host = host.strip();
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  private static String normalize(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // "localhost." is "localhost"
    }
    return h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h;
  }

  /** Thrown while reading a body without Content-Length past the limit; answered with 413. */
  static final class BodyTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    BodyTooLargeException() {
      super("request body too large");
    }
  }

  /** A request whose body stream fails once more than the limit was read. */
  private static final class LimitedRequest extends HttpServletRequestWrapper {
    private final long limit;
    private @Nullable ServletInputStream stream;

    LimitedRequest(HttpServletRequest request, long limit) {
      super(request);
      this.limit = limit;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        ServletInputStream in = super.getInputStream();
        stream = new ServletInputStream() {
          private long read;

          @Override
          public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
              count(1);
            }
            return b;
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0) {
              count(n);
            }
            return n;
          }

          private void count(int n) throws BodyTooLargeException {
            read += n;
            if (read > limit) {
              throw new BodyTooLargeException();
            }
          }

          @Override
          public boolean isFinished() {
            return in.isFinished();
          }

          @Override
          public boolean isReady() {
            return in.isReady();
          }

          @Override
          public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
          }
        };
      }
      return stream;
    }
  }
}
