package dev.keyseat.spring.boot;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Keyseat's settings under {@code keyseat.*}, bound once through the constructor and immutable
 * after. Each is checked when the bean it configures is created; a bad value fails the start with a
 * message naming the property. The {@code @param} descriptions below are the ones the configuration
 * metadata (and so the IDE) shows.
 *
 * @param store Which store to use: jdbc (over the application's DataSource) or in-memory.
 * @param keyPrefix Prefix of issued keys, 1-10 lowercase letters or digits starting with a letter.
 * @param pepper Base64 HMAC key of at least 32 bytes: the store then keeps HMAC-SHA256 of each key
 *     instead of SHA-256. Keep it out of the database; changing it invalidates every key.
 * @param maxRegenerationOverlap Longest overlap a regeneration may grant the old secret.
 * @param vault The secret vault that lets administrators copy a key again later.
 * @param jdbc The JDBC store.
 * @param validator The cached validator that checks each request's key.
 * @param security API-key authentication in Spring Security and the management Actor.
 * @param licenseEndSweep The license end sweep (opt-in): applies the ends of license grants that
 *     passed, on every node.
 */
@ConfigurationProperties("keyseat")
public record KeyseatProperties(
    @DefaultValue("jdbc") StoreType store,
    @DefaultValue("ks") String keyPrefix,
    @Nullable String pepper,
    @DefaultValue("7d") Duration maxRegenerationOverlap,
    @DefaultValue Vault vault,
    @DefaultValue Jdbc jdbc,
    @DefaultValue Validator validator,
    @DefaultValue Security security,
    @DefaultValue LicenseEndSweep licenseEndSweep) {

  /** When the JDBC store creates its tables. */
  public enum SchemaInitialization {
    /** Only on an embedded database (H2, HSQLDB, Derby): the default. */
    EMBEDDED,
    /** On any database where they are missing. */
    ALWAYS,
    /** Never: a migration tool (Flyway) applies the shipped migrations. */
    NEVER
  }

  /** Where keys live. */
  public enum StoreType {
    /** The JDBC store over the application's DataSource (PostgreSQL or H2). */
    JDBC,
    /** The in-memory store: one JVM, lost at shutdown; for demos and tests. */
    IN_MEMORY
  }

  @Override
  public String toString() {
    return "KeyseatProperties[store=" + store + ", keyPrefix=" + keyPrefix + ", pepper="
        + (pepper == null ? "none" : "<hidden>") + "]";
  }

  /**
   * The secret vault that lets administrators copy a key again later.
   *
   * @param key Base64 AES key (16, 24 or 32 bytes) sealing secrets at rest so that they can be
   *     revealed again ("copy"); without it a secret is shown once.
   */
  public record Vault(@Nullable String key) {
    @Override
    public String toString() {
      return "Vault[key=" + (key == null ? "none" : "<hidden>") + "]";
    }
  }

  /**
   * The license end sweep (opt-in): applies the ends of license grants that passed, on every node.
   *
   * @param enabled Whether this node runs the sweep: a pass over every account that applies passed
   *     license ends (SUSPEND_NEWEST suspensions) once, without waiting for each account's next
   *     write. Safe on every node at once.
   * @param interval Time between passes, 1 second to 1 day.
   * @param operator The operator name the sweep acts as, in the audit log.
   */
  public record LicenseEndSweep(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("5m") Duration interval,
      @DefaultValue("license-end-sweep") String operator) {}

  /**
   * The JDBC store.
   *
   * @param initializeSchema When to create the Keyseat tables from the shipped V1 migration if they
   *     are missing: embedded (H2 and other embedded databases only), always, or never (your
   *     migration tool applies dev/keyseat/jdbc/migration/{vendor}).
   * @param changeRetention How long change feed entries are kept; longer than any node's outage.
   * @param purgeInterval How often entries older than the retention are purged from the change
   *     feed; 0 never.
   * @param maxAttempts Attempts of a transaction the database rolled back for a deadlock or
   *     serialization failure.
   */
  public record Jdbc(
      @DefaultValue("embedded") SchemaInitialization initializeSchema,
      @DefaultValue("7d") Duration changeRetention,
      @DefaultValue("1h") Duration purgeInterval,
      @DefaultValue("3") int maxAttempts) {}

  /**
   * The cached validator that checks each request's key.
   *
   * @param enabled Whether to create the cached validator bean.
   * @param maximumSize Most keys (known and unknown) the cache holds; ignored when preloading.
   * @param preload Load every key at start and keep all of them, so unknown keys never reach the
   *     store.
   * @param feedPollInterval How often the change feed is read: the bound on other nodes' changes.
   * @param maxStaleness How long cached answers are served while the feed cannot be read; then
   *     fail closed.
   * @param storeLookupsPerSecond Most store lookups that cache misses may cause per second.
   * @param usageFlushInterval How often counted usage is written to the store (also at shutdown).
   * @param rateLimit A per-key rate limit (needs Bucket4j, which the starter brings).
   */
  public record Validator(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("100000") long maximumSize,
      @DefaultValue("false") boolean preload,
      @DefaultValue("1s") Duration feedPollInterval,
      @DefaultValue("30s") Duration maxStaleness,
      @DefaultValue("1000") int storeLookupsPerSecond,
      @DefaultValue("10s") Duration usageFlushInterval,
      @DefaultValue RateLimit rateLimit) {}

  /**
   * A per-key rate limit (needs Bucket4j, which the starter brings).
   *
   * @param requests Valid answers allowed per period and key; 0 for no limit.
   * @param period The period of the rate limit.
   */
  public record RateLimit(@DefaultValue("0") long requests, @DefaultValue("1h") Duration period) {}

  /**
   * API-key authentication in Spring Security and the management Actor.
   *
   * @param header Request header that carries the API key (unless the configurer is told otherwise).
   * @param operatorAuthority Authority that makes an authenticated user the Keyseat operator
   *     (Actor.operator).
   */
  public record Security(
      @DefaultValue("X-API-Key") String header,
      @DefaultValue("ROLE_KEYSEAT_OPERATOR") String operatorAuthority) {}
}
