package dev.keyseat.testkit;

import dev.keyseat.Actor;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * One step of a generated quota scenario, run by {@link QuotaPropertiesContract} against the real
 * {@link dev.keyseat.KeyManager} and against a reference model. Every command is a small record
 * whose {@code toString()} reads as a sentence, so that a shrunk failing sequence reads as a bug
 * report.
 *
 * <p>The cast is fixed: in account {@code acme}, {@link Who#ALICE alice} starts as the only
 * administrator, {@link Who#MONA mona} as manager and {@link Who#VIC vic} as viewer;
 * {@link Who#NORA nora} is not a member, {@link Who#OLGA olga} administers another account
 * ({@code other}), and {@link Who#OPS ops} is the platform operator. Devices {@code D0}–{@code D7}
 * belong to {@code acme} when associated ({@code D0}–{@code D5} are at the start), {@code X0}
 * belongs to {@code other} (with a key), {@code N0} starts in no account and {@code "bad serial"}
 * is not a valid serial at all.
 *
 * <p>Keys and secrets are named relative to the newest one in {@code acme} ({@link KeyRef},
 * {@link SecretRef}) because their ids and texts are only known at run time; the failure report's
 * trace shows which key each reference meant.
 */
public sealed interface QuotaCommand {

  /**
   * The actor that performs the command, so that the audit entries it leaves can be checked
   * against it.
   *
   * @return the actor that calls the key manager, or null for the steps no caller performs (a
   *     gateway's validation, the clock)
   */
  @Nullable Actor by();

  /** A command that a caller of the scenario performs through the key manager. */
  sealed interface Performed extends QuotaCommand {
    /** @return who calls the key manager */
    Who caller();

    /** @return the caller's actor */
    @Override
    default Actor by() {
      return caller().actor();
    }
  }

  /** The callers of a scenario. */
  enum Who {
    /** The first administrator of {@code acme}. */
    ALICE("alice"),
    /** A manager of {@code acme}. */
    MONA("mona"),
    /** A viewer of {@code acme}. */
    VIC("vic"),
    /** A user who is no member of {@code acme} (at the start). */
    NORA("nora"),
    /** The administrator of another account, {@code other}. */
    OLGA("olga"),
    /** The platform operator. */
    OPS("ops");

    private final String id;

    Who(String id) {
      this.id = id;
    }

    /** @return the actor that calls the key manager */
    public Actor actor() {
      return this == OPS ? Actor.operator(id) : Actor.user(id);
    }

    /** @return the user id or the operator's name */
    public String id() {
      return id;
    }

    @Override
    public String toString() {
      return id;
    }
  }

  /**
   * A key of the scenario.
   *
   * @param kind which family of key
   * @param fromNewest for {@link Kind#EXISTING}: 0 for the newest key of {@code acme}, 1 for the
   *     one before, ... (wrapping around; the last deleted key, or a never-issued id, when there
   *     is none)
   */
  record KeyRef(Kind kind, int fromNewest) {
    /** Families of key reference. */
    public enum Kind {
      /** A key that exists in {@code acme}. */
      EXISTING,
      /** The key of {@code acme} deleted last (a never-issued id when none was). */
      LAST_DELETED,
      /** The key of device X0 in account {@code other}. */
      OTHER_ACCOUNT,
      /** A well-shaped key id that was never issued. */
      NEVER_ISSUED
    }

    /**
     * Checks the components.
     *
     * @param kind which family of key
     * @param fromNewest otherwise: 0 for the newest secret issued in {@code acme} (by a create or a regeneration), 1 for the one before, ... (wrapping around)
     */
    public KeyRef {
      Objects.requireNonNull(kind, "kind");
      if (fromNewest < 0) {
        throw new IllegalArgumentException("fromNewest must be >= 0");
      }
    }

    @Override
    public String toString() {
      return switch (kind) {
        case EXISTING -> "the " + ordinalNewest(fromNewest) + " key";
        case LAST_DELETED -> "the last deleted key";
        case OTHER_ACCOUNT -> "the key of account other";
        case NEVER_ISSUED -> "a never-issued key id";
      };
    }
  }

  /**
   * A secret of the scenario.
   *
   * @param otherAccount true for the secret of the key of account {@code other}
   * @param fromNewest otherwise: 0 for the newest secret issued in {@code acme} (by a create or a
   *     regeneration), 1 for the one before, ... (wrapping around)
   */
  record SecretRef(boolean otherAccount, int fromNewest) {
    /**
     * Checks the components.
     *
     * @param fromNewest otherwise: 0 for the newest secret issued in {@code acme} (by a create or a regeneration), 1 for the one before, ... (wrapping around)
     * @param otherAccount true for the secret of the key of account {@code other}
     */
    public SecretRef {
      if (fromNewest < 0) {
        throw new IllegalArgumentException("fromNewest must be >= 0");
      }
    }

    @Override
    public String toString() {
      return otherAccount ? "the secret of account other" : "the " + ordinalNewest(fromNewest) + " secret";
    }
  }

  /**
   * A key edit with times relative to the scenario's clock; fields left null are unchanged.
   *
   * @param label new label
   * @param expiresIn new expiry, relative to the current time (zero or negative is invalid)
   * @param clearExpiry remove the expiry
   * @param suspended true to suspend, false to resume
   * @param rebindTo serial of the device to move the key to
   */
  record Edit(@Nullable String label, @Nullable Duration expiresIn, boolean clearExpiry,
      @Nullable Boolean suspended, @Nullable String rebindTo) {

    /** @return whether the edit changes nothing (which the manager refuses) */
    public boolean isEmpty() {
      return label == null && expiresIn == null && !clearExpiry && suspended == null && rebindTo == null;
    }

    @Override
    public String toString() {
      StringJoiner j = new StringJoiner(", ");
      if (label != null) {
        j.add("label " + describeLabel(label));
      }
      if (expiresIn != null) {
        j.add("expires in " + human(expiresIn));
      }
      if (clearExpiry) {
        j.add("no expiry");
      }
      if (suspended != null) {
        j.add(suspended ? "suspend" : "resume");
      }
      if (rebindTo != null) {
        j.add("rebind to " + rebindTo);
      }
      return j.length() == 0 ? "nothing" : j.toString();
    }
  }

  /** What a {@link Read} reads. */
  enum View {
    /** {@code licenseUsage}: members and the operator. */
    USAGE,
    /** {@code keys}: admins only. */
    KEYS,
    /** {@code auditLog}: admins only. */
    AUDIT,
    /** {@code members}: members only. */
    MEMBERS,
    /** {@code devices}: members only. */
    DEVICES,
    /** {@code keysUnusedSince(now - 1h)}: admins only. */
    STALE_KEYS,
    /** {@code licenses}: the grants, ended ones included; members and the operator. */
    LICENSES
  }

  /** How a {@link Validate} presents the secret. */
  enum Presentation {
    /** {@code validate(secret)}. */
    PLAIN,
    /** {@code validate(secret, serial of the key's current device)}. */
    FOR_OWN_DEVICE,
    /** {@code validate(secret, serial)} with the command's serial. */
    FOR_DEVICE,
    /** {@code validate(secret with one body character changed)}: malformed. */
    TYPO
  }

  /**
   * An administrator (or not) creates one key per selected device, all or nothing.
   *
   * @param caller who calls the key manager
   * @param serials the selected devices, possibly repeating one
   * @param label the label of every new key
   * @param expiresIn expiry of every new key relative to now, or null for never
   */
  record CreateKeys(Who caller, List<String> serials, String label, @Nullable Duration expiresIn) implements Performed {
    /**
     * Copies the serials.
     *
     * @param caller who calls the key manager
     * @param expiresIn new expiry, relative to the current time (zero or negative is invalid)
     * @param label new label
     * @param serials the selected devices, possibly repeating one
     */
    public CreateKeys {
      serials = List.copyOf(serials);
    }

    @Override
    public String toString() {
      return caller + " creates keys for " + serials + (label.isEmpty() ? "" : ", label " + describeLabel(label))
          + (expiresIn == null ? "" : ", expiring in " + human(expiresIn));
    }
  }

  /**
   * Deletes a key.
   *
   * @param caller who calls the key manager
   * @param key the key
   */
  record DeleteKey(Who caller, KeyRef key) implements Performed {
    @Override
    public String toString() {
      return caller + " deletes " + key;
    }
  }

  /**
   * "Copy": reveals a key's secret again, which works only where a secret vault is configured.
   *
   * @param caller who calls the key manager
   * @param key the key
   */
  record RevealSecret(Who caller, KeyRef key) implements Performed {
    @Override
    public String toString() {
      return caller + " copies the secret of " + key;
    }
  }

  /**
   * Regenerates a key's secret.
   *
   * @param caller who calls the key manager
   * @param key the key
   * @param overlap how long the old secret keeps validating (zero: revoked at once)
   */
  record RegenerateKey(Who caller, KeyRef key, Duration overlap) implements Performed {
    @Override
    public String toString() {
      return caller + " regenerates " + key + (overlap.isZero() ? " (no overlap)" : " with overlap " + human(overlap));
    }
  }

  /**
   * Edits a key.
   *
   * @param caller who calls the key manager
   * @param key the key
   * @param edit the change
   */
  record EditKey(Who caller, KeyRef key, Edit edit) implements Performed {
    @Override
    public String toString() {
      return caller + " edits " + key + ": " + edit;
    }
  }

  /**
   * Dissociates a device from {@code acme}, deleting its key.
   *
   * @param caller who calls the key manager
   * @param serial the device
   */
  record DissociateDevice(Who caller, String serial) implements Performed {
    @Override
    public String toString() {
      return caller + " dissociates device " + serial;
    }
  }

  /**
   * Associates a device with {@code acme}.
   *
   * @param caller who calls the key manager
   * @param serial the device
   */
  record AssociateDevice(Who caller, String serial) implements Performed {
    @Override
    public String toString() {
      return caller + " associates device " + serial;
    }
  }

  /**
   * Renames a device of {@code acme}.
   *
   * @param caller who calls the key manager
   * @param serial the device
   * @param name the new name
   */
  record RenameDevice(Who caller, String serial, String name) implements Performed {
    @Override
    public String toString() {
      return caller + " renames device " + serial + " to \"" + name + "\"";
    }
  }

  /**
   * Contracts more licenses for {@code acme}.
   *
   * @param caller who calls the key manager (only the operator may)
   * @param quantity licenses to add (0 is invalid)
   */
  record ContractLicenses(Who caller, int quantity) implements Performed {
    @Override
    public String toString() {
      return caller + " contracts " + quantity + " more licenses";
    }
  }

  /**
   * Cancels licenses of {@code acme}.
   *
   * @param caller who calls the key manager (only the operator may)
   * @param quantity licenses to cancel (0 or more than contracted is invalid)
   * @param strategy what to do when fewer licenses than keys would remain; null for the
   *     default ({@code cancelLicenses} without a strategy)
   */
  record CancelLicenses(Who caller, int quantity, @Nullable OverLimitStrategy strategy) implements Performed {
    @Override
    public String toString() {
      return caller + " cancels " + quantity + " licenses (" + (strategy == null ? "default strategy" : strategy) + ")";
    }
  }

  /**
   * A license grant of {@code acme}, named relative to the newest one because grant ids are only
   * known at run time.
   *
   * @param neverIssued true for a well-shaped grant id that was never issued
   * @param fromNewest otherwise: 0 for the newest grant of {@code acme} (by creation), 1 for the one
   *     before, ... (wrapping around; a never-issued id when there is none)
   */
  record GrantRef(boolean neverIssued, int fromNewest) {
    /**
     * Checks the components.
     *
     * @param neverIssued true for a grant id that was never issued
     * @param fromNewest 0 for the newest grant, 1 for the one before, ...
     */
    public GrantRef {
      if (fromNewest < 0) {
        throw new IllegalArgumentException("fromNewest must be >= 0");
      }
    }

    @Override
    public String toString() {
      return neverIssued ? "a never-issued grant id" : "the " + ordinalNewest(fromNewest) + " grant";
    }
  }

  /**
   * The operator grants licenses to {@code acme}, open-ended or for a term (R9).
   *
   * @param caller who calls the key manager (only the operator may)
   * @param quantity licenses to grant (0 is invalid)
   * @param startIn when they start counting, relative to now (negative: in the past), or null for now
   * @param term how long they count from the start, or null for open-ended
   * @param reference an order number, possibly empty
   */
  record GrantLicenses(Who caller, int quantity, @Nullable Duration startIn, @Nullable Duration term,
      String reference) implements Performed {
    @Override
    public String toString() {
      return caller + " grants " + quantity + " licenses" + (startIn == null ? " from now" : " from now " + signed(startIn))
          + (term == null ? ", open-ended" : " for " + human(term)) + (reference.isEmpty() ? "" : ", \"" + reference + "\"");
    }
  }

  /**
   * The operator extends, renews or shortens a grant's term (R9).
   *
   * @param caller who calls the key manager (only the operator may)
   * @param grant the grant
   * @param endIn the new end relative to now, or null for open-ended (zero or negative is invalid)
   */
  record ChangeLicenseTerm(Who caller, GrantRef grant, @Nullable Duration endIn) implements Performed {
    @Override
    public String toString() {
      return caller + " sets the end of " + grant + (endIn == null ? " to open-ended" : " to now " + signed(endIn));
    }
  }

  /**
   * The operator ends a grant early (R9).
   *
   * @param caller who calls the key manager (only the operator may)
   * @param grant the grant
   * @param strategy what to do if fewer licenses than keys remain
   */
  record EndLicense(Who caller, GrantRef grant, OverLimitStrategy strategy) implements Performed {
    @Override
    public String toString() {
      return caller + " ends " + grant + " now (" + strategy + ")";
    }
  }

  /**
   * The operator's license end sweep for {@code acme}: applies the ends of grants that passed (R9).
   *
   * @param caller who calls the key manager (only the operator may)
   */
  record ApplyLicenseEnds(Who caller) implements Performed {
    @Override
    public String toString() {
      return caller + " applies the license ends that passed";
    }
  }

  /**
   * The operator sets {@code acme}'s license policy (R9): what an expiry does, and an optional seat
   * reuse limit that refuses delete-and-recreate churn with {@link dev.keyseat.SeatReuseLimitException}.
   *
   * @param caller who calls the key manager (only the operator may)
   * @param onExpiry MARK_OVER_LIMIT or SUSPEND_NEWEST
   * @param maxReassignments freed licenses reassigned per period, 0 for no limit
   * @param period the period of the limit, or null for none
   */
  record SetLicensePolicy(Who caller, OverLimitStrategy onExpiry, int maxReassignments, @Nullable Duration period)
      implements Performed {
    @Override
    public String toString() {
      return caller + " sets the license policy: on expiry " + onExpiry + ", "
          + (period == null ? "no seat reuse limit" : "at most " + maxReassignments + " reassignments per " + human(period));
    }
  }

  /**
   * Adds a member to {@code acme}.
   *
   * @param caller who calls the key manager
   * @param user the new member
   * @param role the role
   */
  record AddMember(Who caller, Who user, Role role) implements Performed {
    @Override
    public String toString() {
      return caller + " adds " + user + " as " + role;
    }
  }

  /**
   * Changes a member's role in {@code acme}.
   *
   * @param caller who calls the key manager
   * @param user the member
   * @param role the new role
   */
  record ChangeRole(Who caller, Who user, Role role) implements Performed {
    @Override
    public String toString() {
      return caller + " makes " + user + " " + role;
    }
  }

  /**
   * Removes a member from {@code acme}.
   *
   * @param caller who calls the key manager
   * @param user the member
   */
  record RemoveMember(Who caller, Who user) implements Performed {
    @Override
    public String toString() {
      return caller + " removes member " + user;
    }
  }

  /**
   * Reads one of the management views of {@code acme}.
   *
   * @param caller who calls the key manager
   * @param view what is read
   */
  record Read(Who caller, View view) implements Performed {
    @Override
    public String toString() {
      return caller + " reads " + switch (view) {
        case USAGE -> "the license usage";
        case KEYS -> "the keys table";
        case AUDIT -> "the audit log";
        case MEMBERS -> "the members";
        case DEVICES -> "the devices";
        case STALE_KEYS -> "the keys unused for an hour";
        case LICENSES -> "the license grants";
      };
    }
  }

  /**
   * Fault injection: the store fails inside the transaction of {@code command}, at its {@code
   * atWrite}-th write, as a database would. The call must then fail and leave nothing: no key,
   * device, member or grant change, no audit entry, no feed event, usage unchanged (R4, R12). A
   * call that makes fewer writes runs as usual.
   *
   * @param atWrite 1 for the transaction's first write, ...
   * @param command the call whose transaction fails
   */
  record FailingWrite(int atWrite, Performed command) implements Performed {
    /**
     * Checks the components.
     *
     * @param atWrite 1 for the transaction's first write, ...
     * @param command the call whose transaction fails
     */
    public FailingWrite {
      if (atWrite < 1) {
        throw new IllegalArgumentException("atWrite must be at least 1");
      }
      Objects.requireNonNull(command, "command");
    }

    @Override
    public Who caller() {
      return command.caller();
    }

    @Override
    public String toString() {
      return "the store fails at write " + atWrite + " of: " + command;
    }
  }

  /**
   * A gateway validates a secret with {@code storeValidator()}.
   *
   * @param secret the secret
   * @param how how it is presented
   * @param serial for {@link Presentation#FOR_DEVICE}: the device the request names
   */
  record Validate(SecretRef secret, Presentation how, @Nullable String serial) implements QuotaCommand {
    /** @return null: a gateway validates, not a caller of the key manager */
    @Override
    public @Nullable Actor by() {
      return null;
    }

    @Override
    public String toString() {
      return switch (how) {
        case PLAIN -> "validate " + secret;
        case FOR_OWN_DEVICE -> "validate " + secret + " for its own device";
        case FOR_DEVICE -> "validate " + secret + " for device " + serial;
        case TYPO -> "validate a typo of " + secret;
      };
    }
  }

  /**
   * Moves the clock forward.
   *
   * @param step how far
   */
  record AdvanceClock(Duration step) implements QuotaCommand {
    /** @return null: no caller moves the clock */
    @Override
    public @Nullable Actor by() {
      return null;
    }

    @Override
    public String toString() {
      return "clock +" + human(step);
    }
  }

  /** @return "newest", "2nd newest", "3rd newest", ... */
  private static String ordinalNewest(int fromNewest) {
    int n = fromNewest + 1;
    if (n == 1) {
      return "newest";
    }
    String suffix = n % 100 >= 11 && n % 100 <= 13 ? "th"
        : switch (n % 10) {
          case 1 -> "st";
          case 2 -> "nd";
          case 3 -> "rd";
          default -> "th";
        };
    return n + suffix + " newest";
  }

  /** @return {@code +1d}, {@code -1h}, ... */
  private static String signed(Duration d) {
    return (d.isNegative() ? "" : "+") + human(d);
  }

  /** @return a short form of a label: quoted, or its length when long */
  private static String describeLabel(String label) {
    return label.length() > 20 ? "of " + label.length() + " characters" : "\"" + label + "\"";
  }

  /** @return a duration as {@code 7d}, {@code 1h}, {@code -1h}, {@code 7d1s}, ... */
  private static String human(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.isNegative()) {
      return "-" + human(d.negated());
    }
    StringBuilder sb = new StringBuilder();
    long s = d.getSeconds();
    long[] units = {86_400, 3_600, 60, 1};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (s >= units[i]) {
        sb.append(s / units[i]).append(names[i]);
        s %= units[i];
      }
    }
    return sb.toString();
  }
}
