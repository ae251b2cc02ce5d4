package dev.keyseat.examples.springportal;

import dev.keyseat.spring.web.KeyseatWeb;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.HttpStatusRequestRejectedHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.security.web.util.matcher.RequestMatcher;
import jakarta.servlet.DispatcherType;

/**
 * How the portal signs people in and protects the page and its API:
 *
 * <ul>
 *   <li>Spring Security form login ({@code /login}) for the {@link DemoUsers}; the session lives in
 *       the {@code JSESSIONID} cookie (HttpOnly, SameSite=Strict), a new one at each sign-in;
 *   <li>CSRF tokens in the {@code XSRF-TOKEN} cookie, which the page sends back in the
 *       {@code X-XSRF-TOKEN} header ({@code csrf.spa()}: a cookie repository readable by the
 *       page, and BREACH-safe tokens in forms);
 *   <li>a Host allow-list ({@code keyseat.web.allowed-hosts}, the list the page's API checks
 *       too; localhost and 127.0.0.1 here): a request for any other host name — a DNS-rebinding
 *       page's — is refused (400, or the API's 403 problem) before it reaches a page or the API,
 *       the sign-in form included;
 *   <li>an API request without a session is a 401 problem, a refused one (no CSRF header) a 403
 *       problem ({@link KeyseatWeb}), not a redirect to the sign-in form.
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class PortalSecurity {

  @Bean
  SecurityFilterChain portal(HttpSecurity http, Environment env) throws Exception {
    RequestMatcher api = KeyseatWeb.apiRequests(env.getProperty("keyseat.web.base-path", "/keyseat"));
    return http
        .authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
            .requestMatchers("/login", "/favicon.ico").permitAll()
            .anyRequest().authenticated())
        .formLogin(f -> f.defaultSuccessUrl("/", false))
        .logout(l -> l.logoutSuccessUrl("/login?logout"))
        .csrf(c -> c.spa())
        .exceptionHandling(e -> e
            .defaultAuthenticationEntryPointFor(KeyseatWeb.problemEntryPoint(), api)
            .defaultAccessDeniedHandlerFor(KeyseatWeb.problemAccessDeniedHandler(), api))
        .headers(h -> h
            .contentSecurityPolicy(csp -> csp.policyDirectives("default-src 'self'; img-src 'self' data:; "
                + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                + "form-action 'self'"))
            .frameOptions(f -> f.deny()))
        .build();
  }

  @Bean
  UserDetailsService users(DemoUsers demoUsers) {
    return new InMemoryUserDetailsManager(demoUsers.userDetails());
  }

  /** Only the allowed host names: a DNS-rebinding page reaches the server under its own name and is refused. */
  @Bean
  HttpFirewall firewall(Environment env) {
    Set<String> allowed = Binder.get(env).bind("keyseat.web.allowed-hosts", Bindable.listOf(String.class))
        .orElse(List.of("localhost", "127.0.0.1")).stream()
        .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
    StrictHttpFirewall firewall = new StrictHttpFirewall();
    firewall.setAllowedHostnames(allowed::contains);
    return firewall;
  }

  /** A refused request (another host name, a malformed URL) is a plain 400. */
  @Bean
  RequestRejectedHandler requestRejected() {
    return new HttpStatusRequestRejectedHandler(HttpStatus.BAD_REQUEST.value());
  }
}
