package dev.keyseat;

import dev.keyseat.internal.Require;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One line of an account's audit log: who did what to which key or device, when, and whether it
 * was allowed. Audit entries never contain secrets.
 *
 * @param sequence position in the account's log, assigned by the store (0 before it is stored)
 * @param accountId the account
 * @param at when it happened
 * @param actor who did it, e.g. {@code user:alice} or {@code operator:ops}, or {@code platform:keyseat}
 *     for what the platform does by itself (a license grant's end passing)
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

  /**
   * Management actions recorded in the audit log. Each knows who may perform it (R8, R9) and how to
   * describe it in a refusal.
   */
  public enum Action {
    /** The operator creates an account (R9). */
    CREATE_ACCOUNT("create accounts", true),
    /** The operator contracts licenses (R9). */
    CONTRACT_LICENSES("contract licenses", true),
    /** The operator cancels licenses (R9). */
    CANCEL_LICENSES("cancel licenses", true),
    /** The operator or any member reads the license usage (R3). */
    READ_LICENSES("read license usage", true, Role.ADMIN, Role.MANAGER, Role.VIEWER),
    /** The operator grants licenses for a term or open-ended (R9). */
    GRANT_LICENSES("grant licenses", true),
    /** The operator extends, renews or shortens a grant's term (R9). */
    CHANGE_LICENSE_TERM("change license terms", true),
    /** The operator ends a grant now, with an over-limit strategy (R9). */
    END_LICENSES("end licenses", true),
    /** The operator sets the account's license policy: expiry strategy, seat reuse limit (R9). */
    SET_LICENSE_POLICY("set license policies", true),
    /** The operator or any member reads the grants, their history and the license policy (R3). */
    LIST_LICENSES("read licenses", true, Role.ADMIN, Role.MANAGER, Role.VIEWER),
    /**
     * A grant's end passed and the account's expiry strategy was applied (R9); the platform's action,
     * audited as {@code platform}. The operator may also apply due ends by hand.
     */
    LICENSES_EXPIRED("apply license ends", true),
    /** Any member lists the members. */
    LIST_MEMBERS("list members", false, Role.ADMIN, Role.MANAGER, Role.VIEWER),
    /** An admin adds a member. */
    ADD_MEMBER(Descriptions.MEMBERS, false, Role.ADMIN),
    /** An admin changes a member's role. */
    CHANGE_ROLE(Descriptions.MEMBERS, false, Role.ADMIN),
    /** An admin removes a member. */
    REMOVE_MEMBER(Descriptions.MEMBERS, false, Role.ADMIN),
    /** Any member lists the devices. */
    LIST_DEVICES("list devices", false, Role.ADMIN, Role.MANAGER, Role.VIEWER),
    /** An admin or manager associates a device. */
    ASSOCIATE_DEVICE(Descriptions.DEVICES, false, Role.ADMIN, Role.MANAGER),
    /** An admin or manager renames a device. */
    RENAME_DEVICE(Descriptions.DEVICES, false, Role.ADMIN, Role.MANAGER),
    /** An admin dissociates a device, deleting its key (R10). */
    DISSOCIATE_DEVICE("dissociate devices", false, Role.ADMIN),
    /** An admin lists the keys table. */
    LIST_KEYS(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin creates keys (R1, R2, R4, R11). */
    CREATE_KEYS(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin copies a secret through the vault (R13). */
    REVEAL_KEY(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin regenerates a key's secret (R6). */
    REGENERATE_KEY(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin edits a key (R7). */
    EDIT_KEY(Descriptions.KEYS, false, Role.ADMIN),
    /** A key was suspended, by an admin or because licenses were cancelled below the keys in use (R9). */
    SUSPEND_KEY(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin deletes a key, freeing its license (R5). */
    DELETE_KEY(Descriptions.KEYS, false, Role.ADMIN),
    /** An admin reads the audit log (R12). */
    READ_AUDIT("read the audit log", false, Role.ADMIN),
    /** The operator closed the account ({@link KeyManager#closeAccount}); the last entry of its log. */
    CLOSE_ACCOUNT("close accounts", true),
    /** The operator imported keys from an existing system ({@link KeyManager#importKeys}); one entry per key. */
    IMPORT_KEYS("import keys", true),
    /**
     * The operator's leaked-key response ({@link KeyManager#revokeLeaked}); its entries record what
     * was done, as {@code REGENERATE_KEY} or {@code SUSPEND_KEY}, and this names its refusals.
     */
    REVOKE_LEAKED_KEY("revoke leaked keys", true);

    private final String description;
    private final boolean operator;
    // Unmodifiable (Set.of or unmodifiableSet); the checker knows only Guava's immutable sets.
    @SuppressWarnings("ImmutableEnumChecker")
    private final Set<Role> roles;

    Action(String description, boolean operator, Role... roles) {
      this.description = description;
      this.operator = operator;
      this.roles = roles.length == 0 ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(Arrays.asList(roles)));
    }

    /** @return what the action does, as a refusal names it, e.g. {@code "manage keys"} */
    public String description() {
      return description;
    }

    /** @return whether the operator may perform it (R9) */
    public boolean allowsOperator() {
      return operator;
    }

    /** @return the member roles that may perform it (R8); empty when only the operator may */
    public Set<Role> allowedRoles() {
      return roles;
    }

    /** @return whether it is part of key management, which only {@link Role#ADMIN} may do (R8) */
    public boolean managesKeys() {
      return description.equals(Descriptions.KEYS);
    }
  }

  /** Descriptions shared by several actions. */
  private static final class Descriptions {
    static final String MEMBERS = "manage members";
    static final String DEVICES = "associate or rename devices";
    static final String KEYS = "manage keys";
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
    Require.nonNull("accountId, at, actor, action, outcome, detail",
        accountId, at, actor, action, outcome, detail);
  }

  /**
   * @param seq the sequence number the store assigned
   * @return a copy carrying the sequence number the store assigned
   */
  public AuditEntry withSequence(long seq) {
    return new AuditEntry(seq, accountId, at, actor, action, keyId, deviceSerial, outcome, detail);
  }
}
