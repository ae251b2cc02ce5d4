package dev.keyseat.spring.web;

import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.spring.boot.KeyseatMetricsAutoConfiguration;
import dev.keyseat.spring.boot.KeyseatValidatorAutoConfiguration;
import dev.keyseat.spring.security.KeyseatActors;
import dev.keyseat.spring.security.KeyseatSecurityAutoConfiguration;
import java.util.regex.Pattern;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.Authentication;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The REST API and "API Keys" page, opt-in with {@code keyseat.web.enabled=true}, under {@code
 * keyseat.web.base-path} ({@code /keyseat} by default): the API at {@code {base}/api/…} (see
 * {@link KeyseatWeb} for the host's security configuration), its OpenAPI description at {@code
 * {base}/api/openapi.json}, and the page's static files from {@code
 * classpath:/dev/keyseat/spring/web/static/} at {@code {base}/} (index.html) and below. Every
 * request under the base path passes the Host allow-list and the body size limit first.
 */
@AutoConfiguration(after = {KeyseatValidatorAutoConfiguration.class, KeyseatMetricsAutoConfiguration.class,
    KeyseatSecurityAutoConfiguration.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({DispatcherServlet.class, Authentication.class, Keyseat.class})
@ConditionalOnProperty(prefix = "keyseat.web", name = "enabled", havingValue = "true")
@ConditionalOnBean({Keyseat.class, KeyManager.class, KeyseatActors.class})
@EnableConfigurationProperties(KeyseatWebProperties.class)
public class KeyseatWebAutoConfiguration {
  /** Where the page's files are. */
  static final String STATIC_LOCATION = "classpath:/dev/keyseat/spring/web/static/";
  /** Filters of the host run at -100 (Spring Security) and later; the guard runs before them. */
  static final int GUARD_ORDER = -200;
  private static final Pattern BASE_PATH = Pattern.compile("(/[A-Za-z0-9._~-]+)+");

  @Bean
  KeyseatApiController keyseatApiController(KeyManager keys, Keyseat keyseat, KeyseatActors actors,
      KeyseatWebProperties properties) {
    checkBasePath(properties);
    checkLimits(properties);
    return new KeyseatApiController(keys, keyseat, actors, properties);
  }

  @Bean
  OpenApiController keyseatOpenApiController(KeyseatWebProperties properties) {
    return new OpenApiController(properties);
  }

  @Bean
  ApiProblems keyseatApiProblems() {
    return new ApiProblems();
  }

  @Bean
  FilterRegistrationBean<ApiGuardFilter> keyseatApiGuardFilter(KeyseatWebProperties properties) {
    String base = checkBasePath(properties);
    FilterRegistrationBean<ApiGuardFilter> registration = new FilterRegistrationBean<>(
        new ApiGuardFilter(properties.allowedHosts(), properties.maxBodySize().toBytes()));
    registration.addUrlPatterns(base + "/*", base);
    registration.setOrder(GUARD_ORDER);
    registration.setName("keyseatApiGuardFilter");
    return registration;
  }

  @Bean
  WebMvcConfigurer keyseatPage(KeyseatWebProperties properties) {
    String base = checkBasePath(properties);
    return new WebMvcConfigurer() {
      @Override
      public void addResourceHandlers(ResourceHandlerRegistry registry) {
        registry.addResourceHandler(base + "/**").addResourceLocations(STATIC_LOCATION);
      }

      @Override
      public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController(base, base + "/");
        registry.addViewController(base + "/").setViewName("forward:" + base + "/index.html");
      }
    };
  }

  /**
   * @param basePath a base path
   * @return it, if well formed
   * @throws IllegalArgumentException if not: it must start with a slash, not end with one, and hold
   *     only letters, digits and {@code . _ ~ -} between slashes
   */
  static String normalize(String basePath) {
    if (basePath == null || !BASE_PATH.matcher(basePath).matches()) {
      throw new IllegalArgumentException("keyseat.web.base-path must start with a slash and not end with one, "
          + "e.g. /keyseat or /admin/keys");
    }
    return basePath;
  }

  private static String checkBasePath(KeyseatWebProperties properties) {
    try {
      return normalize(properties.basePath());
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException("keyseat.web.base-path", properties.basePath(),
          e.getMessage());
    }
  }

  private static void checkLimits(KeyseatWebProperties properties) {
    if (properties.allowedHosts().isEmpty()) {
      throw new InvalidConfigurationPropertyValueException("keyseat.web.allowed-hosts", "",
          "keyseat.web.allowed-hosts must name at least one host, e.g. localhost");
    }
    if (properties.maxBodySize().toBytes() < 1024) {
      throw new InvalidConfigurationPropertyValueException("keyseat.web.max-body-size", properties.maxBodySize(),
          "keyseat.web.max-body-size must be at least 1KB");
    }
    if (properties.maxBatchSize() < 1 || properties.maxBatchSize() > 1000) {
      throw new InvalidConfigurationPropertyValueException("keyseat.web.max-batch-size", properties.maxBatchSize(),
          "keyseat.web.max-batch-size must be between 1 and 1000");
    }
    if (properties.maxPageSize() < 1 || properties.maxPageSize() > 1000) {
      throw new InvalidConfigurationPropertyValueException("keyseat.web.max-page-size", properties.maxPageSize(),
          "keyseat.web.max-page-size must be between 1 and 1000");
    }
  }
}
