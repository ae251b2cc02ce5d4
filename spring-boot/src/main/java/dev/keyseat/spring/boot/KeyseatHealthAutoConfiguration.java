package dev.keyseat.spring.boot;

import dev.keyseat.validation.CachedKeyValidator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/** The {@code keyseat} health indicator, when Spring Boot's health support is present. */
@AutoConfiguration(after = KeyseatValidatorAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, CachedKeyValidator.class})
@ConditionalOnBean({CachedKeyValidator.class, ValidatorMonitor.class})
@ConditionalOnEnabledHealthIndicator("keyseat")
public class KeyseatHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "keyseatHealthIndicator")
  KeyseatHealthIndicator keyseatHealthIndicator(CachedKeyValidator validator, ValidatorMonitor monitor) {
    return new KeyseatHealthIndicator(validator, monitor);
  }
}
