package dev.keyseat.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.spring.boot.KeyseatAutoConfiguration;
import dev.keyseat.spring.boot.KeyseatValidatorAutoConfiguration;
import dev.keyseat.spring.security.KeyseatSecurityAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

/** The web auto-configuration: opt-in, checked settings, backs off without Keyseat. */
class KeyseatWebAutoConfigurationTest {
  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(KeyseatAutoConfiguration.class, KeyseatValidatorAutoConfiguration.class,
          KeyseatSecurityAutoConfiguration.class, KeyseatWebAutoConfiguration.class))
      .withPropertyValues("keyseat.store=in-memory", "keyseat.validator.enabled=false");

  @Test
  void theApiIsOffUnlessEnabled() {
    runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(KeyseatApiController.class)
        .doesNotHaveBean(ApiProblems.class));
  }

  @Test
  void enabledItServesTheApiBehindTheGuardAtTheBasePath() {
    runner.withPropertyValues("keyseat.web.enabled=true", "keyseat.web.base-path=/admin/keys").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(KeyseatApiController.class).hasSingleBean(ApiProblems.class)
          .hasSingleBean(OpenApiController.class);
      FilterRegistrationBean<?> guard = context.getBean(FilterRegistrationBean.class);
      assertThat(guard.getUrlPatterns()).containsExactlyInAnyOrder("/admin/keys/*", "/admin/keys");
      assertThat(guard.getOrder()).isLessThan(-100);
    });
  }

  @Test
  void withoutAStoreNothingIsServed() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KeyseatAutoConfiguration.class, KeyseatValidatorAutoConfiguration.class,
            KeyseatSecurityAutoConfiguration.class, KeyseatWebAutoConfiguration.class))
        .withPropertyValues("keyseat.web.enabled=true")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(KeyseatApiController.class));
  }

  @Test
  void badSettingsFailTheStartNamingTheProperty() {
    for (String[] bad : new String[][] {{"keyseat.web.base-path=keyseat", "keyseat.web.base-path"},
        {"keyseat.web.base-path=/keyseat/", "keyseat.web.base-path"},
        {"keyseat.web.allowed-hosts=", "keyseat.web.allowed-hosts"},
        {"keyseat.web.max-batch-size=0", "keyseat.web.max-batch-size"},
        {"keyseat.web.max-body-size=10B", "keyseat.web.max-body-size"}}) {
      runner.withPropertyValues("keyseat.web.enabled=true", bad[0]).run(context -> assertThat(context).hasFailed()
          .getFailure().rootCause().hasMessageContaining(bad[1]));
    }
  }
}
