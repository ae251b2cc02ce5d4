package dev.keyseat.spring.boot;

import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.validation.CachedKeyValidator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters, when Micrometer and a {@link MeterRegistry} are present: the validator's
 * counters ({@link MicrometerValidatorMetrics}), the gauges {@code keyseat.validator.feed.lag}
 * (seconds) and {@code keyseat.validator.cache.size} (entries), and management calls timed by
 * {@link TimedKeyManager}.
 */
@AutoConfiguration(after = KeyseatAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"})
@ConditionalOnClass({Keyseat.class, MeterRegistry.class})
@ConditionalOnBean({Keyseat.class, MeterRegistry.class})
public class KeyseatMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  MicrometerValidatorMetrics keyseatMicrometerValidatorMetrics(MeterRegistry registry) {
    return new MicrometerValidatorMetrics(registry);
  }

  @Bean
  @ConditionalOnMissingBean
  KeyManager keyseatManager(Keyseat keyseat, MeterRegistry registry) {
    return TimedKeyManager.wrap(keyseat.manager(), registry);
  }

  @Bean
  MeterBinder keyseatValidatorGauges(ObjectProvider<ValidatorMonitor> monitor,
      ObjectProvider<CachedKeyValidator> validator) {
    return registry -> {
      TimeGauge.builder("keyseat.validator.feed.lag", monitor, TimeUnit.SECONDS, m -> {
        ValidatorMonitor vm = m.getIfAvailable();
        return vm == null ? Double.NaN : vm.feedLag().toNanos() / 1e9;
      }).description("Age of the validator's view of the store; it fails closed past keyseat.validator.max-staleness")
          .strongReference(true).register(registry);
      Gauge.builder("keyseat.validator.cache.size", validator, v -> {
        CachedKeyValidator cv = v.getIfAvailable();
        return cv == null ? Double.NaN : cv.estimatedSize();
      }).description("Entries in the validator's cache, known and unknown keys").strongReference(true)
          .register(registry);
    };
  }
}
