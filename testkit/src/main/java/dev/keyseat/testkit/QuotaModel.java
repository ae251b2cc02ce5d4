package dev.keyseat.testkit;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.AccountId;
import dev.keyseat.AlreadyExistsException;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.KeyId;
import dev.keyseat.KeyStatus;
import dev.keyseat.KeyseatException;
import dev.keyseat.LastAdminException;
import dev.keyseat.License;
import dev.keyseat.LicenseId;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.LicensesInUseException;
import dev.keyseat.NotFoundException;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.SeatReuseLimitException;
import dev.keyseat.SecretNotRetainedException;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.testkit.QuotaCommand.AddMember;
import dev.keyseat.testkit.QuotaCommand.CancelLicenses;
import dev.keyseat.testkit.QuotaCommand.ChangeRole;
import dev.keyseat.testkit.QuotaCommand.CreateKeys;
import dev.keyseat.testkit.QuotaCommand.Edit;
import dev.keyseat.testkit.QuotaCommand.RemoveMember;
import dev.keyseat.testkit.QuotaCommand.View;
import dev.keyseat.testkit.QuotaCommand.Who;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The reference model of one account ({@code acme}) as {@link dev.keyseat.KeyManager}'s Javadoc
 * and the design's rules R1–R13 describe it: plain maps, no store, no concurrency. It predicts the
 * outcome of each command ({@link Expect}) before the real call and is then updated with what the
 * real call returned (key ids and secrets are random).
 */
final class QuotaModel {
  static final AccountId ACME = AccountId.of("acme");
  static final AccountId OTHER = AccountId.of("other");
  static final Duration MAX_OVERLAP = Duration.ofDays(7);
  /** Devices D0 to D5 are associated with acme at the start. */
  static final int INITIAL_DEVICES = 6;
  static final Set<Role> ADMIN = EnumSet.of(Role.ADMIN);
  static final Set<Role> ADMIN_OR_MANAGER = EnumSet.of(Role.ADMIN, Role.MANAGER);
  static final Set<Role> ANY_ROLE = EnumSet.allOf(Role.class);
  private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  Instant now;
  /** Every license grant of acme, oldest first, ended ones included (R9). */
  final List<GrantM> grants = new ArrayList<>();
  /** What an expiry does (R9). */
  OverLimitStrategy onExpiry = OverLimitStrategy.MARK_OVER_LIMIT;
  /** The seat reuse limit: reassignments per period, or 0 without a period. */
  int maxReassignments;
  @Nullable Duration reassignmentPeriod;
  /** The seat ledger: licenses freed by deletes and not reassigned since, and when freed ones were reassigned. */
  int freedSeats;
  final List<Instant> reassignments = new ArrayList<>();
  final Map<Who, Role> members = new EnumMap<>(Who.class);
  /** Devices of acme: serial → name. */
  final Map<String, String> devices = new TreeMap<>();
  /** Serials associated with another account. */
  final Set<String> elsewhere = new HashSet<>(Set.of("X0"));
  /** Every key issued in acme, oldest first, deleted ones included. */
  final List<KeyM> issued = new ArrayList<>();
  /** Every secret issued in acme (creates and regenerations), oldest first. */
  final List<SecretM> secrets = new ArrayList<>();
  /** The key of device X0 in account other. */
  @Nullable KeyM foreign;
  /** The key deleted last. */
  private @Nullable KeyM lastDeleted;

  /** A key as the model knows it. */
  static final class KeyM {
    final String name;
    final KeyId id;
    final AccountId account;
    final Instant createdAt;
    String device;
    String label;
    @Nullable Instant regeneratedAt;
    @Nullable Instant expiresAt;
    boolean suspended;
    String secret;
    @Nullable String previous;
    @Nullable Instant previousValidUntil;
    long useCount;
    @Nullable Instant lastUsedAt;
    boolean deleted;

