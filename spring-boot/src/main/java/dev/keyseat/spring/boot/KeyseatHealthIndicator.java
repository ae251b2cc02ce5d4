package dev.keyseat.spring.boot;

import dev.keyseat.validation.CachedKeyValidator;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health {@code keyseat}: UP while the validator's view of the store is younger than its maximum
 * staleness, DOWN once it is older, when the validator fails closed. Details: {@code feedLag}
 * (ISO-8601 duration), {@code maxStaleness} and {@code cachedEntries}.
 */
public final class KeyseatHealthIndicator extends AbstractHealthIndicator {
  private final CachedKeyValidator validator;
  private final ValidatorMonitor monitor;

  /**
   * @param validator the validator whose cache is counted
   * @param monitor its monitor, which knows the feed lag
   */
  public KeyseatHealthIndicator(CachedKeyValidator validator, ValidatorMonitor monitor) {
    super("Keyseat health check failed");
    this.validator = validator;
    this.monitor = monitor;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    if (monitor.failingClosed()) {
      builder.down();
    } else {
      builder.up();
    }
    builder.withDetail("feedLag", monitor.feedLag().toString())
        .withDetail("maxStaleness", monitor.maxStaleness().toString())
        .withDetail("feedRead", monitor.feedRead())
        .withDetail("cachedEntries", validator.estimatedSize());
  }
}
