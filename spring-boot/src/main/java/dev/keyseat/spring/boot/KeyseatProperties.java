package dev.keyseat.spring.boot;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Keyseat's settings under {@code keyseat.*}. Each is checked when the bean it configures is
 * created; a bad value fails the start with a message naming the property.
 */
@ConfigurationProperties("keyseat")
public class KeyseatProperties {

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

  /** Which store to use: jdbc (over the application's DataSource) or in-memory. */
  private StoreType store = StoreType.JDBC;

  /** Prefix of issued keys, 1-10 lowercase letters or digits starting with a letter. */
  private String keyPrefix = "ks";

  /**
   * Base64 HMAC key of at least 32 bytes: the store then keeps HMAC-SHA256 of each key instead of
   * SHA-256. Keep it out of the database; changing it invalidates every key.
   */
  private @Nullable String pepper;

  /** Longest overlap a regeneration may grant the old secret. */
  private Duration maxRegenerationOverlap = Duration.ofDays(7);

  private final Vault vault = new Vault();
  private final Jdbc jdbc = new Jdbc();
  private final Validator validator = new Validator();
  private final Security security = new Security();
  private final LicenseEndSweep licenseEndSweep = new LicenseEndSweep();

  /** @return the store type */
  public StoreType getStore() {
    return store;
  }

  /** @param store the store type */
  public void setStore(StoreType store) {
    this.store = store;
  }

  /** @return the key prefix */
  public String getKeyPrefix() {
    return keyPrefix;
  }