    KeyM(String name, KeyId id, AccountId account, String device, String label, Instant createdAt,
        @Nullable Instant expiresAt, String secret) {
      this.name = name;
      this.id = id;
      this.account = account;
      this.device = device;
      this.label = label;
      this.createdAt = createdAt;
      this.expiresAt = expiresAt;
      this.secret = secret;
    }

    KeyStatus status(Instant at) {
      return suspended ? KeyStatus.SUSPENDED
          : expiresAt != null && !at.isBefore(expiresAt) ? KeyStatus.EXPIRED : KeyStatus.ACTIVE;
    }

    @Override
    public String toString() {
      return name + " (" + id + " on " + device + (deleted ? ", deleted" : "") + ")";
    }
  }

  /** A license grant as the model knows it; the id is learnt from the real store. */
  static final class GrantM {
    @Nullable LicenseId id;
    final int quantity;
    final Instant start;
    @Nullable Instant end;
    final String reference;
    final Instant createdAt;
    boolean endApplied;

    GrantM(@Nullable LicenseId id, int quantity, Instant start, @Nullable Instant end, String reference,
        Instant createdAt) {
      this.id = id;
      this.quantity = quantity;
      this.start = start;
      this.end = end;
      this.reference = reference;
      this.createdAt = createdAt;
    }

    boolean activeAt(Instant at) {
      return !start.isAfter(at) && (end == null || at.isBefore(end));
    }

    boolean endedAt(Instant at) {
      return end != null && !at.isBefore(end);
    }

    /** @return whether {@code real} is this grant, id aside */
    boolean sameTerms(License real) {
      return real.quantity() == quantity && real.start().equals(start) && Objects.equals(real.end(), end)
          && real.endApplied() == endApplied && real.reference().equals(reference) && real.createdAt().equals(createdAt);
    }

    @Override
    public String toString() {
      return (id == null ? "a new grant" : id.value()) + " (" + quantity + " from " + start
          + (end == null ? ", open-ended" : " until " + end) + (endApplied ? ", end applied" : "") + ")";
    }
  }

  /** A secret and the key it was issued for. */
  record SecretM(String text, KeyM key) {}

  /**
   * What the model says a call must do.
   *
   * @param refusal the exception type expected, or null for success
   * @param rule the invariant a disagreement breaks
   * @param reason why, for the report
   * @param details checks the refusal's details; returns null when they match, else a description
   */
  record Expect(@Nullable Class<? extends KeyseatException> refusal, String rule, String reason,
      @Nullable Function<KeyseatException, @Nullable String> details) {

    static Expect success(String rule) {
      return new Expect(null, rule, "allowed", null);
    }

    static Expect refuse(Class<? extends KeyseatException> type, String rule, String reason) {
      return new Expect(type, rule, reason, null);
    }

    Expect checking(Function<KeyseatException, @Nullable String> check) {
      return new Expect(refusal, rule, reason, check);
    }

    boolean succeeds() {
      return refusal == null;
    }

    @Override
    public String toString() {
      return refusal == null ? "success" : refusal.getSimpleName() + " (" + reason + ")";
    }
  }

  QuotaModel(Instant now, int licenses) {
    this.now = now;
    if (licenses > 0) {
      grants.add(new GrantM(null, licenses, now, null, "", now)); // createAccount's open-ended grant
    }
    members.put(Who.ALICE, Role.ADMIN);
    members.put(Who.MONA, Role.MANAGER);
    members.put(Who.VIC, Role.VIEWER);
    for (int i = 0; i < INITIAL_DEVICES; i++) {
      devices.put("D" + i, deviceName("D" + i));
    }
  }

  static String deviceName(String serial) {
    return "Monitor " + serial;
  }

  // ------------------------------------------------------------------ queries

  List<KeyM> live() {
    return issued.stream().filter(k -> !k.deleted).toList();
  }

  int used() {
    return (int) issued.stream().filter(k -> !k.deleted).count();
  }

