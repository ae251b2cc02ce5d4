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
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicenseUsage;
import dev.keyseat.LicensesInUseException;
import dev.keyseat.NotFoundException;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
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
  int licenses;
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
    this.licenses = licenses;
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

  LicenseUsage usage() {
    return LicenseUsage.of(used(), licenses);
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
    return Expect.success("R4 batch create");
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
    if (Boolean.FALSE.equals(edit.suspended()) && key.suspended && usage().overLimit()) {
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
    if (c.quantity() < 1 || c.quantity() > licenses) {
      return Expect.refuse(InvalidRequestException.class, "R9 license changes",
          "quantity outside 1.." + licenses);
    }
    int excess = used() - (licenses - c.quantity());
    OverLimitStrategy strategy = c.strategy() == null ? OverLimitStrategy.REJECT : c.strategy();
    if (excess > 0 && strategy == OverLimitStrategy.REJECT) {
      return Expect.refuse(LicensesInUseException.class, "R9 license changes", excess + " keys too many")
          .checking(e -> ((LicensesInUseException) e).keysToDelete() == excess ? null
              : "says " + ((LicensesInUseException) e).keysToDelete() + " keys to delete instead of " + excess);
    }
    return Expect.success("R9 license changes");
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
      case USAGE -> by == Who.OPS ? null : deny(by, ANY_ROLE);
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
  }

  @Nullable KeyM lastDeleted() {
    return lastDeleted;
  }

  void used(KeyM k) {
    k.useCount++;
    k.lastUsedAt = k.lastUsedAt == null || now.isAfter(k.lastUsedAt) ? now : k.lastUsedAt;
  }
}
