package dev.keyseat.examples.springgateway;

import static dev.keyseat.spring.security.KeyseatApiKeyConfigurer.keyseat;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.Verdict;
import jakarta.servlet.DispatcherType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The filter chain: the measurement endpoints need a valid key, in the path or in the
 * {@code X-API-Key} header, bound to the device of the path; health and error pages are open;
 * anything else is a 404 without authentication.
 */
@Configuration(proxyBeanMethods = false)
class GatewaySecurity {
  static final String[] KEY_IN_PATH = {
      "/last-measurements/{apiKey}/{serial}", "/measurements-by-time/{apiKey}/{serial}/{from}/{to}"};
  static final String[] KEY_IN_HEADER = {
      "/last-measurements/{serial}", "/measurements-by-time/{serial}/{from}/{to}"};

  @Bean
  SecurityFilterChain gateway(HttpSecurity http, ObjectProvider<KeyValidator> validator, Environment env)
      throws Exception {
    // gateway.validation=false: the load driver's baseline, every key taken as valid for the path's
    // device, so that validation's share of a request's cost shows. Never serve traffic like that.
    boolean validate = env.getProperty("gateway.validation", Boolean.class, true);
    KeyValidator keys = validate ? validator.getObject() : new AcceptEveryKey();
    return http
        .csrf(c -> c.disable())
        .httpBasic(b -> b.disable())
        .formLogin(f -> f.disable())
        .logout(l -> l.disable())
        .requestCache(r -> r.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .authorizeHttpRequests(a -> a
            .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
            .requestMatchers("/last-measurements/**", "/measurements-by-time/**").authenticated()
            .anyRequest().permitAll())
        .with(keyseat(), k -> k.keyInPath(KEY_IN_PATH).deviceInPath(KEY_IN_HEADER).validator(keys))
        .build();
  }

  /** The baseline's validator: every key is valid, for the device the request names. */
  private static final class AcceptEveryKey implements KeyValidator {
    private static final AccountId ACCOUNT = AccountId.of("baseline");
    private static final KeyId KEY = KeyId.of("key_baseline0");

    @Override
    public Verdict validate(String key) {
      return Verdict.of(Verdict.Status.VALID, ACCOUNT, "unknown", KEY);
    }

    @Override
    public Verdict validate(String key, String deviceSerial) {
      return Verdict.of(Verdict.Status.VALID, ACCOUNT, deviceSerial, KEY);
    }
  }
}