  /** R3: the licenses contracted now, the sum of the grants active now. */
  int licenses() {
    return grants.stream().filter(g -> g.activeAt(now)).mapToInt(g -> g.quantity).sum();
  }

  /** R9: licenses that {@code cancelLicenses} may cancel, those of open-ended grants active now. */
  int cancellable() {
    return grants.stream().filter(g -> g.end == null && g.activeAt(now)).mapToInt(g -> g.quantity).sum();
  }

  /** R3: used, available and total now, and how many licenses end next and when. */
  LicenseUsage usage() {
    Instant next = grants.stream().filter(g -> g.activeAt(now) && g.end != null).map(g -> g.end)
        .min(Comparator.naturalOrder()).orElse(null);
    int ending = 0;
    for (GrantM g : grants) {
      if (next != null && g.activeAt(now) && next.equals(g.end)) {
        ending += g.quantity;
      }
    }
    return LicenseUsage.of(used(), licenses(), ending, next);
  }

  /** @return the grant a reference names, or null for a never-issued id */
  @Nullable GrantM grant(QuotaCommand.GrantRef ref) {
    if (ref.neverIssued() || grants.isEmpty()) {
      return null;
    }
    return grants.get(grants.size() - 1 - ref.fromNewest() % grants.size());
  }

  /** R9: the grants whose end has passed and was not applied yet, which the next write applies. */
  List<GrantM> dueEnds() {
    return grants.stream().filter(g -> g.endedAt(now) && !g.endApplied).toList();
  }

  /**
   * R9 SUSPEND_NEWEST: of the {@code excess} newest keys (by creation, batch order within one
   * instant), those not suspended yet.
   */
  List<KeyM> newestToSuspend(int excess) {
    List<KeyM> live = new ArrayList<>(live());
    java.util.Collections.reverse(live);
    return live.stream().limit(Math.max(0, excess)).filter(k -> !k.suspended).toList();
  }

  /**
   * @return whether the key is suspended when a write's work starts: already, or by the ends due
   *     now, which every write applies first (R9, SUSPEND_NEWEST)
   */
  boolean suspendedOnceDueEndsApply(KeyM key) {
    return key.suspended || !dueEnds().isEmpty() && onExpiry == OverLimitStrategy.SUSPEND_NEWEST
        && newestToSuspend(used() - licenses()).contains(key);
  }

  boolean limitsReassignments() {
    return reassignmentPeriod != null;
  }

  @Nullable KeyM keyOn(String serial) {
    return issued.stream().filter(k -> !k.deleted && k.device.equals(serial)).findFirst().orElse(null);
  }

  @Nullable KeyM liveKey(KeyId id) {
    return issued.stream().filter(k -> !k.deleted && k.id.equals(id)).findFirst().orElse(null);
  }

  long admins() {
    return members.values().stream().filter(r -> r == Role.ADMIN).count();
  }

  boolean isAdmin(Who who) {
    return members.get(who) == Role.ADMIN;
  }

