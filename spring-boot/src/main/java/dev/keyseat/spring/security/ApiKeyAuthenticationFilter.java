package dev.keyseat.spring.security;

import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.Verdict;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.PathContainer;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Authenticates a request by the API key it carries: in the URL path (patterns with a key
 * variable), in a header, or as an {@code Authorization: Bearer} token. A request without a key
 * goes on unauthenticated, for the authorization rules to decide; a refused key is answered at
 * once with a problem (see {@link Problems}); a valid key makes the request an
 * {@link ApiKeyAuthentication}. Where the path names a device, the key must belong to it. Built by
 * {@link KeyseatApiKeyConfigurer}.
 */
final class ApiKeyAuthenticationFilter extends OncePerRequestFilter {
  private static final String BEARER = "Bearer ";

  private final KeyValidator validator;
  private final SecurityContextHolderStrategy contexts;
  private final @Nullable String header;
  private final boolean bearer;
  private final List<PathPattern> keyPaths;
  private final List<PathPattern> devicePaths;
  private final String keyVariable;
  private final String deviceVariable;

  ApiKeyAuthenticationFilter(KeyValidator validator, SecurityContextHolderStrategy contexts, @Nullable String header,
      boolean bearer, List<PathPattern> keyPaths, List<PathPattern> devicePaths, String keyVariable,
      String deviceVariable) {
    this.validator = validator;
    this.contexts = contexts;
    this.header = header;
    this.bearer = bearer;
    this.keyPaths = List.copyOf(keyPaths);
    this.devicePaths = List.copyOf(devicePaths);
    this.keyVariable = keyVariable;
    this.deviceVariable = deviceVariable;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String key = null;
    String serial = null;
    PathContainer path = keyPaths.isEmpty() && devicePaths.isEmpty() ? null : path(request);
    if (path != null) {
      for (PathPattern p : keyPaths) {
        PathPattern.PathMatchInfo match = p.matchAndExtract(path);
        if (match != null) {
          Map<String, String> vars = match.getUriVariables();
          key = vars.get(keyVariable);
          serial = vars.get(deviceVariable);
          break;
        }
      }
    }
    if (key == null && header != null) {
      key = request.getHeader(header);
    }
    if (key == null && bearer) {
      String authorization = request.getHeader("Authorization");
      if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        key = authorization.substring(BEARER.length()).strip();
      }
    }
    if (key == null) {
      chain.doFilter(request, response);
      return;
    }
    if (serial == null && path != null) {
      for (PathPattern p : devicePaths) {
        PathPattern.PathMatchInfo match = p.matchAndExtract(path);
        if (match != null) {
          serial = match.getUriVariables().get(deviceVariable);
          break;
        }
      }
    }
    Verdict verdict = serial == null ? validator.validate(key) : validator.validate(key, serial);
    key = null; // not kept beyond validation
    if (!verdict.isValid()) {
      contexts.clearContext();
      Problems.write(response, verdict);
      return;
    }
    SecurityContext context = contexts.createEmptyContext();
    context.setAuthentication(new ApiKeyAuthentication(ApiKeyPrincipal.of(verdict)));
    contexts.setContext(context);
    chain.doFilter(request, response);
  }

  private static @Nullable PathContainer path(HttpServletRequest request) {
    String uri = request.getRequestURI();
    String context = request.getContextPath();
    if (context != null && !context.isEmpty() && uri.startsWith(context)) {
      uri = uri.substring(context.length());
    }
    try {
      return PathContainer.parsePath(uri);
    } catch (IllegalArgumentException e) {
      return null; // undecodable: no key is read from it
    }
  }
}
