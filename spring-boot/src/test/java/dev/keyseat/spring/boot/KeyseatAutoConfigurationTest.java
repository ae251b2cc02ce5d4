package dev.keyseat.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.inmemory.InMemoryKeyStore;
import dev.keyseat.jdbc.JdbcKeyStore;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spring.security.KeyseatActors;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.Verdict;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.Authentication;

/** Each condition of the auto-configuration, in a context of its own (no server, no database but H2). */
class KeyseatAutoConfigurationTest {
  private static final AutoConfigurations KEYSEAT = AutoConfigurations.of(KeyseatAutoConfiguration.class,
      KeyseatMetricsAutoConfiguration.class, KeyseatValidatorAutoConfiguration.class,
      KeyseatHealthAutoConfiguration.class, dev.keyseat.spring.security.KeyseatSecurityAutoConfiguration.class);

  private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(KEYSEAT);
  private final ApplicationContextRunner inMemory = runner.withPropertyValues("keyseat.store=in-memory");
  private final ApplicationContextRunner h2 = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class)).withConfiguration(KEYSEAT);

  @Test
  void withoutADataSourceNothingOfKeyseatIsConfigured() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(KeyStore.class).doesNotHaveBean(Keyseat.class)
          .doesNotHaveBean(KeyManager.class).doesNotHaveBean(KeyValidator.class);
    });
  }

  @Test
  void withAnEmbeddedDataSourceTheJdbcStoreCreatesItsSchemaAndKeysValidate() {
    h2.withPropertyValues("spring.datasource.url=jdbc:h2:mem:autoconfig-embedded;DB_CLOSE_DELAY=-1").run(context -> {
      assertThat(context).hasSingleBean(JdbcKeyStore.class).hasSingleBean(Keyseat.class)
          .hasSingleBean(KeyManager.class).hasSingleBean(CachedKeyValidator.class)
          .hasSingleBean(ChangeFeedPurger.class);
      String key = issueKey(context.getBean(KeyManager.class));
      assertThat(context.getBean(CachedKeyValidator.class).validate(key, "AQ-1").status())
          .isEqualTo(Verdict.Status.VALID);
    });
  }

  @Test
  void initializeSchemaNeverOnAnEmptyDatabaseFailsNamingTheProperty() {
    h2.withPropertyValues("spring.datasource.url=jdbc:h2:mem:autoconfig-never;DB_CLOSE_DELAY=-1",
        "keyseat.jdbc.initialize-schema=never").run(context -> {
      assertThat(context).hasFailed();
      assertThat(rootCause(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
          .hasMessageContaining("keyseat.jdbc.initialize-schema")
          .hasMessageContaining("the Keyseat tables are missing");
    });
  }

  @Test
  void theInMemoryStoreWhenAskedFor() {
    inMemory.run(context -> {
      assertThat(context).hasSingleBean(InMemoryKeyStore.class).doesNotHaveBean(JdbcKeyStore.class)
          .doesNotHaveBean(ChangeFeedPurger.class).hasSingleBean(CachedKeyValidator.class);
    });
  }

  @Test
  void theLicenseEndSweepRunsOnlyWhenEnabledAndAPassAppliesPassedEnds() {
    inMemory.run(context -> assertThat(context).doesNotHaveBean(LicenseEndSweeper.class));
    inMemory.withPropertyValues("keyseat.license-end-sweep.enabled=true", "keyseat.license-end-sweep.interval=1h")
        .run(context -> {
          assertThat(context).hasSingleBean(LicenseEndSweeper.class);
          LicenseEndSweeper sweeper = context.getBean(LicenseEndSweeper.class);
          assertThat(sweeper.isRunning()).as("started with the context").isTrue();
          context.getBean(KeyManager.class).createAccount(Actor.operator("ops"), AccountId.of("acme"),
              new NewAccount("Acme", UserId.of("alice"), 1));
          assertThat(sweeper.sweep().run().accountsChecked()).as("one pass checks the account").isEqualTo(1);
        });
    inMemory.withPropertyValues("keyseat.license-end-sweep.enabled=true", "keyseat.license-end-sweep.interval=0s")
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(rootCause(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
              .hasMessageContaining("keyseat.license-end-sweep.interval");
        });
  }

  @Test
  void theApplicationsOwnBeansWin() {
    inMemory.withUserConfiguration(OwnBeans.class).run(context -> {
      assertThat(context.getBean(KeyStore.class)).isSameAs(OwnBeans.STORE);
      assertThat(context).getBean(Keyseat.class).isSameAs(context.getBean("ownKeyseat"));
      assertThat(context).getBean(KeyManager.class).isSameAs(context.getBean("ownManager"));
      assertThat(context).getBean(KeyValidator.class).isSameAs(context.getBean("ownValidator"));
      assertThat(context).doesNotHaveBean(CachedKeyValidator.class).doesNotHaveBean(ValidatorMonitor.class)
          .doesNotHaveBean("keyseatHealthIndicator");
    });
  }

  @Test
  void aShortPepperFailsStartupNamingThePropertyWithoutShowingIt() {
    String pepper = Base64.getEncoder().encodeToString("sixteen-byte-pep".getBytes());
    inMemory.withPropertyValues("keyseat.pepper=" + pepper).run(context -> {
      assertThat(context).hasFailed();
      Throwable cause = rootCause(context);
      assertThat(cause).isInstanceOf(InvalidConfigurationPropertyValueException.class)
          .hasMessageContaining("keyseat.pepper")
          .hasMessageContaining("at least 32 bytes, had 16")
          .hasMessageNotContaining(pepper);
      assertThat(((InvalidConfigurationPropertyValueException) cause).getValue()).isEqualTo("<hidden>");
    });
  }

  @Test
  void aLongEnoughPepperAndAVaultKeyAreUsed() {
    byte[] bytes = new byte[32];
    inMemory.withPropertyValues("keyseat.pepper=" + Base64.getEncoder().encodeToString(bytes),
        "keyseat.vault.key=" + Base64.getEncoder().encodeToString(bytes)).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(Keyseat.class).toString()).contains("peppered=true");
      KeyManager keys = context.getBean(KeyManager.class);
      String key = issueKey(keys);
      var id = keys.keys(Actor.user("alice"), AccountId.of("acme")).get(0).id();
      assertThat(keys.revealSecret(Actor.user("alice"), AccountId.of("acme"), id).reveal()).isEqualTo(key);
    });
  }

  @Test
  void badValidatorSettingsFailStartupNamingTheProperty() {
    inMemory.withPropertyValues("keyseat.validator.maximum-size=0").run(context ->
        assertThat(rootCause(context)).hasMessageContaining("keyseat.validator.maximum-size")
            .hasMessageContaining("must be positive"));
    inMemory.withPropertyValues("keyseat.validator.feed-poll-interval=5s", "keyseat.validator.max-staleness=2s")
        .run(context -> assertThat(rootCause(context)).hasMessageContaining("keyseat.validator.max-staleness"));
    inMemory.withPropertyValues("keyseat.key-prefix=Not-A-Prefix").run(context ->
        assertThat(rootCause(context)).hasMessageContaining("keyseat.key-prefix"));
    inMemory.withPropertyValues("keyseat.validator.rate-limit.requests=-3").run(context ->
        assertThat(rootCause(context)).hasMessageContaining("keyseat.validator.rate-limit"));
    h2.withPropertyValues("spring.datasource.url=jdbc:h2:mem:autoconfig-bad;DB_CLOSE_DELAY=-1",
        "keyseat.jdbc.change-retention=10s").run(context ->
        assertThat(rootCause(context)).hasMessageContaining("keyseat.jdbc.change-retention"));
  }

  @Test
  void theValidatorCanBeSwitchedOff() {
    inMemory.withPropertyValues("keyseat.validator.enabled=false").run(context -> {
      assertThat(context).hasSingleBean(KeyManager.class).doesNotHaveBean(KeyValidator.class)
          .doesNotHaveBean("keyseatHealthIndicator");
    });
  }

  @Test
  void withMicrometerTheValidatorCountsVerdictsAndManagementCallsAreTimed() {
    inMemory.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      KeyManager keys = context.getBean(KeyManager.class);
      assertThat(Proxy.isProxyClass(keys.getClass())).as("timed manager").isTrue();
      String key = issueKey(keys);
      CachedKeyValidator validator = context.getBean(CachedKeyValidator.class);
      validator.validate(key, "AQ-1");
      validator.validate(key, "AQ-2");
      validator.validate("nonsense");

      assertThat(registry.get("keyseat.validations").tag("verdict", "valid").counter().count()).isEqualTo(1);
      assertThat(registry.get("keyseat.validations").tag("verdict", "device_mismatch").counter().count()).isEqualTo(1);
      assertThat(registry.get("keyseat.validations").tag("verdict", "malformed").counter().count()).isEqualTo(1);
      assertThat(registry.get("keyseat.management").tag("operation", "createKeys").tag("outcome", "success")
          .timer().count()).isEqualTo(1);
      assertThat(registry.get("keyseat.validator.cache.size").gauge().value()).isGreaterThanOrEqualTo(1);
      assertThat(registry.get("keyseat.validator.feed.lag").timeGauge().value()).isGreaterThanOrEqualTo(0);
      try {
        keys.createKeys(Actor.user("alice"), AccountId.of("acme"), NewKeys.forDevices("AQ-1"));
      } catch (RuntimeException expected) {
        // already has a key
      }
      assertThat(registry.get("keyseat.management").tag("operation", "createKeys")
          .tag("outcome", "DeviceAlreadyHasKeyException").timer().count()).isEqualTo(1);
      assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags().toString())
          .doesNotContain(key).doesNotContain("key_").doesNotContain("AQ-1").doesNotContain("acme"));
    });
  }

  @Test
  void withoutMicrometerNoMetersAndAPlainManager() {
    inMemory.withClassLoader(new FilteredClassLoader(MeterRegistry.class)).run(context -> {
      assertThat(context).hasNotFailed().doesNotHaveBean(MicrometerValidatorMetrics.class);
      assertThat(Proxy.isProxyClass(context.getBean(KeyManager.class).getClass())).isFalse();
    });
  }

  @Test
  void theHealthIndicatorReportsUpWithFeedLagAndCachedEntries() {
    inMemory.run(context -> {
      HealthIndicator health = context.getBean("keyseatHealthIndicator", HealthIndicator.class);
      var h = health.health(true);
      assertThat(h.getStatus()).isEqualTo(Status.UP);
      assertThat(h.getDetails()).containsKeys("feedLag", "maxStaleness", "cachedEntries");
    });
  }

  @Test
  void theHealthIndicatorReportsDownOnceTheFeedIsOlderThanTheStalenessBound() {
    ValidatorMonitor monitor = new ValidatorMonitor(java.util.List.of(), java.time.Duration.ofSeconds(30));
    monitor.metrics().feedLag(java.time.Duration.ofSeconds(31));
    try (CachedKeyValidator validator = Keyseat.builder(new InMemoryKeyStore()).build().validator().build()) {
      var h = new KeyseatHealthIndicator(validator, monitor).health(true);
      assertThat(h.getStatus()).isEqualTo(Status.DOWN);
      assertThat(h.getDetails().get("feedLag").toString()).startsWith("PT31");
    }
  }

  @Test
  void withoutActuatorHealthNoIndicator() {
    inMemory.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context ->
        assertThat(context).hasNotFailed().doesNotHaveBean("keyseatHealthIndicator"));
  }

  @Test
  void withSpringSecurityTheActorsOfSignedInUsers() {
    inMemory.withPropertyValues("keyseat.security.operator-authority=ROLE_OPS").run(context -> {
      KeyseatActors actors = context.getBean(KeyseatActors.class);
      var alice = new org.springframework.security.authentication.UsernamePasswordAuthenticationToken("alice", null,
          org.springframework.security.core.authority.AuthorityUtils.createAuthorityList("ROLE_USER"));
      var ops = new org.springframework.security.authentication.UsernamePasswordAuthenticationToken("olga", null,
          org.springframework.security.core.authority.AuthorityUtils.createAuthorityList("ROLE_OPS"));
      assertThat(actors.of(alice)).isEqualTo(Actor.user("alice"));
      assertThat(actors.of(ops)).isEqualTo(Actor.operator("olga"));
    });
    inMemory.withClassLoader(new FilteredClassLoader(Authentication.class)).run(context ->
        assertThat(context).hasNotFailed().doesNotHaveBean(KeyseatActors.class));
  }

  static String issueKey(KeyManager keys) {
    AccountId acme = AccountId.of("acme");
    keys.createAccount(Actor.operator("ops"), acme, new NewAccount("Acme Air", UserId.of("alice"), 3));
    keys.associateDevice(Actor.user("alice"), acme, new NewDevice("AQ-1", "Lobby", "Monitor"));
    keys.associateDevice(Actor.user("alice"), acme, new NewDevice("AQ-2", "Hall", "Monitor"));
    return keys.createKeys(Actor.user("alice"), acme, NewKeys.forDevices("AQ-1")).get(0).secret().reveal();
  }

  private static Throwable rootCause(AssertableApplicationContext context) {
    Throwable t = context.getStartupFailure();
    assertThat(t).as("startup failure").isNotNull();
    while (t.getCause() != null && !(t instanceof InvalidConfigurationPropertyValueException)) {
      t = t.getCause();
    }
    return t;
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final KeyStore STORE = new InMemoryKeyStore();

    @Bean
    KeyStore ownStore() {
      return STORE;
    }

    @Bean
    Keyseat ownKeyseat(KeyStore store) {
      return Keyseat.builder(store).build();
    }

    @Bean
    KeyManager ownManager(Keyseat keyseat) {
      return keyseat.manager();
    }

    @Bean
    KeyValidator ownValidator(Keyseat keyseat) {
      return keyseat.storeValidator();
    }
  }
}