  static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }

  static boolean validSerial(@Nullable String serial) {
    return serial != null && SERIAL.matcher(serial).matches();
  }

  // ------------------------------------------------------------------ permissions

  /** @return a refusal if {@code who} may not act with one of {@code allowed}, else null */
  @Nullable Expect deny(Who who, Set<Role> allowed) {
    if (who == Who.OPS) {
      return Expect.refuse(AccessDeniedException.class, "R8 roles", "the operator is no member");
    }
    Role role = members.get(who);
    if (role == null) {
      return Expect.refuse(AccessDeniedException.class, "R8 roles", who + " is no member of acme");
    }
    if (!allowed.contains(role)) {
      return Expect.refuse(AccessDeniedException.class, "R8 roles", who + " is " + role);
    }
    return null;
  }

  @Nullable Expect denyUnlessOperator(Who who) {
    return who == Who.OPS ? null
        : Expect.refuse(AccessDeniedException.class, "R9 license changes", "only the operator may change licenses");
  }

  /**
   * R9: only the operator changes a grant, and only a grant acme has.
   *
   * @return the refusal, or null when {@code who} may change the grant {@code ref} names
   */
  @Nullable Expect denyGrantChange(Who who, QuotaCommand.GrantRef ref) {
    Expect deny = denyUnlessOperator(who);
    if (deny != null || grant(ref) != null) {
      return deny;
    }
    return Expect.refuse(NotFoundException.class, "R9 license changes", "no such grant in acme");
  }

  // ------------------------------------------------------------------ predictions

  Expect expectCreate(CreateKeys c) {
    Expect deny = deny(c.caller(), ADMIN);
    if (deny != null) {
      return deny;
    }
    boolean invalid = c.serials().stream().anyMatch(s -> !validSerial(s)) || c.label().length() > 200
        || c.expiresIn() != null && !positive(c.expiresIn());
    if (invalid || new HashSet<>(c.serials()).size() != c.serials().size()) {
      return Expect.refuse(InvalidRequestException.class, "R4 batch create",
          "an invalid serial, label or expiry, or a repeated device");
    }
    List<String> missing = c.serials().stream().filter(s -> !devices.containsKey(s)).toList();
    if (!missing.isEmpty()) {
      return Expect.refuse(NotFoundException.class, "R2 device in account", "not in acme: " + missing)
          .checking(e -> ((NotFoundException) e).ids().equals(missing) ? null
              : "names " + ((NotFoundException) e).ids() + " instead of " + missing);
    }
    List<String> keyed = c.serials().stream().filter(s -> keyOn(s) != null).toList();
    if (!keyed.isEmpty()) {
      return Expect.refuse(DeviceAlreadyHasKeyException.class, "R11 idempotence", "already keyed: " + keyed)
          .checking(e -> ((DeviceAlreadyHasKeyException) e).deviceSerials().equals(keyed) ? null
              : "names " + ((DeviceAlreadyHasKeyException) e).deviceSerials() + " instead of " + keyed);
    }
    int needed = c.serials().size();
    int available = usage().available();
    if (needed > available) {
      return Expect.refuse(LicenseLimitException.class, "R1 quota", "needs " + needed + ", " + available + " available")
          .checking(e -> {
            LicenseLimitException l = (LicenseLimitException) e;
            return l.needed() == needed && l.available() == available ? null
                : "says needed " + l.needed() + ", available " + l.available() + " instead of " + needed + ", " + available;
          });
    }
    Expect reuse = expectSeatReuse(needed);
    return reuse != null ? reuse : Expect.success("R4 batch create");
  }

  /** The recent reassignments that count against the seat reuse limit, oldest first. */
  private List<Instant> recentReassignments() {
    Instant since = now.minus(Objects.requireNonNull(reassignmentPeriod));
    return reassignments.stream().filter(at -> at.isAfter(since)).sorted().toList();
  }

  /** @return how many of {@code created} new keys take licenses freed by deletes (R9 seat reuse) */
  private int reassigned(int created) {
    int available = usage().available();
    int fresh = Math.max(0, available - Math.min(freedSeats, available));
    return Math.max(0, Math.min(created, available) - fresh);
  }

  /** R9 seat reuse: at most maxReassignments freed licenses go to new keys per period. */
  private @Nullable Expect expectSeatReuse(int created) {
    if (!limitsReassignments()) {
      return null;
    }
    int reassigned = reassigned(created);
    List<Instant> recent = recentReassignments();
    if (reassigned == 0 || recent.size() + reassigned <= maxReassignments) {
      return null;
    }
    Duration period = Objects.requireNonNull(reassignmentPeriod);
    int mustPass = recent.size() + reassigned - maxReassignments;
    Instant next = mustPass <= recent.size() ? recent.get(mustPass - 1).plus(period)
        : recent.isEmpty() ? now : recent.get(recent.size() - 1).plus(period);
    return Expect.refuse(SeatReuseLimitException.class, "R9 seat reuse",
            reassigned + " freed licenses would be reassigned after " + recent.size() + " in the last " + period
                + " (at most " + maxReassignments + ")")
        .checking(e -> ((SeatReuseLimitException) e).nextReassignmentAt().equals(next) ? null
            : "says the next reassignment is allowed at " + ((SeatReuseLimitException) e).nextReassignmentAt()
                + " instead of " + next);
  }

  /** R9 seat reuse: {@code created} keys were created; those on freed licenses are recorded. */
  void reassign(int created) {
    if (!limitsReassignments()) {
      return;
    }
    int reassigned = reassigned(created);
    if (reassigned == 0) {
      return;
    }
    List<Instant> kept = new ArrayList<>(recentReassignments());
    for (int i = 0; i < reassigned; i++) {
      kept.add(now);
    }
    reassignments.clear();
    reassignments.addAll(kept);
    freedSeats -= reassigned;
  }

  Expect expectKeyAction(Who by, @Nullable KeyId id, String rule) {
    Expect deny = deny(by, ADMIN);
    if (deny != null) {
      return deny;
    }
    if (id == null || liveKey(id) == null) {
      return Expect.refuse(NotFoundException.class, rule, "no such key in acme");
    }
    return Expect.success(rule);
  }

  Expect expectReveal(Who by, @Nullable KeyId id, boolean vault) {
    Expect e = expectKeyAction(by, id, "R13 secrets");
    if (e.succeeds() && !vault) {
      return Expect.refuse(SecretNotRetainedException.class, "R13 secrets", "no secret vault: shown once");
    }
    return e;
  }

  Expect expectRegenerate(Who by, @Nullable KeyId id, Duration overlap) {
    Expect deny = deny(by, ADMIN);
    if (deny != null) {
      return deny;
    }
    if (overlap.isNegative() || overlap.compareTo(MAX_OVERLAP) > 0) {
      return Expect.refuse(InvalidRequestException.class, "R6 regenerate", "overlap outside 0.." + MAX_OVERLAP);
    }
    return expectKeyAction(by, id, "R6 regenerate");
  }

  Expect expectEdit(Who by, @Nullable KeyId id, Edit edit) {
    Expect deny = deny(by, ADMIN);
    if (deny != null) {
      return deny;
    }
    boolean invalid = edit.label() != null && edit.label().length() > 200
        || edit.expiresIn() != null && !positive(edit.expiresIn())
        || edit.rebindTo() != null && !validSerial(edit.rebindTo())
        || edit.isEmpty()
        || edit.clearExpiry() && edit.expiresIn() != null;
    if (invalid) {
      return Expect.refuse(InvalidRequestException.class, "R7 edit", "an invalid or empty edit");
    }
    KeyM key = id == null ? null : liveKey(id);
    if (key == null) {
      return Expect.refuse(NotFoundException.class, "R7 edit", "no such key in acme");
    }
    if (Boolean.FALSE.equals(edit.suspended()) && suspendedOnceDueEndsApply(key) && usage().overLimit()) {
      return Expect.refuse(LicenseLimitException.class, "R1 quota", "resuming while over the limit")
          .checking(e -> {
            LicenseLimitException l = (LicenseLimitException) e;
            return l.needed() == 1 && l.available() == 0 ? null
                : "says needed " + l.needed() + ", available " + l.available() + " instead of 1, 0";
          });
    }
    String to = edit.rebindTo();
    if (to != null && !to.equals(key.device)) {
      if (!devices.containsKey(to)) {
        return Expect.refuse(NotFoundException.class, "R2 device in account", to + " is not in acme");
      }
      if (keyOn(to) != null) {
        return Expect.refuse(DeviceAlreadyHasKeyException.class, "R2 one key per device", to + " has a key")
            .checking(e -> ((DeviceAlreadyHasKeyException) e).deviceSerials().equals(List.of(to)) ? null
                : "names " + ((DeviceAlreadyHasKeyException) e).deviceSerials() + " instead of [" + to + "]");
      }
    }
    return Expect.success("R7 edit");
  }

  Expect expectDissociate(Who by, String serial) {
    Expect deny = deny(by, ADMIN);
    if (deny != null) {
      return deny;
    }
    if (!validSerial(serial)) {
      return Expect.refuse(InvalidRequestException.class, "R10 device leaves", "invalid serial");
    }
    if (!devices.containsKey(serial)) {
      return Expect.refuse(NotFoundException.class, "R10 device leaves", serial + " is not in acme");
    }
    return Expect.success("R10 device leaves");
  }

  Expect expectAssociate(Who by, String serial) {
    Expect deny = deny(by, ADMIN_OR_MANAGER);
    if (deny != null) {
      return deny;
    }
    if (!validSerial(serial)) {
      return Expect.refuse(InvalidRequestException.class, "R2 device in account", "invalid serial");
    }
    if (devices.containsKey(serial) || elsewhere.contains(serial)) {
      return Expect.refuse(AlreadyExistsException.class, "R2 device in account", serial + " is associated already");
    }
    return Expect.success("R2 device in account");
  }

  Expect expectRename(Who by, String serial, String name) {
    Expect deny = deny(by, ADMIN_OR_MANAGER);
    if (deny != null) {
      return deny;
    }
    if (!validSerial(serial) || name.isBlank() || name.length() > 200) {
      return Expect.refuse(InvalidRequestException.class, "R2 device in account", "invalid serial or name");
    }
    if (!devices.containsKey(serial)) {
      return Expect.refuse(NotFoundException.class, "R2 device in account", serial + " is not in acme");
    }
    return Expect.success("R2 device in account");
  }

  Expect expectContract(Who by, int quantity) {
    Expect deny = denyUnlessOperator(by);
    if (deny != null) {
      return deny;
    }
    if (quantity < 1) {
      return Expect.refuse(InvalidRequestException.class, "R9 license changes", "quantity below 1");
    }
    return Expect.success("R9 license changes");
  }

  Expect expectCancel(CancelLicenses c) {
    Expect deny = denyUnlessOperator(c.caller());
    if (deny != null) {
      return deny;
    }
    int cancellable = cancellable();
    if (c.quantity() < 1 || c.quantity() > cancellable) {
      return Expect.refuse(InvalidRequestException.class, "R9 license changes",
          "quantity outside 1.." + cancellable + " (the open-ended licenses active now)");
    }
    int excess = used() - (licenses() - c.quantity());
    OverLimitStrategy strategy = c.strategy() == null ? OverLimitStrategy.REJECT : c.strategy();
    if (excess > 0 && strategy == OverLimitStrategy.REJECT) {
      return licensesInUse(excess);
    }
    return Expect.success("R9 license changes");
  }

  Expect expectGrant(QuotaCommand.GrantLicenses c) {
    Expect deny = denyUnlessOperator(c.caller());
    if (deny != null) {
      return deny;
    }
    Instant start = c.startIn() == null ? now : now.plus(c.startIn());
    Instant end = c.term() == null ? null : start.plus(c.term());
    return invalidUnless(c.quantity() >= 1 && (end == null || end.isAfter(start) && end.isAfter(now)),
        "quantity below 1, or an end not after the start and now");
  }

  Expect expectChangeTerm(QuotaCommand.ChangeLicenseTerm c) {
    Expect refusal = denyGrantChange(c.caller(), c.grant());
    if (refusal != null) {
      return refusal;
    }
    GrantM g = Objects.requireNonNull(grant(c.grant()));
    Instant end = c.endIn() == null ? null : now.plus(c.endIn());
    return invalidUnless(end == null || end.isAfter(g.start) && end.isAfter(now),
        "the new end is not after the grant's start and now");
  }

  /** R9: refused as {@link LicensesInUseException} naming exactly {@code excess} keys to delete. */
  private static Expect licensesInUse(int excess) {
    return Expect.refuse(LicensesInUseException.class, "R9 license changes", excess + " keys too many")
        .checking(e -> ((LicensesInUseException) e).keysToDelete() == excess ? null
            : "says " + ((LicensesInUseException) e).keysToDelete() + " keys to delete instead of " + excess);
  }

  /** R9: success if {@code valid}, else refused as an invalid request saying {@code why}. */
  private static Expect invalidUnless(boolean valid, String why) {
    return valid ? Expect.success("R9 license changes")
        : Expect.refuse(InvalidRequestException.class, "R9 license changes", why);
  }

  Expect expectEnd(QuotaCommand.EndLicense c) {
    Expect refusal = denyGrantChange(c.caller(), c.grant());
    if (refusal != null) {
      return refusal;
    }
    GrantM g = Objects.requireNonNull(grant(c.grant()));
    if (g.endedAt(now)) {
      return Expect.refuse(InvalidRequestException.class, "R9 license changes", "the grant ended already, at " + g.end);
    }
    int excess = used() - (licenses() - (g.activeAt(now) ? g.quantity : 0));
    if (excess > 0 && c.strategy() == OverLimitStrategy.REJECT) {
      return licensesInUse(excess);
    }
    return Expect.success("R9 license changes");
  }

  Expect expectOperatorCall(Who by) {
    Expect deny = denyUnlessOperator(by);
    return deny != null ? deny : Expect.success("R9 license changes");
  }

  Expect expectAddMember(AddMember c) {
    Expect deny = deny(c.caller(), ADMIN);
    if (deny != null) {
      return deny;
    }
    if (members.containsKey(c.user())) {
      return Expect.refuse(AlreadyExistsException.class, "R8 roles", c.user() + " is a member already");
    }
    return Expect.success("R8 roles");
  }

  Expect expectChangeRole(ChangeRole c) {
    return expectMemberChange(c.caller(), c.user(), c.role() == Role.ADMIN);
  }

  Expect expectRemoveMember(RemoveMember c) {
    return expectMemberChange(c.caller(), c.user(), false);
  }

  /** R8: only an admin changes a member, who must be one, and acme keeps an admin. */
  private Expect expectMemberChange(Who caller, Who user, boolean staysAdmin) {
    Expect deny = deny(caller, ADMIN);
    if (deny != null) {
      return deny;
    }
    Role current = members.get(user);
    if (current == null) {
      return Expect.refuse(NotFoundException.class, "R8 roles", user + " is no member");
    }
    if (current == Role.ADMIN && !staysAdmin && admins() <= 1) {
      return Expect.refuse(LastAdminException.class, "R8 roles (last admin)", user + " is the last admin");
    }
    return Expect.success("R8 roles");
  }

  Expect expectRead(Who by, View view) {
    Expect deny = switch (view) {
      case KEYS, AUDIT, STALE_KEYS -> deny(by, ADMIN);
      case USAGE, LICENSES -> by == Who.OPS ? null : deny(by, ANY_ROLE);
      case MEMBERS, DEVICES -> deny(by, ANY_ROLE);
    };
    return deny != null ? deny : Expect.success("R8 roles");
  }

  /**
   * The verdict for a presented secret, as {@code KeyValidator} documents it: the key whose current
   * or previous secret it is; REVOKED once a previous secret's overlap is over; then SUSPENDED,
   * EXPIRED, DEVICE_MISMATCH, VALID.
   */
  Verdict verdict(String presented, @Nullable String serial) {
    KeyM key = null;
    boolean previous = false;
    List<KeyM> candidates = new ArrayList<>(live());
    if (foreign != null) {
      candidates.add(foreign);
    }
    for (KeyM k : candidates) {
      if (k.secret.equals(presented)) {
        key = k;
      } else if (presented.equals(k.previous)) {
        key = k;
        previous = true;
      }
    }
    if (key == null) {
      return Verdict.UNKNOWN;
    }
    Verdict valid = Verdict.of(Status.VALID, key.account, key.device, key.id);
    if (previous && !now.isBefore(Objects.requireNonNull(key.previousValidUntil))) {
      return valid.withStatus(Status.REVOKED);
    }
    if (key.suspended) {
      return valid.withStatus(Status.SUSPENDED);
    }
    if (key.expiresAt != null && !now.isBefore(key.expiresAt)) {
      return valid.withStatus(Status.EXPIRED);
    }
    if (serial != null && !serial.equals(key.device)) {
      return valid.withStatus(Status.DEVICE_MISMATCH);
    }
    return valid;
  }

  /** @return the key a presented secret belongs to, deleted or not, or null */
  @Nullable KeyM owner(String presented) {
    if (foreign != null && (foreign.secret.equals(presented) || presented.equals(foreign.previous))) {
      return foreign;
    }
    return secrets.stream().filter(s -> s.text().equals(presented)).map(SecretM::key).findFirst().orElse(null);
  }

  // ------------------------------------------------------------------ updates

  KeyM addKey(KeyId id, String serial, String label, @Nullable Instant expiresAt, String secret) {
    KeyM k = new KeyM("k" + (issued.size() + 1), id, ACME, serial, label, now, expiresAt, secret);
    issued.add(k);
    secrets.add(new SecretM(secret, k));
    return k;
  }

  void regenerate(KeyM k, String secret, Duration overlap) {
    k.previous = k.secret;
    k.previousValidUntil = now.plus(overlap);
    k.secret = secret;
    k.regeneratedAt = now;
    secrets.add(new SecretM(secret, k));
  }

  void edit(KeyM k, Edit edit) {
    if (edit.label() != null) {
      k.label = edit.label();
    }
    if (edit.expiresIn() != null) {
      k.expiresAt = now.plus(edit.expiresIn());
    }
    if (edit.clearExpiry()) {
      k.expiresAt = null;
    }
    if (edit.suspended() != null) {
      k.suspended = edit.suspended();
    }
    if (edit.rebindTo() != null) {
      k.device = edit.rebindTo();
    }
  }

  void delete(KeyM k) {
    k.deleted = true;
    lastDeleted = k;
    if (limitsReassignments()) { // R9 seat reuse: the license counts as freed while one is really free
      int free = Math.max(0, licenses() - used());
      freedSeats = Math.min(freedSeats + 1, free);
    }
  }

  /** R9: the operator set the license policy; turning the reuse limit on or off restarts its count. */
  void setPolicy(OverLimitStrategy strategy, int max, @Nullable Duration period) {
    if ((period != null) != limitsReassignments()) {
      freedSeats = 0;
      reassignments.clear();
    }
    onExpiry = strategy;
    maxReassignments = max;
    reassignmentPeriod = period;
  }

  /**
   * R9 cancelLicenses: the newest open-ended grants active now end now (applied); a part of one is
   * granted again from now, open-ended.
   */
  void cancel(int quantity) {
    List<GrantM> open = grants.stream().filter(g -> g.end == null && g.activeAt(now))
        .sorted(Comparator.comparing((GrantM g) -> g.start)
            .thenComparing(g -> Objects.requireNonNull(g.id, "a grant whose id is not known yet").value()).reversed())
        .toList();
    int left = quantity;
    for (GrantM g : open) {
      if (left == 0) {
        break;
      }
      g.end = now;
      g.endApplied = true;
      if (g.quantity > left) {
        grants.add(new GrantM(null, g.quantity - left, now, null, g.reference, now));
        left = 0;
      } else {
        left -= g.quantity;
      }
    }
  }

  @Nullable KeyM lastDeleted() {
    return lastDeleted;
  }

  void used(KeyM k) {
    k.useCount++;
    k.lastUsedAt = k.lastUsedAt == null || now.isAfter(k.lastUsedAt) ? now : k.lastUsedAt;
  }
}
