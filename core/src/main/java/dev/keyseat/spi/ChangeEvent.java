package dev.keyseat.spi;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One entry of the store's change feed: a key changed, so validators on every node must forget
 * what they cached for {@link #hashes()}; or an account's licenses changed (no key, no hashes),
 * which validators ignore and {@code Keyseat.events()} passes on to the host.
 *
 * @param sequence position in the feed, assigned by the store at commit (0 before it is stored):
 *     gapless and in commit order, one above the previous committed event's, so a poller that sees
 *     a gap knows the entries in between were purged (see {@link KeyStore#changesSince})
 * @param type what happened
 * @param accountId the account
 * @param keyId the key; null for a license change
 * @param hashes every hash of the key affected (current and previous); empty for a license change
 * @param at when it happened
 */
public record ChangeEvent(long sequence, Type type, AccountId accountId, @Nullable KeyId keyId, List<KeyHash> hashes,
    Instant at) {

  /** Kinds of change: of a key, or of an account's licenses. */
  public enum Type {
    /** A key was created. */
    CREATED,
    /** A key's secret was regenerated. */
    REGENERATED,
    /** A key's label, expiry or device binding was edited. */
    EDITED,
    /** A key was suspended. */
    SUSPENDED,
    /** A key was resumed. */
    RESUMED,
    /** A key was deleted. */
    DELETED,
    /** The operator contracted more licenses for the account. */
    LICENSES_CONTRACTED,
    /** The operator cancelled some of the account's licenses. */
    LICENSES_CANCELLED,
    /** The operator granted licenses, open-ended or for a term ({@code grantLicenses}). */
    LICENSES_GRANTED,
    /** The operator extended, renewed or shortened a grant's term ({@code changeLicenseTerm}). */
    LICENSE_TERM_CHANGED,
    /**
     * A grant ended: the operator ended it early ({@code endLicense}), or its end passed and was
     * applied (once, by the account's next write or {@code applyLicenseEnds}).
     */
    LICENSES_ENDED;

    /** @return whether the event is about one key (and carries its id and hashes) */
    public boolean isKeyChange() {
      return switch (this) {
        case CREATED, REGENERATED, EDITED, SUSPENDED, RESUMED, DELETED -> true;
        case LICENSES_CONTRACTED, LICENSES_CANCELLED, LICENSES_GRANTED, LICENSE_TERM_CHANGED, LICENSES_ENDED -> false;
      };
    }
  }

  /**
   * Checks required components: a key change names its key; a license change names none and
   * carries no hashes.
   *
   * @param sequence position in the feed, assigned by the store at commit (0 before it is stored):
   *     gapless and in commit order, one above the previous committed event's, so a poller that
   *     sees a gap knows the entries in between were purged (see {@link KeyStore#changesSince})
   * @param type what happened
   * @param accountId the account
   * @param keyId the key; null for a license change
   * @param hashes every hash of the key affected (current and previous); empty for a license change
   * @param at when it happened
   */
  public ChangeEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(accountId, "accountId");
    hashes = List.copyOf(hashes);
    Objects.requireNonNull(at, "at");
    if (type.isKeyChange()) {
      Objects.requireNonNull(keyId, "keyId");
    } else if (keyId != null || !hashes.isEmpty()) {
      throw new IllegalArgumentException(type + " is about the account's licenses: no key id, no hashes");
    }
  }

  /**
   * @param type a license change: {@link Type#LICENSES_CONTRACTED}, {@link Type#LICENSES_CANCELLED},
   *     {@link Type#LICENSES_GRANTED}, {@link Type#LICENSE_TERM_CHANGED} or {@link Type#LICENSES_ENDED}
   * @param accountId the account
   * @param at when it happened
   * @return an event not yet stored (sequence 0)
   */
  public static ChangeEvent licenses(Type type, AccountId accountId, Instant at) {
    return new ChangeEvent(0, type, accountId, null, List.of(), at);
  }

  /**
   * @param seq the feed position
   * @return a copy carrying the sequence number the store assigned
   */
  public ChangeEvent withSequence(long seq) {
    return new ChangeEvent(seq, type, accountId, keyId, hashes, at);
  }
}
