package dev.keyseat.spring.security;

import dev.keyseat.Keyseat;
import dev.keyseat.spring.boot.KeyseatProperties;
import java.util.List;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.Authentication;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * With Spring Security present: {@link KeyseatActors} (the management actor of the signed-in
 * user) and, in a Spring MVC application, {@code Actor} controller parameters. API-key
 * authentication itself is added to a filter chain with {@link KeyseatApiKeyConfigurer#keyseat()}.
 */
@AutoConfiguration
@ConditionalOnClass({Keyseat.class, Authentication.class})
@EnableConfigurationProperties(KeyseatProperties.class)
public class KeyseatSecurityAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  KeyseatActors keyseatActors(KeyseatProperties properties) {
    return new KeyseatActors(properties.security().operatorAuthority());
  }

  /** {@code Actor} parameters of controllers. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(WebMvcConfigurer.class)
  static class ActorParameters {
    @Bean
    WebMvcConfigurer keyseatActorParameters(KeyseatActors actors) {
      return new WebMvcConfigurer() {
        @Override
        public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
          resolvers.add(new ActorArgumentResolver(actors));
        }
      };
    }
  }
}
