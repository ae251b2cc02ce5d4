package dev.keyseat.spring.web;

import java.util.Objects;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * What a portal adds to its Spring Security configuration for the REST API and "API Keys" page
 * ({@code keyseat.web.enabled=true}): signed-in users only, CSRF tokens in the {@code XSRF-TOKEN}
 * cookie that the page echoes in the {@code X-XSRF-TOKEN} header, and refusals of API requests as
 * problem details (401 {@code unauthenticated}, 403 {@code access-denied}) instead of a redirect to
 * the sign-in page:
 *
 * <pre>{@code
 * @Bean
 * SecurityFilterChain portal(HttpSecurity http) throws Exception {
 *   RequestMatcher api = KeyseatWeb.apiRequests("/keyseat");
 *   return http
 *       .authorizeHttpRequests(a -> a.requestMatchers("/keyseat/**").authenticated().anyRequest().permitAll())
 *       .formLogin(Customizer.withDefaults())
 *       .csrf(csrf -> csrf.spa()) // CookieCsrfTokenRepository.withHttpOnlyFalse() + the SPA token handler
 *       .exceptionHandling(e -> e
 *           .defaultAuthenticationEntryPointFor(KeyseatWeb.problemEntryPoint(), api)
 *           .defaultAccessDeniedHandlerFor(KeyseatWeb.problemAccessDeniedHandler(), api))
 *       .build();
 * }
 * }</pre>
 *
 * <p>The API also refuses requests without a signed-in user itself (401), whatever the chain
 * permits, and requests addressed to a host name outside {@code keyseat.web.allowed-hosts} (403
 * {@code host-not-allowed}), before Spring Security sees them.
 */
public final class KeyseatWeb {
  private KeyseatWeb() {}

  /**
   * @param basePath {@code keyseat.web.base-path}, e.g. {@code /keyseat}
   * @return a matcher of the API's requests ({@code {base}/api/**})
   * @throws NullPointerException if {@code basePath} is null
   */
  public static RequestMatcher apiRequests(String basePath) {
    Objects.requireNonNull(basePath, "basePath");
    return PathPatternRequestMatcher.withDefaults().matcher(KeyseatWebAutoConfiguration.normalize(basePath) + "/api/**");
  }

  /**
   * @return an entry point that answers 401 with the {@code unauthenticated} problem, for API
   *     requests of a user who has not signed in (instead of redirecting to the sign-in page)
   */
  public static AuthenticationEntryPoint problemEntryPoint() {
    return (request, response, e) -> ApiProblem.UNAUTHENTICATED.write(request, response,
        "Sign in to manage API keys; your session may have ended.");
  }

  /**
   * @return a handler that answers 403 with the {@code access-denied} problem, saying when the
   *     request lacked its CSRF token
   */
  public static AccessDeniedHandler problemAccessDeniedHandler() {
    return (request, response, e) -> ApiProblem.ACCESS_DENIED.write(request, response, e instanceof CsrfException
        ? "The request lacks its security token (CSRF); reload the page and try again."
        : "You may not do this. Ask an administrator of the account if you need it.");
  }
}
