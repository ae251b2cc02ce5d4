package dev.keyseat;

import dev.keyseat.internal.CommitStream;
import dev.keyseat.internal.FeedEvents;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.internal.validation.OpenValidators;
import dev.keyseat.internal.validation.StoreLookupValidator;
import dev.keyseat.internal.validation.ValidationCacheBuilder;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SettingRanges;
import dev.keyseat.validation.CachedKeyValidatorBuilder;
import dev.keyseat.validation.KeyValidator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The entry point: one Keyseat per store, holding the management API and the validators. It is
 * the one place where the two paths meet: the management API publishes each commit's key changes,
 * and the validators built here subscribe to them.
 *
 * <pre>{@code
 * try (Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build()) {
 *   KeyManager keys = keyseat.manager();
 *   CachedKeyValidator validator = keyseat.validator().build();
 *   ...
 * } // closes the validator too
 * }</pre>
 *
 * <p><b>Closing.</b> {@link #close()} closes every cached validator built through {@link
 * #validator()} that is still open (each stops its threads and writes the usage it counted); a
 * validator closed on its own before is forgotten at once, so a long-lived Keyseat holds none that
 * are closed. The management API and {@link #storeValidator()} hold no resources and keep working
 * after {@code close()}; the store is the host's to close. Thread-safe.
 */
public final class Keyseat implements AutoCloseable {
  private final KeyStore store;
  private final Clock clock;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final KeyManager manager;
  private final boolean retainsSecrets;
  private final CommitStream commits = new CommitStream();
  private final OpenValidators openValidators = new OpenValidators();

  private Keyseat(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.format = new KeyFormat(b.prefix, b.random, b.legacyShapes);
    this.hasher = new KeyHasher(b.pepper);
    this.manager = new DefaultKeyManager(store, clock, new KeyIssuer(format, hasher, b.vault), b.maxOverlap,
        commits::publish);
    this.retainsSecrets = b.vault != null;
  }

  /**
   * @param store where accounts, devices and keys live
   * @return a builder with secure defaults: prefix {@code ks}, plain SHA-256, no secret vault,
   *     regeneration overlap of at most 7 days, the system clock
   */
  public static Builder builder(KeyStore store) {
    return new Builder(store);
  }

  /** @return the management API */
  public KeyManager manager() {
    return manager;
  }

  /**
   * Whether secrets can be copied again later ({@link KeyManager#revealSecret}): true if a {@link
   * SecretVault} was configured, false if each secret is shown once.
   *
   * @return whether a secret vault is configured
   */
  public boolean retainsSecrets() {
    return retainsSecrets;
  }

  /**
   * A validator that asks the store on every call: simple and exact, but one store lookup and one
   * usage write per validation. Gateways should use the cached {@link #validator()}.
   *
   * @return a validator answering from the store
   */
  public KeyValidator storeValidator() {
    return new StoreLookupValidator(store, format, hasher, clock);
  }

  /**
   * Starts configuring the cached validator that gateways use on every request: in-process cache,
   * change-feed coherence, bounded staleness, usage tracking and optional rate limits. Management
   * calls made through this Keyseat invalidate its cache as they commit.
   *
   * <pre>{@code
   * CachedKeyValidator validator = keyseat.validator()
   *     .maximumSize(500_000)
   *     .feedPollInterval(Duration.ofSeconds(1))
   *     .maxStaleness(Duration.ofSeconds(30))
   *     .build();
   * }</pre>
   *
   * <p>Each validator built is closed by {@link #close()} if it is still open then; its {@code
   * build()} throws {@link IllegalStateException} once this Keyseat is closed.
   *
   * @return a builder with defaults: 100,000 entries, negative entries for 1 minute, feed read every
   *     second, fail closed after 30 seconds without the feed, 1,000 store lookups per second,
   *     usage written every 10 seconds, no rate limit
   */
  public CachedKeyValidatorBuilder validator() {
    return new ValidationCacheBuilder(store, format, hasher, clock, commits, openValidators);
  }

  /**
   * Closes every cached validator built through {@link #validator()} and still open, as {@link
   * dev.keyseat.validation.CachedKeyValidator#close()} does (threads stopped, usage written), and
   * refuses to build more. The management API and {@link #storeValidator()} keep working; the
   * store is not closed. Idempotent; never throws.
   */
  @Override
  public void close() {
    openValidators.closeAll();
  }

  /** @return how many validators built here are open, for tests in this package */
  int openValidators() {
    return openValidators.size();
  }

  /**
   * Key and license changes for the host (send a mail when a key is regenerated, tell billing
   * when a license frees): every node's commits, in commit order, at least once, resumable from a
   * cursor the host stores. Built on the store's change feed; holds nothing until a
   * subscription is opened.
   *
   * @return the events
   */
  public KeyEvents events() {
    return new FeedEvents(store);
  }

  /**
   * The license end sweep (R9): a pass over every account that applies the ends of grants that
   * passed, once, so that suspensions under {@code SUSPEND_NEWEST} reach the validators without
   * waiting for the account's next management call. Safe to run on every node at once.
   *
   * @param operator the operator the sweep acts as (its calls are the operator's)
   * @return the sweep; {@link LicenseEndSweep#run()} once, or {@link LicenseEndSweep#schedule} it
   * @throws IllegalArgumentException if the actor is not an operator
   */
  public LicenseEndSweep licenseEndSweep(Actor operator) {
    return new LicenseEndSweep(manager, clock, operator, LicenseEndSweep.DEFAULT_PAGE_SIZE);
  }

  /**
   * Whether an input is worth hashing: a Keyseat key of this Keyseat's prefix with a valid
   * checksum, or a key of one of the {@link Builder#legacyKeyShapes declared legacy shapes}. The
   * validators answer {@code MALFORMED} to everything else. Never throws; for import tools and
   * scanners that check their input before sending it.
   *
   * @param key any input, possibly null
   * @return whether this Keyseat's validators would hash and look up the input
   */
  public boolean isKeyShaped(@Nullable CharSequence key) {
    return key != null && format.isAccepted(key);
  }

  /** @return the store */
  public KeyStore store() {
    return store;
  }

  /** @return the clock */
  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "Keyseat[store=" + store + ", prefix=" + format.prefix() + ", peppered=" + hasher.peppered() + "]";
  }

  /** Configures a {@link Keyseat}. Every setter validates its argument at once. */
  public static final class Builder {
    private final KeyStore store;
    private Clock clock = Clock.systemUTC();
    private String prefix = KeyFormat.DEFAULT_PREFIX;
    private byte @Nullable [] pepper;
    private @Nullable SecretVault vault;
    private Duration maxOverlap = Duration.ofDays(7);
    private SecureRandom random = new SecureRandom();
    private List<LegacyKeyShape> legacyShapes = List.of();

    private Builder(KeyStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * @param clock the time source for creation times, expiry and overlaps
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param prefix key prefix, 1–10 lowercase letters or digits starting with a letter (default
     *     {@code ks}); lets secret scanners recognise leaked keys
     * @return this builder
     * @throws IllegalArgumentException if the prefix has another shape
     */
    public Builder keyPrefix(String prefix) {
      new KeyFormat(prefix, random);
      this.prefix = prefix;
      return this;
    }

    /**
     * @param pepper host-held HMAC key of at least 16 bytes: the store then keeps HMAC-SHA256
     *     instead of SHA-256, so a stolen database alone cannot confirm guesses
     * @return this builder
     */
    public Builder pepper(byte[] pepper) {
      Objects.requireNonNull(pepper, "pepper");
      if (pepper.length < 16) {
        throw new IllegalArgumentException("pepper must have at least 16 bytes, had " + pepper.length);
      }
      this.pepper = pepper.clone();
      return this;
    }

    /**
     * @param vault seals secrets at rest so that administrators can copy a key again later;
     *     without one a secret is shown once
     * @return this builder
     */
    public Builder secretVault(SecretVault vault) {
      this.vault = Objects.requireNonNull(vault, "vault");
      return this;
    }

    /**
     * @param max the longest overlap a regeneration may grant the old secret (default 7 days)
     * @return this builder
     * @throws NullPointerException if {@code max} is null
     * @throws IllegalArgumentException if {@code max} is negative or longer than 30 days
     */
    public Builder maxRegenerationOverlap(Duration max) {
      this.maxOverlap = SettingRanges.requireBetween("maximum overlap", max, Duration.ZERO, Duration.ofDays(30));
      return this;
    }

    /**
     * @param random entropy source for secrets and key ids (default a new {@link SecureRandom})
     * @return this builder
     */
    public Builder secureRandom(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Declares the shapes of keys imported from an existing system ({@link KeyManager#importKeys}):
     * such keys carry no checksum and validate, until they are regenerated, if they have one of
     * these shapes. Only inputs that are not well-formed Keyseat keys are tried against them, so
     * native keys validate as fast as without legacy shapes; inputs of no shape stay {@code
     * MALFORMED} without hashing. Regenerating an imported key issues a key in Keyseat's format.
     * Replaces shapes declared before; none by default.
     *
     * <pre>{@code
     * Keyseat.builder(store)
     *     .legacyKeyShapes(LegacyKeyShape.uuid(), LegacyKeyShape.pattern("[0-9a-f]{40}", 40, 40))
     *     .build();
     * }</pre>
     *
     * @param shapes the shapes, none to accept only Keyseat keys
     * @return this builder
     * @throws NullPointerException if {@code shapes} or one of them is null
     */
    public Builder legacyKeyShapes(LegacyKeyShape... shapes) {
      this.legacyShapes = List.of(shapes);
      return this;
    }

    /** @return a Keyseat over the store */
    public Keyseat build() {
      return new Keyseat(this);
    }
  }
}
