package dev.keyseat.spring.web;

import dev.keyseat.Keyseat;
import dev.keyseat.SecretVault;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.testkit.MutableClock;
import java.time.Instant;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * The portal of the web API tests: Spring Boot with the starter's auto-configuration and {@code
 * keyseat.web.enabled=true}, the security chain {@link KeyseatWeb} documents (with HTTP Basic
 * beside form login, so that tests sign in per request), users alice, mona, victor, eve, gus and
 * the operator ops (password {@code pw}), and a Keyseat with a vault and a clock the tests move.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class WebApiApp {
  static final String PASSWORD = "pw";
  /** The clock of the Keyseat; tests move it forward only. */
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-03T10:00:00Z"));

  @Bean
  SecurityFilterChain portal(HttpSecurity http) throws Exception {
    RequestMatcher api = KeyseatWeb.apiRequests("/keyseat");
    return http
        .authorizeHttpRequests(a -> a.requestMatchers("/keyseat/**").authenticated().anyRequest().permitAll())
        .formLogin(Customizer.withDefaults())
        .httpBasic(b -> b.authenticationEntryPoint(KeyseatWeb.problemEntryPoint()))
        .csrf(csrf -> csrf.spa())
        .exceptionHandling(e -> e
            .defaultAuthenticationEntryPointFor(KeyseatWeb.problemEntryPoint(), api)
            .defaultAccessDeniedHandlerFor(KeyseatWeb.problemAccessDeniedHandler(), api))
        .build();
  }

  @Bean
  UserDetailsService users() {
    InMemoryUserDetailsManager users = new InMemoryUserDetailsManager();
    for (String name : new String[] {"alice", "mona", "victor", "eve", "gus"}) {
      users.createUser(User.withUsername(name).password("{noop}" + PASSWORD).roles("USER").build());
    }
    users.createUser(User.withUsername("ops").password("{noop}" + PASSWORD).roles("KEYSEAT_OPERATOR").build());
    return users;
  }

  @Bean
  Keyseat keyseat(KeyStore store) {
    byte[] aes = new byte[32];
    for (int i = 0; i < aes.length; i++) {
      aes[i] = (byte) (i * 7 + 1);
    }
    return Keyseat.builder(store).clock(CLOCK).secretVault(SecretVault.aesGcm(new SecretKeySpec(aes, "AES"))).build();
  }
}
