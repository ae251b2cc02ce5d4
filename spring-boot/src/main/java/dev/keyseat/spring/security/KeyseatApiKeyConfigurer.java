package dev.keyseat.spring.security;

import dev.keyseat.spring.boot.KeyseatProperties;
import dev.keyseat.validation.KeyValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationContext;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Authenticates requests by Keyseat API key in a Spring Security filter chain:
 *
 * <pre>{@code
 * @Bean
 * SecurityFilterChain api(HttpSecurity http) throws Exception {
 *   return http
 *       .authorizeHttpRequests(a -> a.anyRequest().authenticated())
 *       .with(keyseat(), k -> k
 *           .keyInPath("/last-measurements/{apiKey}/{serial}")   // keys carried in the URL
 *           .deviceInPath("/v2/last-measurements/{serial}")     // header keys, device in the URL
 *           .bearerToken())                                      // also Authorization: Bearer
 *       .build();
 * }
 * }</pre>
 *
 * <p>The key is read, in this order, from a matching {@link #keyInPath} pattern, from the header
 * ({@code keyseat.security.header}, {@code X-API-Key} by default) and, if enabled, from
 * {@code Authorization: Bearer}. Where the path names a device ({@code {serial}}, see
 * {@link #variables}) the key must be that device's ({@code DEVICE_MISMATCH} otherwise). A valid
 * key makes the request an {@link ApiKeyAuthentication} whose principal is an
 * {@link ApiKeyPrincipal}; a refused key is answered 401, 403, 429 (with {@code Retry-After}) or
 * 503 as a problem detail; a request without a key goes on unauthenticated, and the configurer's
 * default entry point answers it 401 as a problem detail too, unless the application sets its
 * own. The key never reaches a log line, an exception message or a response.
 */
public final class KeyseatApiKeyConfigurer extends AbstractHttpConfigurer<KeyseatApiKeyConfigurer, HttpSecurity> {
  private static final PathPatternParser PARSER = PathPatternParser.defaultInstance;

  private @Nullable String header;
  private boolean headerDisabled;
  private boolean bearer;
  private final List<String> keyPaths = new ArrayList<>();
  private final List<String> devicePaths = new ArrayList<>();
  private String keyVariable = "apiKey";
  private String deviceVariable = "serial";
  private @Nullable KeyValidator validator;

  private KeyseatApiKeyConfigurer() {}

  /** @return a configurer for {@code http.with(keyseat(), customizer)} */
  public static KeyseatApiKeyConfigurer keyseat() {
    return new KeyseatApiKeyConfigurer();
  }

  /**
   * @param name the header that carries the key (default {@code keyseat.security.header}, or
   *     {@code X-API-Key}); null to read no header
   * @return this configurer
   */
  public KeyseatApiKeyConfigurer header(@Nullable String name) {
    this.header = name;
    this.headerDisabled = name == null;
    return this;
  }

  /** @return this configurer, which also reads the key from {@code Authorization: Bearer <key>} */
  public KeyseatApiKeyConfigurer bearerToken() {
    this.bearer = true;
    return this;
  }

  /**
   * @param patterns path patterns (Spring's {@code PathPattern} syntax) whose key variable holds
   *     the key, e.g. {@code /last-measurements/{apiKey}/{serial}}; a device variable there must
   *     match the key's device
   * @return this configurer
   */
  public KeyseatApiKeyConfigurer keyInPath(String... patterns) {
    keyPaths.addAll(List.of(patterns));
    return this;
  }

  /**
   * @param patterns path patterns whose device variable names the device the request is about,
   *     for keys sent in a header, e.g. {@code /v2/last-measurements/{serial}}
   * @return this configurer
   */
  public KeyseatApiKeyConfigurer deviceInPath(String... patterns) {
    devicePaths.addAll(List.of(patterns));
    return this;
  }

  /**
   * @param keyVariable the path variable holding the key (default {@code apiKey})
   * @param deviceVariable the path variable holding the device serial (default {@code serial})
   * @return this configurer
   */
  public KeyseatApiKeyConfigurer variables(String keyVariable, String deviceVariable) {
    this.keyVariable = Objects.requireNonNull(keyVariable, "keyVariable");
    this.deviceVariable = Objects.requireNonNull(deviceVariable, "deviceVariable");
    return this;
  }

  /**
   * @param validator validates the keys (default: the application's {@link KeyValidator} bean,
   *     the auto-configured cached validator)
   * @return this configurer
   */
  public KeyseatApiKeyConfigurer validator(KeyValidator validator) {
    this.validator = Objects.requireNonNull(validator, "validator");
    return this;
  }

  @Override
  public void init(HttpSecurity http) {
    http.exceptionHandling(e -> e
        .defaultAuthenticationEntryPointFor((request, response, ex) -> Problems.write(response, 401,
            "An API key is required" + (headerName(http) == null ? "." : ": send it in the " + headerName(http)
                + " header."), null), AnyRequestMatcher.INSTANCE)
        .defaultAccessDeniedHandlerFor((request, response, ex) -> Problems.write(response, 403,
            "This API key may not do this.", null), AnyRequestMatcher.INSTANCE));
  }

  @Override
  public void configure(HttpSecurity http) {
    KeyValidator v = validator;
    ApplicationContext context = http.getSharedObject(ApplicationContext.class);
    if (v == null) {
      if (context == null) {
        throw new IllegalStateException("keyseat(): no ApplicationContext to find the KeyValidator in; pass one with "
            + ".validator(…)");
      }
      v = context.getBeanProvider(KeyValidator.class).getIfUnique();
      if (v == null) {
        throw new IllegalStateException("keyseat(): no unique KeyValidator bean; enable keyseat.validator.enabled, "
            + "define one, or pass one with .validator(…)");
      }
    }
    http.addFilterBefore(new ApiKeyAuthenticationFilter(v, SecurityContextHolder.getContextHolderStrategy(),
        headerName(http), bearer, parse(keyPaths, keyVariable), parse(devicePaths, deviceVariable), keyVariable,
        deviceVariable), AnonymousAuthenticationFilter.class);
  }

  private @Nullable String headerName(HttpSecurity http) {
    if (headerDisabled) {
      return null;
    }
    if (header != null) {
      return header;
    }
    ApplicationContext context = http.getSharedObject(ApplicationContext.class);
    KeyseatProperties properties = context == null ? null
        : context.getBeanProvider(KeyseatProperties.class).getIfAvailable();
    return properties == null ? "X-API-Key" : properties.security().header();
  }

  private static List<PathPattern> parse(List<String> patterns, String variable) {
    List<PathPattern> parsed = new ArrayList<>();
    for (String p : patterns) {
      if (!p.contains("{" + variable + "}")) {
        throw new IllegalArgumentException("keyseat(): path pattern " + p + " has no {" + variable + "} variable");
      }
      parsed.add(PARSER.parse(p));
    }
    return parsed;
  }

}
