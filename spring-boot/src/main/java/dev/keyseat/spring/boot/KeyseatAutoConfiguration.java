package dev.keyseat.spring.boot;

import dev.keyseat.Actor;
import dev.keyseat.Keyseat;
import dev.keyseat.SecretVault;
import dev.keyseat.inmemory.InMemoryKeyStore;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.spi.KeyStore;
import java.time.Duration;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures Keyseat's store and entry point: a {@link JdbcKeyStore} over the application's
 * {@link DataSource} (or the one marked {@link KeyseatDataSource}), or the in-memory store with
 * {@code keyseat.store=in-memory}, and the {@link Keyseat} over it. Each bean backs off when the
 * application defines its own. Without a store (no DataSource and no in-memory store asked for)
 * nothing of Keyseat is configured.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
    "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"})
@ConditionalOnClass(Keyseat.class)
@EnableConfigurationProperties(KeyseatProperties.class)
public class KeyseatAutoConfiguration {
  private static final int MIN_PEPPER_BYTES = 32;

  /** The JDBC store, over the application's DataSource. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({JdbcKeyStore.class, EmbeddedDatabaseConnection.class})
  @ConditionalOnBean(DataSource.class)
  @ConditionalOnMissingBean(KeyStore.class)
  @ConditionalOnProperty(name = "keyseat.store", havingValue = "jdbc", matchIfMissing = true)
  static class JdbcStoreConfiguration {

    @Bean
    JdbcKeyStore keyseatStore(@KeyseatDataSource ObjectProvider<DataSource> keyseatDataSource,
        ObjectProvider<DataSource> dataSource, KeyseatProperties properties) {
      DataSource ds = keyseatDataSource.getIfAvailable(dataSource::getIfUnique);
      if (ds == null) {
        throw new IllegalStateException("Keyseat's JDBC store found several DataSources and none is primary: mark "
            + "the one for Keyseat with @KeyseatDataSource, or set keyseat.store=in-memory");
      }
      KeyseatProperties.Jdbc jdbc = properties.jdbc();
      JdbcKeyStore.Builder builder = JdbcKeyStore.builder(ds);
      boolean create = switch (jdbc.initializeSchema()) {
        case ALWAYS -> true;
        case NEVER -> false;
        case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(ds);
      };
      builder.createSchemaIfMissing(create);
      Settings.apply("keyseat.jdbc.change-retention", jdbc.changeRetention(),
          () -> builder.changeRetention(jdbc.changeRetention()));
      Settings.apply("keyseat.jdbc.max-attempts", jdbc.maxAttempts(), () -> builder.maxAttempts(jdbc.maxAttempts()));
      if (jdbc.purgeInterval().isNegative()) {
        throw new InvalidConfigurationPropertyValueException("keyseat.jdbc.purge-interval", jdbc.purgeInterval(),
            "keyseat.jdbc.purge-interval must be zero (never) or positive");
      }
      try {
        return builder.build();
      } catch (IllegalStateException e) {
        throw new InvalidConfigurationPropertyValueException("keyseat.jdbc.initialize-schema",
            jdbc.initializeSchema(), e.getMessage() + "; or set keyseat.jdbc.initialize-schema=always, or point "
                + "spring.flyway.locations at classpath:dev/keyseat/jdbc/migration/{vendor}");
      }
    }

    @Bean
    @ConditionalOnMissingBean
    ChangeFeedPurger keyseatChangeFeedPurger(JdbcKeyStore keyseatStore, KeyseatProperties properties) {
      return new ChangeFeedPurger(keyseatStore, properties.jdbc().purgeInterval());
    }
  }

  /** The in-memory store, when asked for. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(InMemoryKeyStore.class)
  @ConditionalOnMissingBean(KeyStore.class)
  @ConditionalOnProperty(name = "keyseat.store", havingValue = "in-memory")
  static class InMemoryStoreConfiguration {

    @Bean
    InMemoryKeyStore keyseatStore() {
      return new InMemoryKeyStore();
    }
  }

  @Bean
  @ConditionalOnBean(KeyStore.class)
  @ConditionalOnMissingBean
  Keyseat keyseat(KeyStore store, KeyseatProperties properties) {
    Keyseat.Builder builder = Keyseat.builder(store);
    Settings.apply("keyseat.key-prefix", properties.keyPrefix(), () -> builder.keyPrefix(properties.keyPrefix()));
    if (properties.pepper() != null && !properties.pepper().isBlank()) {
      byte[] pepper = Settings.secret("keyseat.pepper", properties.pepper(), MIN_PEPPER_BYTES,
          "generate one with: openssl rand -base64 32");
      builder.pepper(pepper);
    }
    String vaultKey = properties.vault().key();
    if (vaultKey != null && !vaultKey.isBlank()) {
      byte[] aes = Settings.secret("keyseat.vault.key", vaultKey, 16, "an AES key of 16, 24 or 32 bytes: "
          + "openssl rand -base64 32");
      if (aes.length != 16 && aes.length != 24 && aes.length != 32) {
        throw new InvalidConfigurationPropertyValueException("keyseat.vault.key", "<hidden>",
            "keyseat.vault.key must decode to 16, 24 or 32 bytes, had " + aes.length);
      }
      builder.secretVault(SecretVault.aesGcm(new SecretKeySpec(aes, "AES")));
    }
    Settings.apply("keyseat.max-regeneration-overlap", properties.maxRegenerationOverlap(),
        () -> builder.maxRegenerationOverlap(properties.maxRegenerationOverlap()));
    return builder.build();
  }

  @Bean
  @ConditionalOnBean(KeyStore.class) // after keyseat(): conditions see the beans declared before them
  @ConditionalOnMissingBean
  @ConditionalOnProperty(name = "keyseat.license-end-sweep.enabled", havingValue = "true")
  LicenseEndSweeper keyseatLicenseEndSweeper(Keyseat keyseat, KeyseatProperties properties) {
    KeyseatProperties.LicenseEndSweep sweep = properties.licenseEndSweep();
    Duration interval = sweep.interval();
    if (interval.compareTo(Duration.ofSeconds(1)) < 0 || interval.compareTo(Duration.ofDays(1)) > 0) {
      throw new InvalidConfigurationPropertyValueException("keyseat.license-end-sweep.interval", interval,
          "keyseat.license-end-sweep.interval must be between 1 second and 1 day");
    }
    Actor operator;
    try {
      operator = Actor.operator(sweep.operator());
    } catch (RuntimeException e) {
      throw new InvalidConfigurationPropertyValueException("keyseat.license-end-sweep.operator", sweep.operator(),
          "keyseat.license-end-sweep.operator must be a valid operator name: " + e.getMessage());
    }
    return new LicenseEndSweeper(keyseat.licenseEndSweep(operator), interval);
  }
}
