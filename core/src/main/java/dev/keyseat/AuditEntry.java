package dev.keyseat;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One line of an account's audit log: who did what to which key or device, when, and whether it
 * was allowed. Audit entries never contain secrets.
 *
 * @param sequence position in the account's log, assigned by the store (0 before it is stored)
 * @param accountId the account
 * @param at when it happened
 * @param actor who did it, e.g. {@code user:alice} or {@code operator:ops}
 * @param action what was attempted
 * @param keyId the key concerned, or null
 * @param deviceSerial the device concerned, or null
 * @param outcome whether it was done or refused
 * @param detail human-readable detail, e.g. the refusal message
 */
public record AuditEntry(
    long sequence,
    AccountId accountId,
    Instant at,
    String actor,
    Action action,
    @Nullable KeyId keyId,
    @Nullable String deviceSerial,
    Outcome outcome,
    String detail) {

  /** Management actions recorded in the audit log. */
  public enum Action {
    /** The operator created the account. */
    CREATE_ACCOUNT,
    /** The operator contracted licenses. */
    CONTRACT_LICENSES,
    /** The operator cancelled licenses. */
    CANCEL_LICENSES,
    /** License usage was read. */
    READ_LICENSES,
    /** The members were listed. */
    LIST_MEMBERS,
    /** A member was added. */
    ADD_MEMBER,
    /** A member's role changed. */
    CHANGE_ROLE,
    /** A member was removed. */
    REMOVE_MEMBER,
    /** The devices were listed. */
    LIST_DEVICES,
    /** A device was associated. */
    ASSOCIATE_DEVICE,
    /** A device was renamed. */
    RENAME_DEVICE,
    /** A device was dissociated (its key deleted). */
    DISSOCIATE_DEVICE,
    /** The keys table was read. */
    LIST_KEYS,
    /** Keys were created. */
    CREATE_KEYS,
    /** A key's secret was revealed (copy). */
    REVEAL_KEY,
    /** A key was regenerated. */
    REGENERATE_KEY,
    /** A key was edited. */
    EDIT_KEY,
    /** A key was suspended or resumed. */
    SUSPEND_KEY,
    /** A key was deleted. */
    DELETE_KEY,
    /** The audit log was read. */
    READ_AUDIT
  }

  /** Whether the action took effect. */
  public enum Outcome {
    /** Done. */
    SUCCESS,
    /** Refused; nothing changed. */
    REFUSED
  }

  /**
   * Checks that required components are present.
   *
   * @param sequence position in the account's log, assigned by the store (0 before it is stored)
   * @param accountId the account
   * @param at when it happened
   * @param actor who did it, e.g. {@code user:alice} or {@code operator:ops}
   * @param action what was attempted
   * @param keyId the key concerned, or null
   * @param deviceSerial the device concerned, or null
   * @param outcome whether it was done or refused
   * @param detail human-readable detail, e.g. the refusal message
   */
  public AuditEntry {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /**
   * @param seq the sequence number the store assigned
   * @return a copy carrying the sequence number the store assigned
   */
  public AuditEntry withSequence(long seq) {
    return new AuditEntry(seq, accountId, at, actor, action, keyId, deviceSerial, outcome, detail);
  }
}
