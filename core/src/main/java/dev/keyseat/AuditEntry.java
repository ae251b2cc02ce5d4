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
    CREATE_ACCOUNT, CONTRACT_LICENSES, CANCEL_LICENSES, READ_LICENSES,
    LIST_MEMBERS, ADD_MEMBER, CHANGE_ROLE, REMOVE_MEMBER,
    LIST_DEVICES, ASSOCIATE_DEVICE, RENAME_DEVICE, DISSOCIATE_DEVICE,
    LIST_KEYS, CREATE_KEYS, REVEAL_KEY, REGENERATE_KEY, EDIT_KEY, SUSPEND_KEY, DELETE_KEY,
    READ_AUDIT,
    /** The operator closed the account ({@link KeyManager#closeAccount}); the last entry of its log. */
    CLOSE_ACCOUNT,
    /** The operator imported keys from an existing system ({@link KeyManager#importKeys}); one entry per key. */
    IMPORT_KEYS
  }

  /** Whether the action took effect. */
  public enum Outcome {
    /** Done. */
    SUCCESS,
    /** Refused; nothing changed. */
    REFUSED
  }

  /** Checks that required components are present. */
  public AuditEntry {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /** @return a copy carrying the sequence number the store assigned */
  public AuditEntry withSequence(long seq) {
    return new AuditEntry(seq, accountId, at, actor, action, keyId, deviceSerial, outcome, detail);
  }
}
