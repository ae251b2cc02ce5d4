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
      return new ValidatorMonitor(metrics.orderedStream().toList(), properties.getValidator().getMaxStaleness());
    }

    @Bean(destroyMethod = "close")
    CachedKeyValidator keyseatValidator(Keyseat keyseat, KeyseatProperties properties, ValidatorMonitor monitor) {
      KeyseatProperties.Validator v = properties.getValidator();
      CachedKeyValidatorBuilder b = keyseat.validator();
      if (v.isPreload()) {
        Settings.apply("keyseat.validator.preload", true, b::preloadAllKeys);
      } else {
        Settings.apply("keyseat.validator.maximum-size", v.getMaximumSize(), () -> b.maximumSize(v.getMaximumSize()));
      }
      Settings.apply("keyseat.validator.feed-poll-interval", v.getFeedPollInterval(),
          () -> b.feedPollInterval(v.getFeedPollInterval()));
      Settings.apply("keyseat.validator.max-staleness", v.getMaxStaleness(), () -> b.maxStaleness(v.getMaxStaleness()));
      Settings.apply("keyseat.validator.store-lookups-per-second", v.getStoreLookupsPerSecond(),
          () -> b.storeLookupsPerSecond(v.getStoreLookupsPerSecond()));
      Settings.apply("keyseat.validator.usage-flush-interval", v.getUsageFlushInterval(),
          () -> b.usageFlushInterval(v.getUsageFlushInterval()));
      KeyseatProperties.RateLimit limit = v.getRateLimit();
      if (limit.getRequests() != 0) {
        Settings.apply("keyseat.validator.rate-limit", limit.getRequests() + " per " + limit.getPeriod(),
            () -> b.rateLimit(limit.getRequests(), limit.getPeriod()));
      }
      b.metrics(monitor.metrics());
      CachedKeyValidator[] built = new CachedKeyValidator[1];
      Settings.apply("keyseat.validator", null, () -> built[0] = b.build());
      return built[0];
    }
  }
}
