package dev.keyseat.spring.boot;

import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.ValidatorMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures the {@link KeyManager} (unless the metrics auto-configuration made a timed one)
 * and the {@link CachedKeyValidator} from {@code keyseat.validator.*}, closed with the context so
 * that counted usage is written.
 */
@AutoConfiguration(after = {KeyseatAutoConfiguration.class, KeyseatMetricsAutoConfiguration.class})
@ConditionalOnClass(Keyseat.class)
@ConditionalOnBean(Keyseat.class)
public class KeyseatValidatorAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  KeyManager keyseatManager(Keyseat keyseat) {
    return keyseat.manager();
  }

  /** The cached validator and its monitor; both back off if the application has a validator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(KeyValidator.class)
  @ConditionalOnProperty(name = "keyseat.validator.enabled", havingValue = "true", matchIfMissing = true)
  static class CachedValidatorConfiguration {

    @Bean
    ValidatorMonitor keyseatValidatorMonitor(ObjectProvider<ValidatorMetrics> metrics, KeyseatProperties properties) {
      return new ValidatorMonitor(metrics.orderedStream().toList(), properties.validator().maxStaleness());
    }

    @Bean(destroyMethod = "close")
    CachedKeyValidator keyseatValidator(Keyseat keyseat, KeyseatProperties properties, ValidatorMonitor monitor) {
      KeyseatProperties.Validator v = properties.validator();
      CachedKeyValidatorBuilder b = keyseat.validator();
      if (v.preload()) {
        Settings.apply("keyseat.validator.preload", true, b::preloadAllKeys);
      } else {
        Settings.apply("keyseat.validator.maximum-size", v.maximumSize(), () -> b.maximumSize(v.maximumSize()));
      }
      Settings.apply("keyseat.validator.feed-poll-interval", v.feedPollInterval(),
          () -> b.feedPollInterval(v.feedPollInterval()));
      Settings.apply("keyseat.validator.max-staleness", v.maxStaleness(), () -> b.maxStaleness(v.maxStaleness()));
      Settings.apply("keyseat.validator.store-lookups-per-second", v.storeLookupsPerSecond(),
          () -> b.storeLookupsPerSecond(v.storeLookupsPerSecond()));
      Settings.apply("keyseat.validator.usage-flush-interval", v.usageFlushInterval(),
          () -> b.usageFlushInterval(v.usageFlushInterval()));
      KeyseatProperties.RateLimit limit = v.rateLimit();
      if (limit.requests() != 0) {
        Settings.apply("keyseat.validator.rate-limit", limit.requests() + " per " + limit.period(),
            () -> b.rateLimit(limit.requests(), limit.period()));
      }
      b.metrics(monitor.metrics());
      CachedKeyValidator[] built = new CachedKeyValidator[1];
      Settings.apply("keyseat.validator", null, () -> built[0] = b.build());
      return built[0];
    }
  }
}