  /** @param keyPrefix the key prefix */
  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
  }

  /** @return the base64 pepper, or null */
  public @Nullable String getPepper() {
    return pepper;
  }

  /** @param pepper the base64 pepper */
  public void setPepper(@Nullable String pepper) {
    this.pepper = pepper;
  }

  /** @return the longest regeneration overlap */
  public Duration getMaxRegenerationOverlap() {
    return maxRegenerationOverlap;
  }

  /** @param maxRegenerationOverlap the longest regeneration overlap */
  public void setMaxRegenerationOverlap(Duration maxRegenerationOverlap) {
    this.maxRegenerationOverlap = maxRegenerationOverlap;
  }

  /** @return the secret vault settings */
  public Vault getVault() {
    return vault;
  }

  /** @return the JDBC store settings */
  public Jdbc getJdbc() {
    return jdbc;
  }

  /** @return the cached validator settings */
  public Validator getValidator() {
    return validator;
  }

  /** @return the Spring Security settings */
  public Security getSecurity() {
    return security;
  }

  @Override
  public String toString() {
    return "KeyseatProperties[store=" + store + ", keyPrefix=" + keyPrefix + ", pepper="
        + (pepper == null ? "none" : "<hidden>") + "]";
  }

  /** The secret vault that lets administrators copy a key again later. */
  public static class Vault {
    /**
     * Base64 AES key (16, 24 or 32 bytes) sealing secrets at rest so that they can be revealed
     * again ("copy"); without it a secret is shown once.
     */
    private @Nullable String key;

    /** @return the base64 AES key, or null */
    public @Nullable String getKey() {
      return key;
    }

    /** @param key the base64 AES key */
    public void setKey(@Nullable String key) {
      this.key = key;
    }

    @Override
    public String toString() {
      return "Vault[key=" + (key == null ? "none" : "<hidden>") + "]";
    }
  }

  /** @return the license end sweep settings */
  public LicenseEndSweep getLicenseEndSweep() {
    return licenseEndSweep;
  }

  /** The license end sweep (opt-in): applies the ends of license grants that passed, on every node. */
  public static class LicenseEndSweep {
    /**
     * Whether this node runs the sweep: a pass over every account that applies passed license ends
     * (SUSPEND_NEWEST suspensions) once, without waiting for each account's next write. Safe on every
     * node at once.
     */
    private boolean enabled;

    /** Time between passes, 1 second to 1 day. */
    private Duration interval = Duration.ofMinutes(5);

    /** The operator name the sweep acts as, in the audit log. */
    private String operator = "license-end-sweep";

    /** @return whether the sweep runs */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether the sweep runs */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** @return the time between passes */
    public Duration getInterval() {
      return interval;
    }

    /** @param interval the time between passes */
    public void setInterval(Duration interval) {
      this.interval = interval;
    }

    /** @return the operator name */
    public String getOperator() {
      return operator;
    }

    /** @param operator the operator name */
    public void setOperator(String operator) {
      this.operator = operator;
    }
  }

  /** The JDBC store. */
  public static class Jdbc {
    /**
     * When to create the Keyseat tables from the shipped V1 migration if they are missing:
     * embedded (H2 and other embedded databases only), always, or never (your migration tool
     * applies dev/keyseat/jdbc/migration/{vendor}).
     */
    private SchemaInitialization initializeSchema = SchemaInitialization.EMBEDDED;

    /** How long change feed entries are kept; longer than any node's outage. */
    private Duration changeRetention = Duration.ofDays(7);

    /** How often entries older than the retention are purged from the change feed; 0 never. */
    private Duration purgeInterval = Duration.ofHours(1);

    /** Attempts of a transaction the database rolled back for a deadlock or serialization failure. */
    private int maxAttempts = 3;

    /** @return the schema initialization mode */
    public SchemaInitialization getInitializeSchema() {
      return initializeSchema;
    }

    /** @param initializeSchema the schema initialization mode */
    public void setInitializeSchema(SchemaInitialization initializeSchema) {
      this.initializeSchema = initializeSchema;
    }

    /** @return the change feed retention */
    public Duration getChangeRetention() {
      return changeRetention;
    }

    /** @param changeRetention the change feed retention */
    public void setChangeRetention(Duration changeRetention) {
      this.changeRetention = changeRetention;
    }

    /** @return the purge interval */
    public Duration getPurgeInterval() {
      return purgeInterval;
    }

    /** @param purgeInterval the purge interval */
    public void setPurgeInterval(Duration purgeInterval) {
      this.purgeInterval = purgeInterval;
    }

    /** @return the transaction attempts */
    public int getMaxAttempts() {
      return maxAttempts;
    }

    /** @param maxAttempts the transaction attempts */
    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }
  }

  /** The cached validator that checks each request's key. */
  public static class Validator {
    /** Whether to create the cached validator bean. */
    private boolean enabled = true;

    /** Most keys (known and unknown) the cache holds; ignored when preloading. */
    private long maximumSize = 100_000;

    /** Load every key at start and keep all of them, so unknown keys never reach the store. */
    private boolean preload;

    /** How often the change feed is read: the bound on other nodes' changes. */
    private Duration feedPollInterval = Duration.ofSeconds(1);

    /** How long cached answers are served while the feed cannot be read; then fail closed. */
    private Duration maxStaleness = Duration.ofSeconds(30);

    /** Most store lookups that cache misses may cause per second. */
    private int storeLookupsPerSecond = 1000;

    /** How often counted usage is written to the store (also at shutdown). */
    private Duration usageFlushInterval = Duration.ofSeconds(10);

    private final RateLimit rateLimit = new RateLimit();

    /** @return whether the validator is created */
    public boolean isEnabled() {
      return enabled;
    }

    /** @param enabled whether the validator is created */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** @return the maximum cache size */
    public long getMaximumSize() {
      return maximumSize;
    }

    /** @param maximumSize the maximum cache size */
    public void setMaximumSize(long maximumSize) {
      this.maximumSize = maximumSize;
    }

    /** @return whether every key is preloaded */
    public boolean isPreload() {
      return preload;
    }

    /** @param preload whether every key is preloaded */
    public void setPreload(boolean preload) {
      this.preload = preload;
    }

    /** @return the feed poll interval */
    public Duration getFeedPollInterval() {
      return feedPollInterval;
    }

    /** @param feedPollInterval the feed poll interval */
    public void setFeedPollInterval(Duration feedPollInterval) {
      this.feedPollInterval = feedPollInterval;
    }

    /** @return the maximum staleness */
    public Duration getMaxStaleness() {
      return maxStaleness;
    }

    /** @param maxStaleness the maximum staleness */
    public void setMaxStaleness(Duration maxStaleness) {
      this.maxStaleness = maxStaleness;
    }

    /** @return the store lookups per second */
    public int getStoreLookupsPerSecond() {
      return storeLookupsPerSecond;
    }

    /** @param storeLookupsPerSecond the store lookups per second */
    public void setStoreLookupsPerSecond(int storeLookupsPerSecond) {
      this.storeLookupsPerSecond = storeLookupsPerSecond;
    }

    /** @return the usage flush interval */
    public Duration getUsageFlushInterval() {
      return usageFlushInterval;
    }

    /** @param usageFlushInterval the usage flush interval */
    public void setUsageFlushInterval(Duration usageFlushInterval) {
      this.usageFlushInterval = usageFlushInterval;
    }

    /** @return the per-key rate limit */
    public RateLimit getRateLimit() {
      return rateLimit;
    }
  }

  /** A per-key rate limit (needs Bucket4j, which the starter brings). */
  public static class RateLimit {
    /** Valid answers allowed per period and key; 0 for no limit. */
    private long requests;

    /** The period of the rate limit. */
    private Duration period = Duration.ofHours(1);

    /** @return the requests per period, 0 for none */
    public long getRequests() {
      return requests;
    }

    /** @param requests the requests per period */
    public void setRequests(long requests) {
      this.requests = requests;
    }

    /** @return the period */
    public Duration getPeriod() {
      return period;
    }

    /** @param period the period */
    public void setPeriod(Duration period) {
      this.period = period;
    }
  }

  /** API-key authentication in Spring Security and the management Actor. */
  public static class Security {
    /** Request header that carries the API key (unless the configurer is told otherwise). */
    private String header = "X-API-Key";

    /** Authority that makes an authenticated user the Keyseat operator (Actor.operator). */
    private String operatorAuthority = "ROLE_KEYSEAT_OPERATOR";

    /** @return the header name */
    public String getHeader() {
      return header;
    }

    /** @param header the header name */
    public void setHeader(String header) {
      this.header = header;
    }

    /** @return the operator authority */
    public String getOperatorAuthority() {
      return operatorAuthority;
    }

    /** @param operatorAuthority the operator authority */
    public void setOperatorAuthority(String operatorAuthority) {
      this.operatorAuthority = operatorAuthority;
    }
  }
}
