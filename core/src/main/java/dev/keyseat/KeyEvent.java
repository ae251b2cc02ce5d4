package dev.keyseat;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A change to a key or to an account's licenses, as {@link KeyEvents} hands it to the host: in
 * commit order, from any node's commits. It carries ids and a time, never a secret or a hash.
 *
 * @param cursor the event's position: store it once the event is handled, and resume with
 *     {@link KeyEvents#read} or {@link KeyEvents#subscribe} after it
 * @param type what happened
 * @param accountId the account
 * @param keyId the key, or null for a license change
 * @param at when the management call that made it ran
 */
public record KeyEvent(long cursor, Type type, AccountId accountId, @Nullable KeyId keyId, Instant at) {

  /** Kinds of events. */
  public enum Type {
    /** A key was created for a device. */
    KEY_CREATED,
    /** A key got a new secret (same id, device and license). */
    KEY_REGENERATED,
    /** A key's label, expiry or device changed. */
    KEY_EDITED,
    /** A key was suspended (by an administrator, or by a license cancellation). */
    KEY_SUSPENDED,
    /** A suspended key was resumed. */
    KEY_RESUMED,
    /** A key was deleted, or its device left the account: its license is free. */
    KEY_DELETED,
    /** The operator contracted more licenses for the account. */
    LICENSES_CONTRACTED,
    /** The operator cancelled some of the account's licenses. */
    LICENSES_CANCELLED,
    /** The operator granted licenses, open-ended or for a term; {@code licenses()} lists the grant. */
    LICENSES_GRANTED,
    /** The operator extended, renewed or shortened a grant's term; the audit log says which. */
    LICENSE_TERM_CHANGED,
    /**
     * A grant ended: the operator ended it early, or its end passed (delivered once, when the
     * platform applied the end: at the account's next write or by a license end sweep).
     */
    LICENSES_ENDED
  }

  /**
   * Checks required components.
   *
   * @param cursor the event's position: store it once the event is handled, and resume with {@link
   *     KeyEvents#read} or {@link KeyEvents#subscribe} after it
   * @param type what happened
   * @param accountId the account
   * @param keyId the key, or null for a license change
   * @param at when the management call that made it ran
   */
  public KeyEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(at, "at");
  }
}
