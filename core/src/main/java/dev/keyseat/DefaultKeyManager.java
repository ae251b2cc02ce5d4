package dev.keyseat;

import dev.keyseat.AuditEntry.Action;
import dev.keyseat.AuditEntry.Outcome;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.DeviceWithKey;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyRow;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.SeatLedger;
import dev.keyseat.spi.StoredKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The rules R1–R13 over a {@link KeyStore}. */
final class DefaultKeyManager implements KeyManager {
  private static final Logger log = LoggerFactory.getLogger(KeyManager.class);
  private static final int MAX_AUDIT_PAGE = 1000;
  private static final int MAX_ACCOUNT_PAGE = 1000;
  /** Who the audit log names for what the platform does by itself: a grant's end passing (R9). */
  static final String PLATFORM = "platform:keyseat";

  private final KeyStore store;
  private final Clock clock;
  private final KeyIssuer issuer;
  private final Duration maxOverlap;
  private final CommandValidator commands;
  private final Consumer<List<ChangeEvent>> onCommit;

  DefaultKeyManager(KeyStore store, Clock clock, KeyIssuer issuer, Duration maxOverlap,
      Consumer<List<ChangeEvent>> onCommit) {
    this.store = store;
    this.clock = clock;
    this.issuer = issuer;
    this.maxOverlap = maxOverlap;
    this.commands = new CommandValidator(clock);
    this.onCommit = onCommit;
  }

  // ------------------------------------------------------------------ operator

  @Override
  public Account createAccount(Actor operator, AccountId accountId, NewAccount command) {
    return write(operator, accountId, Action.CREATE_ACCOUNT, null, null, t -> {
      commands.start().bean("command", command).throwIfAny();
      // the licenses are a grant; the row records the total once the grant is in (recordTotal)
      Account account = new Account(accountId, command.name(), 0, t.now);
      if (!t.tx.insertAccount(account)) {
        throw new AlreadyExistsException("account " + accountId + " exists already");
      }
      t.tx.putMember(new Member(accountId, command.firstAdmin(), Role.ADMIN));
      if (command.licenses() > 0) {
        t.insertGrant(command.licenses(), t.now, null, ""); // the initial licenses: one open-ended grant
      }
      t.audit(null, null, "created with " + Messages.count(command.licenses(), "license") + ", first admin "
          + command.firstAdmin());
      return t.account();
    });
  }

  @Override
  public LicenseUsage contractLicenses(Actor operator, AccountId accountId, int quantity) {
    return write(operator, accountId, Action.CONTRACT_LICENSES, null, null, t -> {
      t.account();
      commands.start().check(quantity >= 1, "quantity", "must be at least 1").throwIfAny();
      t.requireWithinMaximum(quantity, t.now, null, null);
      License grant = t.insertGrant(quantity, t.now, null, ""); // R9: an open-ended grant from now
      t.licensesChanged(ChangeEvent.Type.LICENSES_CONTRACTED);
      t.audit(null, null, "contracted " + Messages.count(quantity, "license") + " (open-ended grant " + grant.id() + ")");
      return t.usage();
    });
  }

  @Override
  public LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity, OverLimitStrategy strategy) {
    return write(operator, accountId, Action.CANCEL_LICENSES, null, null, t -> {
      t.account();
      int total = t.total(t.now);
      // R9: cancelling shortens open-ended grants; grants for a term end with endLicense
      List<License> open = t.grants().stream().filter(g -> g.end() == null && g.activeAt(t.now))
          .sorted(License.ORDER.reversed()).toList();
      int cancellable = open.stream().mapToInt(License::quantity).sum();
      commands.start()
          .check(quantity >= 1 && quantity <= cancellable, "quantity", cancellable == total
              ? "must be between 1 and the " + Messages.count(total, "license") + " contracted"
              : "must be between 1 and the " + Messages.count(cancellable, "open-ended license") + " contracted;"
              + " licenses granted for a term end with endLicense")
          .notNull("strategy", strategy)
          .throwIfAny();
      int remaining = total - quantity;
      int keys = t.tx.keyCount();
      int excess = keys - remaining;
      if (excess > 0 && strategy == OverLimitStrategy.REJECT) { // R9: REJECT refuses to go below the keys in use
        throw new LicensesInUseException("cannot cancel " + Messages.count(quantity, "license"), keys, remaining);
      }
      t.licensesChanged(ChangeEvent.Type.LICENSES_CANCELLED);
      int left = quantity;
      for (License g : open) { // the newest open-ended grants end first; a part is granted again from now
        if (left == 0) {
          break;
        }
        t.updateGrant(g.withEnd(t.now).withEndApplied());
        if (g.quantity() > left) {
          t.insertGrant(g.quantity() - left, t.now, null, g.reference());
          left = 0;
        } else {
          left -= g.quantity();
        }
      }
      t.applyOverLimit(strategy, t.actor.toString(), "licenses cancelled below keys in use");
      t.audit(null, null, "cancelled " + Messages.count(quantity, "license") + " (" + strategy + ")"
          + (excess > 0 ? "; over limit by " + excess : ""));
      return t.usage();
    });
  }

  @Override
  public License grantLicenses(Actor operator, AccountId accountId, NewLicense command) {
    return write(operator, accountId, Action.GRANT_LICENSES, null, null, t -> {
      t.account();
      commands.start().notNull("command", command).throwIfAny();
      Instant start = command.start() == null ? t.now : command.start();
      Instant end = command.end();
      String reference = command.reference() == null ? "" : command.reference();
      String refProblem = FreeText.Check.problem(reference, false);
      commands.start()
          .check(command.quantity() >= 1, "command.quantity", "must be at least 1")
          .check(end == null || end.isAfter(start), "command.end", "must be after the start (" + start + ")")
          .check(end == null || end.isAfter(t.now), "command.end", "must be in the future")
          .check(refProblem == null, "command.reference", refProblem == null ? "" : refProblem)
          .check(reference.length() <= 200, "command.reference", Constraints.MAX_TEXT_MESSAGE)
          .check(!Constraints.containsKey(reference), "command.reference", Constraints.NO_KEY_MESSAGE)
          .check(CommandValidator.isStorable(reference), "command.reference", CommandValidator.UNSTORABLE_MESSAGE)
          .throwIfAny();
      t.requireWithinMaximum(command.quantity(), start, end, null);
      License grant = t.insertGrant(command.quantity(), start, end, reference);
      t.licensesChanged(ChangeEvent.Type.LICENSES_GRANTED);
      t.audit(null, null, "granted " + Messages.count(grant.quantity(), "license") + " " + term(grant)
          + (reference.isEmpty() ? "" : ", reference \"" + reference + "\"") + " (grant " + grant.id() + ")");
      return grant;
    });
  }

  @Override
  public License changeLicenseTerm(Actor operator, AccountId accountId, LicenseId licenseId, @Nullable Instant end) {
    return write(operator, accountId, Action.CHANGE_LICENSE_TERM, null, null, t -> {
      t.account();
      License grant = t.grant(licenseId);
      commands.start()
          .check(end == null || end.isAfter(grant.start()), "end", "must be after the grant's start (" + grant.start() + ")")
          .check(end == null || end.isAfter(t.now), "end", "must be in the future; end licenses now with endLicense")
          .throwIfAny();
      boolean longer = end == null || (grant.end() != null && end.isAfter(grant.end()));
      if (longer) {
        t.requireWithinMaximum(grant.quantity(), grant.start(), end, licenseId); // extension or renewal
      }
      String what = !longer ? "shortened" : grant.endedAt(t.now) ? "renewed" : "extended";
      License changed = grant.withEnd(end);
      t.updateGrant(changed);
      t.licensesChanged(ChangeEvent.Type.LICENSE_TERM_CHANGED);
      t.audit(null, null, what + " grant " + licenseId + " of " + Messages.count(grant.quantity(), "license")
          + ": " + term(grant) + " -> " + term(changed));
      return changed;
    });
  }

  @Override
  public LicenseUsage endLicense(Actor operator, AccountId accountId, LicenseId licenseId, OverLimitStrategy strategy) {
    return write(operator, accountId, Action.END_LICENSES, null, null, t -> {
      t.account();
      License grant = t.grant(licenseId);
      commands.start()
          .notNull("strategy", strategy)
          .check(!grant.endedAt(t.now), "licenseId", "grant " + licenseId + " ended already, at " + grant.end())
          .throwIfAny();
      int remaining = t.total(t.now) - (grant.activeAt(t.now) ? grant.quantity() : 0);
      int keys = t.tx.keyCount();
      int excess = keys - remaining;
      if (excess > 0 && strategy == OverLimitStrategy.REJECT) { // R9: REJECT refuses to go below the keys in use
        throw new LicensesInUseException("cannot end grant " + licenseId + " of "
            + Messages.count(grant.quantity(), "license"), keys, remaining);
      }
      Instant end = grant.start().isAfter(t.now) ? grant.start() : t.now; // a grant not started yet never counts
      t.updateGrant(grant.withEnd(end).withEndApplied());
      t.licensesChanged(ChangeEvent.Type.LICENSES_ENDED);
      t.applyOverLimit(strategy, t.actor.toString(), "licenses ended early below keys in use");
      t.audit(null, null, "ended grant " + licenseId + " of " + Messages.count(grant.quantity(), "license") + " early ("
          + strategy + ")" + (excess > 0 ? "; over limit by " + excess : ""));
      return t.usage();
    });
  }

  @Override
  public List<License> licenses(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_LICENSES, t -> t.grants().stream().sorted(License.ORDER).toList());
  }

  @Override
  public LicensePolicy licensePolicy(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_LICENSES, t -> t.tx.licensePolicy());
  }

  @Override
  public LicensePolicy setLicensePolicy(Actor operator, AccountId accountId, LicensePolicy policy) {
    return write(operator, accountId, Action.SET_LICENSE_POLICY, null, null, t -> {
      t.account();
      commands.start().notNull("policy", policy).throwIfAny();
      LicensePolicy before = t.tx.licensePolicy();
      t.tx.putLicensePolicy(policy);
      if (before.limitsReassignments() != policy.limitsReassignments()) {
        t.tx.putSeatLedger(SeatLedger.EMPTY); // the ledger counts from the moment a limit is set
      }
      Duration period = policy.reassignmentPeriod(); // null: no limit
      t.audit(null, null, "license policy: on expiry " + policy.onExpiry() + ", "
          + (period != null
              ? "at most " + Messages.count(policy.maxReassignments(), "reassignment") + " of freed licenses per "
              + Messages.duration(period)
              : "reassignments of freed licenses unlimited"));
      return policy;
    });
  }

  @Override
  public LicenseUsage applyLicenseEnds(Actor operator, AccountId accountId) {
    // the due ends are applied by write() itself, before the body, as for every write on the account
    return write(operator, accountId, Action.LICENSES_EXPIRED, null, null, Context::usage);
  }

  /** @return a grant's term as the audit log and messages say it */
  private static String term(License g) {
    return "from " + g.start() + (g.end() == null ? ", open-ended" : " until " + g.end());
  }

  /**
   * The account's grants. An account stored before grants existed (or written by a store's own
   * tests) and without any has its {@link Account#contractedLicenses()} as one open-ended grant
   * from its creation, stored the first time the account's licenses change.
   */
  private static List<License> grantsOf(Account account, List<License> stored) {
    if (stored.isEmpty() && account.contractedLicenses() > 0) {
      return List.of(new License(LEGACY_GRANT, account.id(), account.contractedLicenses(), account.createdAt(), null,
          "", "operator", account.createdAt(), false));
    }
    return stored;
  }

  private static final LicenseId LEGACY_GRANT = LicenseId.of("lic_contracted");

  /** R3: the licenses contracted at {@code at}: the sum of the grants active then. */
  private static int totalAt(List<License> grants, Instant at, @Nullable LicenseId except) {
    long total = 0;
    for (License g : grants) {
      if (g.activeAt(at) && !g.id().equals(except)) {
        total += g.quantity();
      }
    }
    return (int) Math.min(total, Integer.MAX_VALUE);
  }

  /** R3: used, available and total at {@code at}, and the next end of an active grant. */
  private static LicenseUsage usageAt(int keys, List<License> grants, Instant at) {
    Instant next = null;
    for (License g : grants) {
      if (g.activeAt(at) && g.end() != null && (next == null || g.end().isBefore(next))) {
        next = g.end();
      }
    }
    int ending = 0;
    for (License g : grants) {
      if (g.activeAt(at) && next != null && next.equals(g.end())) {
        ending += g.quantity();
      }
    }
    return LicenseUsage.of(keys, totalAt(grants, at, null), ending, next);
  }

  @Override
  public LicenseUsage licenseUsage(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.READ_LICENSES, Context::usage);
  }

  // ------------------------------------------------------------------ members

  @Override
  public Member addMember(Actor admin, AccountId accountId, UserId userId, Role role) {
    return write(admin, accountId, Action.ADD_MEMBER, null, null, t -> {
      commands.start().notNull("userId", userId).notNull("role", role).throwIfAny();
      if (t.tx.member(userId).isPresent()) {
        throw new AlreadyExistsException(userId + " is a member of account " + accountId + " already");
      }
      Member member = new Member(accountId, userId, role);
      t.tx.putMember(member);
      t.audit(null, null, "added " + userId + " as " + role);
      return member;
    });
  }

  @Override
  public Member changeRole(Actor admin, AccountId accountId, UserId userId, Role role) {
    return write(admin, accountId, Action.CHANGE_ROLE, null, null, t -> {
      commands.start().notNull("userId", userId).notNull("role", role).throwIfAny();
      Member current = t.member(userId);
      if (current.role() == Role.ADMIN && role != Role.ADMIN) {
        t.requireAnotherAdmin(userId, "demoted"); // R8: the last admin stays
      }
      Member member = new Member(accountId, userId, role);
      t.tx.putMember(member);
      t.audit(null, null, userId + ": " + current.role() + " -> " + role);
      return member;
    });
  }

  @Override
  public void removeMember(Actor admin, AccountId accountId, UserId userId) {
    write(admin, accountId, Action.REMOVE_MEMBER, null, null, t -> {
      commands.start().notNull("userId", userId).throwIfAny();
      Member current = t.member(userId);
      if (current.role() == Role.ADMIN) {
        t.requireAnotherAdmin(userId, "removed"); // R8: the last admin stays
      }
      t.tx.removeMember(userId);
      t.audit(null, null, "removed " + userId);
      return null;
    });
  }

  @Override
  public List<Member> members(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_MEMBERS, t -> t.tx.members());
  }

  // ------------------------------------------------------------------ devices

  @Override
  public Device associateDevice(Actor actor, AccountId accountId, NewDevice command) {
    return write(actor, accountId, Action.ASSOCIATE_DEVICE, null, command == null ? null : command.serial(), t -> {
      commands.start().bean("command", command).throwIfAny();
      Device device = new Device(command.serial(), accountId, command.name(), command.model(), t.now);
      if (!t.tx.insertDevice(device)) {
        throw new AlreadyExistsException("device " + command.serial() + " is associated with an account already;"
            + " dissociate it there first");
      }
      t.audit(null, command.serial(), "associated \"" + command.name() + "\"");
      return device;
    });
  }

  @Override
  public Device renameDevice(Actor actor, AccountId accountId, String serial, String name) {
    return write(actor, accountId, Action.RENAME_DEVICE, null, serial, t -> {
      commands.start()
          .check(serial != null && serial.matches(Constraints.SERIAL), "serial", Constraints.SERIAL_MESSAGE)
          .notNull("name", name)
          .check(name == null || FreeText.Check.problem(name, true) == null, "name",
              Objects.requireNonNullElse(name == null ? null : FreeText.Check.problem(name, true), ""))
          .check(name == null || name.length() <= 200, "name", Constraints.MAX_TEXT_MESSAGE)
          .check(name == null || !Constraints.containsKey(name), "name", Constraints.NO_KEY_MESSAGE)
          .check(name == null || CommandValidator.isStorable(name), "name", CommandValidator.UNSTORABLE_MESSAGE)
          .throwIfAny();
      Device renamed = t.device(serial).withName(name);
      t.tx.updateDevice(renamed);
      t.audit(null, serial, "renamed to \"" + name + "\"");
      return renamed;
    });
  }

  @Override
  public void dissociateDevice(Actor admin, AccountId accountId, String serial) {
    write(admin, accountId, Action.DISSOCIATE_DEVICE, null, serial, t -> {
      t.validSerial("serial", serial);
      t.device(serial);
      t.tx.keyForDevice(serial).ifPresent(key -> t.deleteKey(key, "deleted with its device")); // R10: frees its license
      t.tx.deleteDevice(serial);
      t.audit(null, serial, "dissociated");
      return null;
    });
  }

  @Override
  public List<Device> devices(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_DEVICES, t -> t.tx.devices());
  }

  // ------------------------------------------------------------------ keys

  @Override
  public List<ApiKey> keys(Actor admin, AccountId accountId) {
    return read(admin, accountId, Action.LIST_KEYS, t -> t.rows(KeyPageRequest.wholeTable(t.now)));
  }

  @Override
  public KeyPage keys(Actor admin, AccountId accountId, KeyQuery query) {
    Objects.requireNonNull(query, "query");
    return read(admin, accountId, Action.LIST_KEYS, t -> {
      KeyPageRequest request = KeyPages.request(query, t.now);
      return KeyPages.page(query, request, t.tx.keyPage(request), t::view); // one store query per page
    });
  }

  @Override
  public List<ApiKey> keysUnusedSince(Actor admin, AccountId accountId, Instant since) {
    return read(admin, accountId, Action.LIST_KEYS, t -> {
      commands.start().notNull("since", since).throwIfAny();
      return t.rows(new KeyPageRequest(null, KeySort.CREATED, false, null, Integer.MAX_VALUE, since, t.now));
    });
  }

  @Override
  public List<IssuedKey> createKeys(Actor admin, AccountId accountId, NewKeys command) {
    return write(admin, accountId, Action.CREATE_KEYS, null, null, t -> {
      CommandValidator.Violations v = commands.start().bean("command", command);
      if (command != null && command.serials() != null) {
        // reported with the other violations; malformed serials are reported as such, not repeated
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < command.serials().size(); i++) {
          String serial = command.serials().get(i);
          if (serial != null && serial.matches(Constraints.SERIAL)) {
            v.check(seen.add(serial), "command.serials[" + i + "]", "repeats device " + serial);
          }
        }
      }
      v.throwIfAny();
      List<String> serials = command.serials();
      // R4: every check runs before the first key is written, and each names every offending device
      Map<String, DeviceWithKey> found = t.tx.devicesWithKeys(serials); // one read for the whole batch
      t.requireDevicesOfAccount(serials, found); // R2
      t.requireNoKeyYet(serials, found); // R11: before the quota, so a repeat is never a misleading quota error
      t.requireFreeLicenses(serials.size(), serials); // R1
      t.reassignFreedSeats(serials.size()); // R9: the seat reuse limit, if the account has one
      long ordinal = t.tx.lastKeyOrdinal(); // the keys table keeps the order the devices were selected in
      List<StoredKey> fresh = new ArrayList<>(serials.size());
      List<String> secrets = new ArrayList<>(serials.size());
      for (String serial : serials) {
        KeyId id = issuer.newKeyId();
        KeyIssuer.NewSecret secret = issuer.issue(id);
        fresh.add(new StoredKey(id, accountId, serial, secret.hash(), secret.hint(),
            command.label(), t.now, null, command.expiresAt(), false, null, null, secret.sealed(), ++ordinal));
        secrets.add(secret.plain());
      }
      List<Integer> refused = t.tx.insertKeys(fresh); // one batch
      // the keys before the first refusal are audited as they were inserted, then the refusal rolls
      // everything back (R4, R12: a store that kept audit entries of a rolled-back batch shows them)
      int accepted = refused.isEmpty() ? fresh.size() : refused.get(0);
      List<IssuedKey> issued = new ArrayList<>(serials.size());
      for (int i = 0; i < accepted; i++) {
        StoredKey key = fresh.get(i);
        t.change(ChangeEvent.Type.CREATED, key);
        t.audit(key.id(), key.deviceSerial(), "created");
        Device device = Objects.requireNonNull(found.get(key.deviceSerial()), "checked above").device();
        // R13: shown once; a key created now has no usage yet
        issued.add(new IssuedKey(t.view(key, device.name(), KeyUsage.NONE), Secret.of(secrets.get(i))));
      }
      if (!refused.isEmpty()) { // R2: the store's uniqueness backs the checks above
        throw new IllegalStateException("store refused a fresh key for device " + serials.get(accepted));
      }
      return issued;
    });
  }

  @Override
  public Secret revealSecret(Actor admin, AccountId accountId, KeyId keyId) {
    return write(admin, accountId, Action.REVEAL_KEY, keyId, null, t -> {
      StoredKey key = t.key(keyId);
      byte[] sealed = key.sealedSecret();
      SecretVault vault = issuer.vault();
      if (vault == null || sealed == null) { // R13: "copy" only through a vault
        throw new SecretNotRetainedException("the secret of " + keyId + " was shown once, when it was "
            + (key.regeneratedAt() == null ? "created" : "regenerated") + ", and is not retained"
            + (vault == null ? " (no secret vault is configured)" : "")
            + "; regenerate the key to get a new secret");
      }
      Secret secret;
      try {
        secret = Secret.of(vault.open(keyId, sealed));
      } catch (IllegalStateException wrongVaultKey) { // R13: a refusal to act on, audited (R12), nothing secret
        throw new VaultKeyMismatchException(keyId);
      }
      t.audit(keyId, key.deviceSerial(), "secret revealed");
      return secret;
    });
  }

  @Override
  public IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId, Duration overlap) {
    return write(admin, accountId, Action.REGENERATE_KEY, keyId, null, t -> {
      commands.start()
          .notNull("overlap", overlap)
          .check(overlap == null || (!overlap.isNegative() && overlap.compareTo(maxOverlap) <= 0), // R6: bounded overlap
              "overlap", "must be zero or positive and at most " + Messages.duration(maxOverlap))
          .notNull("keyId", keyId)
          .throwIfAny();
      StoredKey old = t.key(keyId);
      KeyIssuer.NewSecret secret = issuer.issue(keyId);
      // R6: same id, device and license; the old secret dies at once, or after the overlap
      StoredKey key = old.regenerated(secret.hash(), secret.hint(), secret.sealed(), t.now, t.now.plus(overlap));
      t.updateKey(key);
      List<KeyHash> affected = new ArrayList<>(old.hashes());
      affected.add(key.hash());
      t.change(ChangeEvent.Type.REGENERATED, key, affected); // R5/R6: validators drop every hash it had
      t.audit(keyId, key.deviceSerial(),
          overlap.isZero() ? "regenerated; old secret revoked"
              : "regenerated; old secret valid for " + Messages.duration(overlap));
      return new IssuedKey(t.view(key, t.device(key.deviceSerial())), Secret.of(secret.plain()));
    });
  }

  @Override
  public ApiKey editKey(Actor admin, AccountId accountId, KeyId keyId, KeyEdit edit) {
    return write(admin, accountId, Action.EDIT_KEY, keyId, null, t -> {
      commands.start().bean("edit", edit)
          .check(edit == null || !edit.isEmpty(), "edit", "must change at least one thing")
          .check(edit == null || !(edit.clearExpiry() && edit.expiresAt() != null), "edit",
              "cannot both set and clear the expiry")
          .notNull("keyId", keyId)
          .throwIfAny();
      StoredKey key = t.key(keyId); // R7: label, expiry, suspend/resume, rebinding
      List<String> changes = new ArrayList<>();
      if (edit.label() != null) {
        key = key.withLabel(edit.label());
        changes.add("label");
      }
      if (edit.expiresAt() != null || edit.clearExpiry()) {
        key = key.withExpiresAt(edit.expiresAt());
        changes.add(edit.clearExpiry() ? "expiry cleared" : "expires " + edit.expiresAt());
      }
      ChangeEvent.Type type = ChangeEvent.Type.EDITED;
      if (edit.suspended() != null && edit.suspended() != key.suspended()) {
        if (!edit.suspended()) {
          t.requireWithinLicensesToResume(key); // R1
        }
        key = key.withSuspended(edit.suspended());
        type = edit.suspended() ? ChangeEvent.Type.SUSPENDED : ChangeEvent.Type.RESUMED;
        changes.add(edit.suspended() ? "suspended" : "resumed");
      }
      if (edit.rebindTo() != null && !edit.rebindTo().equals(key.deviceSerial())) {
        t.device(edit.rebindTo()); // R2: a device of this account
        t.requireNoKeyYet(List.of(edit.rebindTo())); // R2: that has no key
        changes.add("moved from " + key.deviceSerial() + " to " + edit.rebindTo());
        key = key.withDevice(edit.rebindTo());
      }
      t.updateKey(key);
      t.change(type, key);
      t.audit(keyId, key.deviceSerial(), changes.isEmpty() ? "unchanged" : String.join(", ", changes));
      return t.view(key, t.device(key.deviceSerial()));
    });
  }

  @Override
  public void deleteKey(Actor admin, AccountId accountId, KeyId keyId) {
    write(admin, accountId, Action.DELETE_KEY, keyId, null, t -> {
      t.deleteKey(t.key(keyId), "deleted; license freed"); // R5
      return null;
    });
  }

  @Override
  public List<AuditEntry> auditLog(Actor admin, AccountId accountId, long beforeSequence, int limit) {
    return read(admin, accountId, Action.READ_AUDIT, t -> {
      commands.start()
          .check(limit >= 1 && limit <= MAX_AUDIT_PAGE, "limit", "must be between 1 and " + MAX_AUDIT_PAGE)
          .check(beforeSequence > 0, "beforeSequence", "must be positive")
          .throwIfAny();
      return t.tx.audit(beforeSequence, limit);
    });
  }

  // ------------------------------------------------------------------ usage charts

  @Override
  public List<DailyUsage> keyUsageDaily(Actor admin, AccountId accountId, KeyId keyId, int days) {
    LocalDate from = read(admin, accountId, Action.LIST_KEYS, keyId, null, t -> { // R8
      t.key(keyId);
      return firstDay(t, days);
    });
    return series(accountId, keyId, from, days);
  }

  @Override
  public List<DailyUsage> accountUsageDaily(Actor admin, AccountId accountId, int days) {
    LocalDate from = read(admin, accountId, Action.LIST_KEYS, t -> firstDay(t, days)); // R8
    return series(accountId, null, from, days);
  }

  private LocalDate firstDay(Context t, int days) {
    commands.start().check(days >= 1 && days <= MAX_USAGE_DAYS, "days", "must be between 1 and " + MAX_USAGE_DAYS)
        .throwIfAny();
    return LocalDate.ofInstant(t.now, ZoneOffset.UTC).minusDays(days - 1L);
  }

  /** The store's days with usage, read after the role check, with the days without use filled in as zeros. */
  private List<DailyUsage> series(AccountId accountId, @Nullable KeyId keyId, LocalDate from, int days) {
    LocalDate to = from.plusDays(days - 1L);
    Map<LocalDate, Long> counted = new HashMap<>();
    for (DailyUsage d : store.dailyUsage(accountId, keyId, from, to)) {
      counted.merge(d.date(), d.count(), Long::sum);
    }
    List<DailyUsage> series = new ArrayList<>(days);
    for (int i = 0; i < days; i++) {
      LocalDate day = from.plusDays(i);
      series.add(new DailyUsage(day, counted.getOrDefault(day, 0L)));
    }
    return List.copyOf(series);
  }

  // ------------------------------------------------------------------ plumbing

  private <T> T write(Actor actor, AccountId accountId, Action action, @Nullable KeyId keyId,
      @Nullable String serial, Function<Context, T> body) {
    requireCaller(actor, accountId);
    List<ChangeEvent> committed = new ArrayList<>();
    try {
      T result = store.inAccount(accountId, tx -> {
        Context t = new Context(tx, actor, accountId, action); // R8, R9
        t.applyDueEnds(); // R9: grants whose end passed, written once, before anything else
        T r = body.apply(t);
        committed.clear();
        committed.addAll(t.changes);
        return r;
      });
      if (!committed.isEmpty()) {
        onCommit.accept(List.copyOf(committed));
      }
      return result;
    } catch (KeyseatException e) {
      refused(actor, accountId, action, keyId, serial, e); // R12: every refusal is audited
      throw e;
    }
  }

  private <T> T read(Actor actor, AccountId accountId, Action action, Function<Context, T> body) {
    return read(actor, accountId, action, null, null, body);
  }

  /** As {@link #read(Actor, AccountId, Action, Function)}, naming the key or device in a refusal's audit entry. */
  private <T> T read(Actor actor, AccountId accountId, Action action, @Nullable KeyId keyId,
      @Nullable String serial, Function<Context, T> body) {
    requireCaller(actor, accountId);
    try {
      return store.readAccount(accountId, tx -> {
        Context t = new Context(tx, actor, accountId, action); // R8
        return body.apply(t);
      });
    } catch (KeyseatException e) {
      refused(actor, accountId, action, keyId, serial, e); // R12: every refusal is audited
      throw e;
    }
  }

  private static void requireCaller(Actor actor, AccountId accountId) {
    if (actor == null || accountId == null) {
      List<InvalidRequestException.Violation> v = new ArrayList<>();
      if (actor == null) {
        v.add(new InvalidRequestException.Violation("actor", "must not be null"));
      }
      if (accountId == null) {
        v.add(new InvalidRequestException.Violation("accountId", "must not be null"));
      }
      throw new InvalidRequestException(v);
    }
  }

  /** Records a refusal in its own transaction; the refused work was rolled back (R12). */
  private void refused(Actor actor, AccountId accountId, Action action, @Nullable KeyId keyId,
      @Nullable String serial, KeyseatException e) {
    log.info("refused {} by {} in account {}: {}", action, actor, accountId, e.getMessage());
    if (e instanceof StoreUnavailableException) {
      return;
    }
    String auditSerial = serial != null && serial.matches(Constraints.SERIAL) ? serial : null;
    try {
      // Every KeyseatException is built with a message; the fallback only satisfies the type.
      String detail = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
      store.inAccount(accountId, tx -> {
        boolean exists = tx.account().isPresent();
        if (exists) {
          tx.appendAudit(new AuditEntry(0, accountId, clock.instant(), actor.toString(), action, keyId,
              auditSerial, Outcome.REFUSED, detail));
        }
        return exists; // whether the refusal was audited; nobody reads it
      });
    } catch (RuntimeException auditFailure) {
      log.warn("could not audit refusal of {} in account {}: {}", action, accountId, auditFailure.toString());
    }
  }

  /**
   * R8, R9: the actor may perform {@code action}. Only the operator performs operator actions;
   * member actions need the account (else not found) and a member whose role the action allows.
   * This is the transaction's first call, which a store may take the account's lock in (the JDBC
   * store does): the {@link Context} makes it before it reads its time.
   */
  private static void requirePermitted(AccountTransaction tx, Actor actor, AccountId accountId, Action action) {
    if (action.allowedRoles().isEmpty()) {
      if (!actor.isOperator()) {
        throw new AccessDeniedException(actor + " may not " + action.description() + ": only the operator may");
      }
      tx.account(); // nothing to check here, but the account is locked before the time is read
      return;
    }
    // the member first: a store may read it with the account row, in one round trip
    Optional<Member> member = actor.isOperator() ? Optional.empty() : tx.member(actor.userId());
    openAccount(tx, accountId);
    if (actor.isOperator()) {
      if (action.allowsOperator()) {
        return;
      }
      throw new AccessDeniedException("the operator may not " + action.description() + " in account " + accountId
          + ": only " + roles(action.allowedRoles()) + " members may");
    }
    Role role = member.map(Member::role).orElseThrow(() ->
        new AccessDeniedException(actor + " may not " + action.description() + " in account " + accountId
            + ": access denied"));
    if (action.allowedRoles().contains(role)) {
      return;
    }
    String extra = action.managesKeys() ? "; key management is not available to " + role : "";
    throw new AccessDeniedException(actor + " (" + role + ") may not " + action.description() + " in account "
        + accountId + ": only " + roles(action.allowedRoles()) + " may" + extra);
  }

  private static String roles(Set<Role> roles) {
    return roles.stream().map(Role::name).collect(Collectors.joining(" or "));
  }

  /** The open account of the transaction, else not found (a closed account keeps only its audit log). */
  private static Account openAccount(AccountTransaction tx, AccountId accountId) {
    Account account = tx.account().orElseThrow(() -> NotFoundException.of("account", accountId));
    if (account.isClosed()) {
      // closeAccount: the row stays as the owner of the audit log, and nothing else may use it
      throw NotFoundException.of("open account", accountId);
    }
    return account;
  }

  /**
   * One transaction of one call: the actor, the time, and the changes to publish after commit.
   * The time is read after {@link #requirePermitted}, so while the account is locked: an account's
   * writes then see times in the order they commit (a grant ended by one is ended for the next, R1).
   */
  private final class Context {
    final AccountTransaction tx;
    final Actor actor;
    final AccountId accountId;
    final Action action;
    final Instant now;
    final List<ChangeEvent> changes = new ArrayList<>();

    Context(AccountTransaction tx, Actor actor, AccountId accountId, Action action) {
      requirePermitted(tx, actor, accountId, action); // R8, R9: the first call, then the time
      this.now = clock.instant();
      this.tx = tx;
      this.actor = actor;
      this.accountId = accountId;
      this.action = action;
    }

    Account account() {
      return openAccount(tx, accountId);
    }

    /** R8: the last admin cannot be removed or demoted. */
    void requireAnotherAdmin(UserId userId, String what) {
      long admins = tx.members().stream().filter(m -> m.role() == Role.ADMIN).count();
      if (admins <= 1) {
        throw new LastAdminException(userId + " is the last admin of account " + accountId
            + " and cannot be " + what + "; make another member ADMIN first");
      }
    }

    Member member(UserId userId) {
      return tx.member(userId).orElseThrow(() -> NotFoundException.of("member", userId));
    }

    void validSerial(String field, String serial) {
      commands.start()
          .check(serial != null && serial.matches(Constraints.SERIAL), field, Constraints.SERIAL_MESSAGE)
          .throwIfAny();
    }

    Device device(String serial) {
      validSerial("serial", serial);
      return tx.device(serial).orElseThrow(() -> NotFoundException.of("device", serial));
    }

    StoredKey key(KeyId id) {
      commands.start().notNull("keyId", id).throwIfAny();
      return tx.key(id).orElseThrow(() -> NotFoundException.of("key", id));
    }

    private @Nullable List<License> grants;

    /** R3: available = contracted - keys, the contracted total being the grants active now. */
    LicenseUsage usage() {
      return usageAt(tx.keyCount(), grants(), now);
    }

    /** @return the account's grants, as this transaction sees and writes them */
    List<License> grants() {
      List<License> loaded = grants;
      if (loaded == null) {
        loaded = new ArrayList<>(grantsOf(account(), tx.licenses()));
        grants = loaded;
      }
      return loaded;
    }

    /** R3: the licenses contracted at {@code at}. */
    int total(Instant at) {
      return totalAt(grants(), at, null);
    }

    License grant(LicenseId id) {
      commands.start().notNull("licenseId", id).throwIfAny();
      if (id.equals(LEGACY_GRANT) && legacy()) {
        materializeLegacyGrant();
        return grants().get(0);
      }
      return grants().stream().filter(g -> g.id().equals(id)).findFirst()
          .orElseThrow(() -> NotFoundException.of("license", id));
    }

    private boolean legacy() {
      return !grants().isEmpty() && grants().get(0).id().equals(LEGACY_GRANT);
    }

    /** Stores the implicit grant of an account written before grants ({@link #grantsOf}). */
    private void materializeLegacyGrant() {
      License legacy = grants().get(0);
      License stored = new License(issuer.newLicenseId(), accountId, legacy.quantity(),
          legacy.start(), null, "", legacy.createdBy(), legacy.createdAt(), false);
      if (!tx.insertLicense(stored)) {
        throw new IllegalStateException("store refused a fresh license grant");
      }
      grants().set(0, stored);
    }

    /** Inserts a grant created by this call's actor, and records the total now on the account row. */
    License insertGrant(int quantity, Instant start, @Nullable Instant end, String reference) {
      if (legacy()) {
        materializeLegacyGrant();
      }
      License grant = new License(issuer.newLicenseId(), accountId, quantity, start, end,
          reference, actor.toString(), now, false);
      if (!tx.insertLicense(grant)) {
        throw new IllegalStateException("store refused a fresh license grant");
      }
      grants().add(grant);
      recordTotal();
      return grant;
    }

    void updateGrant(License grant) {
      if (grant.id().equals(LEGACY_GRANT)) {
        materializeLegacyGrant();
        grant = new License(grants().get(0).id(), accountId, grant.quantity(), grant.start(), grant.end(),
            grant.reference(), grant.createdBy(), grant.createdAt(), grant.endApplied());
      }
      tx.updateLicense(grant);
      List<License> all = grants();
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).id().equals(grant.id())) {
          all.set(i, grant);
        }
      }
      recordTotal();
    }

    /** {@link Account#contractedLicenses()}: the total as of the account's last license change. */
    private void recordTotal() {
      Account account = account();
      int total = total(now);
      if (account.contractedLicenses() != total) {
        tx.updateAccount(account.withContractedLicenses(total));
      }
    }

    /**
     * R9: the account's total stays at most {@link Account#MAX_LICENSES} at every instant of
     * [start, end) with {@code quantity} more licenses ({@code except}: a grant whose term changes).
     */
    void requireWithinMaximum(int quantity, Instant start, @Nullable Instant end, @Nullable LicenseId except) {
      int peak = totalAt(grants(), start, except);
      for (License g : grants()) {
        if (g.start().isAfter(start) && (end == null || g.start().isBefore(end))) {
          peak = Math.max(peak, totalAt(grants(), g.start(), except));
        }
      }
      long total = (long) peak + quantity;
      commands.start()
          .check(total <= Account.MAX_LICENSES, "quantity", "would bring the account to " + total
              + " licenses, above the " + Constraints.MAX_LICENSES_TEXT + " an account may contract; at most "
              + Messages.count(Math.max(0, Account.MAX_LICENSES - peak), "more license") + " can be added")
          .throwIfAny();
    }

    /**
     * R9: the ends of grants that passed and were not applied yet are applied now, once: each is
     * audited as the platform's action and, if the account now has more keys than licenses, its
     * expiry strategy applies (never a deletion). Idempotent: a second call finds nothing due.
     */
    void applyDueEnds() {
      Optional<Account> open = tx.account().filter(a -> !a.isClosed());
      if (open.isEmpty()) {
        return;
      }
      List<License> due = grants().stream().filter(g -> g.endedAt(now) && !g.endApplied()).toList();
      if (due.isEmpty()) {
        return;
      }
      OverLimitStrategy strategy = tx.licensePolicy().onExpiry();
      for (License g : due) {
        updateGrant(g.withEndApplied());
        licensesChanged(ChangeEvent.Type.LICENSES_ENDED); // once per grant: a later call finds it applied
        audit(PLATFORM, Action.LICENSES_EXPIRED, null, null, "grant " + g.id() + " of "
            + Messages.count(g.quantity(), "license") + " ended at " + g.end());
      }
      int excess = tx.keyCount() - total(now);
      applyOverLimit(strategy, PLATFORM, "licenses ended below keys in use");
      if (excess > 0) {
        audit(PLATFORM, Action.LICENSES_EXPIRED, null, null, "over limit by " + excess + " (" + strategy + ")");
      }
    }

    /**
     * R9: after the total dropped, the account's keys above it are left over the limit ({@code
     * MARK_OVER_LIMIT}) or the newest of them suspended ({@code SUSPEND_NEWEST}); never deleted.
     */
    void applyOverLimit(OverLimitStrategy strategy, String who, String why) {
      List<StoredKey> keys = tx.keys();
      int excess = keys.size() - total(now);
      if (excess <= 0 || strategy != OverLimitStrategy.SUSPEND_NEWEST) {
        return;
      }
      keys.stream()
          .sorted(StoredKey.CREATION_ORDER.reversed())
          .limit(excess)
          .filter(k -> !k.suspended())
          .forEach(k -> {
            updateKey(k.withSuspended(true));
            change(ChangeEvent.Type.SUSPENDED, k);
            audit(who, Action.SUSPEND_KEY, k.id(), k.deviceSerial(), "suspended: " + why);
          });
    }

    /**
     * R9 seat reuse: keys created take licenses never used first, then licenses freed by deleting
     * keys; with a limit, at most
     * {@link LicensePolicy#maxReassignments()} such reassignments per period, else refused naming
     * when the next one is allowed.
     */
    void reassignFreedSeats(int created) {
      LicensePolicy policy = tx.licensePolicy();
      Duration period = policy.reassignmentPeriod();
      if (period == null) { // no limit
        return;
      }
      SeatLedger ledger = tx.seatLedger();
      Instant since = now.minus(period);
      List<Instant> recent = ledger.reassignments().stream().filter(at -> at.isAfter(since)).sorted().toList();
      // licenses never used since they were contracted go first; the rest of the batch takes freed ones
      int available = usage().available();
      int fresh = Math.max(0, available - Math.min(ledger.freedSeats(), available));
      int reassigned = Math.max(0, Math.min(created, available) - fresh);
      if (reassigned == 0) {
        return;
      }
      int max = policy.maxReassignments();
      if (recent.size() + reassigned > max) {
        int mustPass = recent.size() + reassigned - max;
        Instant next = mustPass <= recent.size() ? recent.get(mustPass - 1).plus(period)
            : recent.isEmpty() ? now : recent.get(recent.size() - 1).plus(period);
        throw new SeatReuseLimitException("license reuse limit reached: "
            + Messages.count(reassigned, "freed license") + " would be reassigned, and "
            + Messages.count(recent.size(), "reassignment") + " happened in the last " + Messages.duration(period)
            + " (at most " + max + " per " + Messages.duration(period) + ")"
            + (reassigned > max ? "; select at most " + Messages.count(max, "device") + " at once" : "")
            + "; the next reassignment is allowed at " + next, next);
      }
      List<Instant> kept = new ArrayList<>(recent);
      for (int i = 0; i < reassigned; i++) {
        kept.add(now);
      }
      tx.putSeatLedger(new SeatLedger(ledger.freedSeats() - reassigned, kept));
    }

    /** R9 seat reuse: a deleted key's license counts as freed while a license is really free. */
    void freeSeat() {
      LicensePolicy policy = tx.licensePolicy();
      if (!policy.limitsReassignments()) {
        return;
      }
      SeatLedger ledger = tx.seatLedger();
      int free = Math.max(0, total(now) - tx.keyCount());
      tx.putSeatLedger(new SeatLedger(Math.min(ledger.freedSeats() + 1, free), ledger.reassignments()));
    }

    /** R2: every selected device is associated with this account; names each one that is not. */
    void requireDevicesOfAccount(List<String> serials, Map<String, DeviceWithKey> found) {
      List<String> missing = serials.stream().filter(s -> !found.containsKey(s)).toList();
      if (!missing.isEmpty()) {
        throw new NotFoundException("device", missing);
      }
    }

    /** R2, R11: none of the devices found has a key yet; names each one that has. */
    void requireNoKeyYet(List<String> serials, Map<String, DeviceWithKey> found) {
      List<String> keyed = serials.stream().filter(s -> {
        DeviceWithKey d = found.get(s);
        return d != null && d.key() != null;
      }).toList();
      if (!keyed.isEmpty()) {
        throw new DeviceAlreadyHasKeyException(keyed);
      }
    }

    /** R2, R11: none of the devices has a key yet; names each one that has. */
    void requireNoKeyYet(List<String> serials) {
      List<String> keyed = serials.stream().filter(s -> tx.keyForDevice(s).isPresent()).toList();
      if (!keyed.isEmpty()) {
        throw new DeviceAlreadyHasKeyException(keyed);
      }
    }

    /** R1: {@code needed} more keys stay within the contracted licenses; names the shortfall (R4). */
    void requireFreeLicenses(int needed, List<String> serials) {
      LicenseUsage usage = usage();
      if (needed > usage.available()) {
        throw new LicenseLimitException(needed, usage.available(), serials);
      }
    }

    /** R1: a suspended key resumes only while the account is not over its limit. */
    void requireWithinLicensesToResume(StoredKey key) {
      if (usage().overLimit()) {
        throw new LicenseLimitException(1, 0, List.of(key.deviceSerial()));
      }
    }

    void updateKey(StoredKey key) {
      if (!tx.updateKey(key)) {
        throw new IllegalStateException("store refused an update of key " + key.id());
      }
    }

    /** R5: the key and its license go in this transaction; every secret it had stops validating. */
    void deleteKey(StoredKey key, String detail) {
      tx.deleteKey(key.id());
      freeSeat();
      change(ChangeEvent.Type.DELETED, key);
      audit(Action.DELETE_KEY, key.id(), key.deviceSerial(), detail);
    }

    void change(ChangeEvent.Type type, StoredKey key) {
      change(type, key, key.hashes());
    }

    /** For the host's events ({@code Keyseat.events()}); validators ignore it. */
    void licensesChanged(ChangeEvent.Type type) {
      ChangeEvent event = ChangeEvent.licenses(type, accountId, now);
      tx.appendChange(event);
      changes.add(event);
    }

    void change(ChangeEvent.Type type, StoredKey key, List<KeyHash> hashes) {
      ChangeEvent event = new ChangeEvent(0, type, accountId, key.id(), hashes, now);
      tx.appendChange(event);
      changes.add(event);
    }

    void audit(@Nullable KeyId keyId, @Nullable String serial, String detail) {
      audit(action, keyId, serial, detail);
    }

    /** R12: the action is audited in the transaction that does it. */
    void audit(Action what, @Nullable KeyId keyId, @Nullable String serial, String detail) {
      audit(actor.toString(), what, keyId, serial, detail);
    }

    /** R12, as {@code who}: the actor, or {@link #PLATFORM} for what the platform does by itself. */
    void audit(String who, Action what, @Nullable KeyId keyId, @Nullable String serial, String detail) {
      tx.appendAudit(new AuditEntry(0, accountId, now, who, what, keyId, serial, Outcome.SUCCESS, detail));
      log.debug("{} by {} in account {}: key={} device={} {}", what, who, accountId, keyId, serial, detail);
    }

    /** The rows of a request, read with their devices and usage in one store call (no query per row). */
    List<ApiKey> rows(KeyPageRequest request) {
      List<ApiKey> rows = new ArrayList<>();
      for (KeyRow row : tx.keyPage(request).rows()) {
        rows.add(view(row));
      }
      return rows;
    }

    ApiKey view(StoredKey k, @Nullable Device device) {
      return view(k, device == null ? k.deviceSerial() : device.name(), tx.usage(k.id()));
    }

    ApiKey view(KeyRow row) {
      return view(row.key(), row.deviceName(), row.usage());
    }

    ApiKey view(StoredKey k, String deviceName, KeyUsage usage) {
      return new ApiKey(k.id(), k.accountId(), k.deviceSerial(), deviceName, k.label(), k.hint(), k.createdAt(),
          k.regeneratedAt(), k.expiresAt(), usage.lastUsedAt(), usage.useCount(), k.statusAt(now));
    }
  }

  // ------------------------------------------------------------------ conveniences

  @Override
  public ApiKey key(Actor admin, AccountId accountId, KeyId keyId) {
    return read(admin, accountId, Action.LIST_KEYS, keyId, null, t -> {
      StoredKey key = t.key(keyId);
      return t.view(key, t.tx.device(key.deviceSerial()).orElse(null));
    });
  }

  @Override
  public ApiKey keyOfDevice(Actor admin, AccountId accountId, String serial) {
    return read(admin, accountId, Action.LIST_KEYS, null, serial, t -> {
      Device device = t.device(serial);
      StoredKey key = t.tx.keyForDevice(serial).orElseThrow(() -> NotFoundException.of("key for device", serial));
      return t.view(key, device);
    });
  }

  @Override
  public List<Device> associateDevices(Actor actor, AccountId accountId, List<NewDevice> devices) {
    return write(actor, accountId, Action.ASSOCIATE_DEVICE, null, null, t -> {
      validDeviceList(devices);
      List<String> taken = new ArrayList<>();
      Map<String, String> where = new LinkedHashMap<>();
      List<Device> associated = new ArrayList<>(devices.size());
      for (NewDevice d : devices) {
        Device device = new Device(d.serial(), accountId, d.name(), d.model(), t.now);
        boolean here = t.tx.device(d.serial()).isPresent();
        if (!here && t.tx.insertDevice(device)) {
          associated.add(device);
        } else {
          // a serial of another account is not named with that account: it is not this caller's
          taken.add(d.serial());
          where.put(d.serial(), here ? d.serial() + " (this account)" : d.serial() + " (another account)");
        }
      }
      if (!taken.isEmpty()) {
        throw new AlreadyExistsException((taken.size() == 1 ? "device is" : "devices are")
            + " associated with an account already: " + String.join(", ", where.values())
            + "; nothing was associated: leave " + (taken.size() == 1 ? "it" : "them")
            + " out, or dissociate " + (taken.size() == 1 ? "it" : "them") + " there first", taken);
      }
      for (Device d : associated) {
        t.audit(null, d.serial(), "associated \"" + d.name() + "\" (one of " + associated.size() + " in one call)");
      }
      return associated;
    });
  }

  /** Every malformed element and every repeated serial of an {@link #associateDevices} request, at once. */
  private void validDeviceList(@Nullable List<NewDevice> devices) {
    CommandValidator.Violations v = commands.start();
    if (devices == null || devices.isEmpty() || devices.size() > Constraints.MAX_BATCH) {
      v.add("devices", "must list 1 to " + Constraints.MAX_BATCH + " devices");
      v.throwIfAny();
      return; // not reached: throwIfAny threw (the return tells NullAway that devices is non-null below)
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < devices.size(); i++) {
      NewDevice d = devices.get(i);
      String path = "devices[" + i + "]";
      if (d == null) {
        v.add(path, "must not be null");
        continue;
      }
      boolean serialOk = d.serial() != null && d.serial().matches(Constraints.SERIAL);
      String named = serialOk ? " (device " + d.serial() + ")" : "";
      try {
        commands.start().bean(path, d).throwIfAny();
      } catch (InvalidRequestException e) {
        e.violations().forEach(x -> v.add(x.field(), x.message() + named));
      }
      if (serialOk) {
        v.check(seen.add(d.serial()), path + ".serial", "repeats device " + d.serial());
      }
    }
    v.throwIfAny();
  }

  /**
   * R8/R9 for an operator call that concerns no one account: a refusal is logged, in no account's
   * audit log.
   *
   * @param operator the caller
   * @param action what it may not do, as the refusal says it ("list accounts")
   * @param refused what was refused, as the log line says it ("the account list")
   * @throws InvalidRequestException if the actor is null
   * @throws AccessDeniedException if the actor is not the operator
   */
  private static void requireOperatorOutsideAccounts(@Nullable Actor operator, String action, String refused) {
    if (operator == null) {
      throw InvalidRequestException.of("actor", "must not be null");
    }
    if (!operator.isOperator()) {
      AccessDeniedException e = new AccessDeniedException(operator + " may not " + action + ": only the operator may");
      log.info("refused {} to {}: {}", refused, operator, e.getMessage());
      throw e;
    }
  }

  @Override
  public AccountPage accounts(Actor operator, @Nullable AccountId after, int limit) {
    requireOperatorOutsideAccounts(operator, "list accounts", "the account list"); // R8
    commands.start()
        .check(limit >= 1 && limit <= MAX_ACCOUNT_PAGE, "limit", "must be between 1 and " + MAX_ACCOUNT_PAGE)
        .throwIfAny();
    List<AccountSummary> rows = store.accounts(after, limit + 1);
    List<AccountOverview> page = new ArrayList<>(Math.min(limit, rows.size()));
    Instant now = clock.instant();
    // one read for the page's grants, not one per account
    Map<AccountId, List<License>> licenses = store.licensesOf(rows.subList(0, Math.min(limit, rows.size())).stream()
        .filter(r -> !r.account().isClosed()).map(r -> r.account().id()).toList());
    for (AccountSummary row : rows.subList(0, Math.min(limit, rows.size()))) {
      Account account = row.account();
      // R3: the total now, from the account's grants (a closed account has none active)
      List<License> grants = account.isClosed() ? List.of()
          : grantsOf(account, licenses.getOrDefault(account.id(), List.of()));
      page.add(new AccountOverview(account, usageAt(row.keyCount(), grants, now)));
    }
    AccountId next = rows.size() > limit ? page.get(limit - 1).account().id() : null;
    return new AccountPage(page, next);
  }

  @Override
  public Account closeAccount(Actor operator, AccountId accountId, boolean deleteKeys) {
    return write(operator, accountId, Action.CLOSE_ACCOUNT, null, null, t -> {
      Account account = t.account();
      int licensesBefore = t.total(t.now);
      List<StoredKey> keys = t.tx.keys();
      if (!keys.isEmpty() && !deleteKeys) {
        throw new LicensesInUseException("cannot close account " + accountId + ": it has " + keys.size()
            + (keys.size() == 1 ? " key" : " keys") + "; delete them first, or close it with deleteKeys to delete"
            + " them with the account", keys.size());
      }
      for (StoredKey key : keys) {
        t.deleteKey(key, "deleted with its account"); // R5: the change feed tells every node
      }
      List<Device> devices = t.tx.devices();
      for (Device d : devices) {
        t.tx.deleteDevice(d.serial());
        t.audit(Action.DISSOCIATE_DEVICE, null, d.serial(), "dissociated with its account");
      }
      List<Member> members = t.tx.members();
      for (Member m : members) {
        t.tx.removeMember(m.userId());
      }
      for (License g : t.grants()) { // licenses cancelled: every grant not ended yet ends now
        if (!g.endedAt(t.now)) {
          t.updateGrant(g.withEnd(g.start().isAfter(t.now) ? g.start() : t.now).withEndApplied());
        }
      }
      Account closed = account.closed(t.now);
      t.tx.updateAccount(closed);
      t.audit(null, null, "closed: " + keys.size() + " keys deleted, " + devices.size() + " devices dissociated, "
          + members.size() + " members removed, " + licensesBefore + " licenses cancelled");
      return closed;
    });
  }

  // ------------------------------------------------------------------ adoption and leaked keys

  /** The hint of a key imported as a hash: there is no plaintext to take the last characters of. */
  static final String IMPORTED_HASH_HINT = "(imported hash)";

  @Override
  public ImportResult importKeys(Actor operator, AccountId accountId, List<KeyImport> records, boolean associateDevices) {
    return write(operator, accountId, Action.IMPORT_KEYS, null, null, t -> {
      t.account(); // R9: only the operator imports (checked by write)
      List<KeyHash> hashes = validImport(records, t.now);
      List<ImportResult.ImportedKey> already = new ArrayList<>();
      List<Integer> fresh = new ArrayList<>();
      List<Integer> toAssociate = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      List<String> keyed = new ArrayList<>();
      Map<String, DeviceWithKey> found = t.tx.devicesWithKeys(records.stream().map(KeyImport::serial).toList());
      for (int i = 0; i < records.size(); i++) {
        String serial = records.get(i).serial();
        if (!found.containsKey(serial)) {
          if (associateDevices) {
            toAssociate.add(i);
            fresh.add(i);
          } else {
            missing.add(serial);
          }
          continue;
        }
        DeviceWithKey device = Objects.requireNonNull(found.get(serial), "checked above");
        Optional<StoredKey> existing = Optional.ofNullable(device.key());
        if (existing.isEmpty()) {
          fresh.add(i);
        } else if (existing.get().hash().equals(hashes.get(i))) {
          already.add(new ImportResult.ImportedKey(i, serial, existing.get().id())); // imported by an earlier run
        } else {
          keyed.add(serial);
        }
      }
      if (!missing.isEmpty()) {
        throw new NotFoundException("device", missing); // R2: the device must belong to the account
      }
      if (!keyed.isEmpty()) {
        throw new DeviceAlreadyHasKeyException(keyed); // R11 (and R2: one key per device)
      }
      LicenseUsage usage = t.usage();
      if (fresh.size() > usage.available()) { // R1: refused whole, naming the shortfall
        throw new LicenseLimitException(fresh.size(), usage.available(),
            fresh.stream().map(i -> records.get(i).serial()).toList());
      }
      List<Device> newDevices = new ArrayList<>(toAssociate.size());
      for (int i : toAssociate) {
        KeyImport r = records.get(i);
        String name = r.deviceName() != null ? r.deviceName() : r.serial();
        newDevices.add(new Device(r.serial(), accountId, name, "", t.now));
      }
      List<String> taken = new ArrayList<>();
      for (int n : t.tx.insertDevices(newDevices)) { // one batch
        taken.add(newDevices.get(n).serial());
      }
      if (!taken.isEmpty()) {
        throw new AlreadyExistsException((taken.size() == 1 ? "device is" : "devices are")
            + " associated with another account: " + String.join(", ", taken)
            + "; nothing was imported: leave them out, or dissociate them there first", taken);
      }
      for (int i : toAssociate) {
        t.audit(Action.ASSOCIATE_DEVICE, null, records.get(i).serial(), "associated on import");
      }
      List<ImportResult.ImportedKey> imported = new ArrayList<>(fresh.size());
      List<String> inUse = new ArrayList<>();
      long ordinal = t.tx.lastKeyOrdinal(); // keys of one creation time keep the order of the records
      List<StoredKey> keysToInsert = new ArrayList<>(fresh.size());
      for (int i : fresh) {
        KeyImport r = records.get(i);
        KeyId id = issuer.newKeyId();
        String plain = r.secret() == null ? null : r.secret().reveal();
        Instant created = r.createdAt() != null ? r.createdAt() : t.now;
        keysToInsert.add(new StoredKey(id, accountId, r.serial(), hashes.get(i),
            plain == null ? IMPORTED_HASH_HINT : issuer.format().hint(plain), r.label(), created, null, null, false, null, null,
            plain == null ? null : issuer.seal(id, plain), ++ordinal));
      }
      Set<Integer> refusedKeys = new HashSet<>(t.tx.insertKeys(keysToInsert)); // one batch
      for (int n = 0; n < fresh.size(); n++) {
        int i = fresh.get(n);
        KeyImport r = records.get(i);
        StoredKey key = keysToInsert.get(n);
        KeyId id = key.id();
        String plain = r.secret() == null ? null : r.secret().reveal();
        Instant created = key.createdAt();
        if (refusedKeys.contains(n)) {
          inUse.add("records[" + i + "]");
          continue;
        }
        t.change(ChangeEvent.Type.CREATED, key);
        t.audit(id, r.serial(), "imported ("
            + (plain == null ? "SHA-256 hash" : issuer.format().isWellFormed(plain) ? "Keyseat key" : "legacy key")
            + ", created " + created + ")");
        imported.add(new ImportResult.ImportedKey(i, r.serial(), id));
      }
      if (!inUse.isEmpty()) {
        CommandValidator.Violations v = commands.start();
        inUse.forEach(path -> v.add(path, "this key is in use by another device already; nothing was imported"));
        v.throwIfAny();
      }
      return new ImportResult(imported, already, toAssociate.size());
    });
  }

  /** Every malformed record and every repeat of an {@link #importKeys} request, at once; the records' hashes. */
  private List<KeyHash> validImport(@Nullable List<KeyImport> records, Instant now) {
    CommandValidator.Violations v = commands.start();
    if (records == null || records.isEmpty() || records.size() > Constraints.MAX_BATCH) {
      v.add("records", "must list 1 to " + Constraints.MAX_BATCH + " records");
      v.throwIfAny();
      return List.of(); // not reached: throwIfAny threw (the return tells NullAway that records is non-null below)
    }
    List<KeyHash> hashes = new ArrayList<>(records.size());
    Map<String, Integer> serials = new HashMap<>();
    Map<KeyHash, Integer> keys = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      KeyImport r = records.get(i);
      String path = "records[" + i + "]";
      hashes.add(null);
      if (r == null) {
        v.add(path, "must not be null");
        continue;
      }
      boolean serialOk = r.serial() != null && r.serial().matches(Constraints.SERIAL);
      String named = serialOk ? " (device " + r.serial() + ")" : "";
      v.check(serialOk, path + ".serial", Constraints.SERIAL_MESSAGE);
      if (serialOk) {
        Integer first = serials.putIfAbsent(r.serial(), i);
        v.check(first == null, path + ".serial", "repeats device " + r.serial() + " of records[" + first + "]");
      }
      KeyHash hash = null;
      if ((r.secret() == null) == (r.sha256() == null)) {
        v.add(path, "must give either the plaintext key or its SHA-256" + named);
      } else if (r.secret() != null) {
        String plain = r.secret().reveal();
        if (issuer.format().isWellFormed(plain) || issuer.format().isLegacyShaped(plain)) {
          hash = issuer.hasher().hash(plain);
        } else {
          // never echo what was given: it may be a secret of another shape
          v.add(path + ".secret", "is neither a Keyseat key with a valid checksum nor of a declared legacy key shape"
              + (issuer.format().hasLegacyShapes() ? " " + issuer.format().legacyShapes()
                  : " (none declared: Keyseat.Builder.legacyKeyShapes)")
              + named);
        }
      } else if (issuer.hasher().peppered()) {
        v.add(path + ".sha256", "a SHA-256 hash cannot be imported while a pepper is configured (the store keeps"
            + " HMAC-SHA256 of keys, which a SHA-256 cannot be turned into); import the plaintext keys instead" + named);
      } else if (!r.sha256().matches("[0-9a-fA-F]{64}")) {
        v.add(path + ".sha256", "must be 64 hexadecimal digits" + named);
      } else {
        hash = KeyHash.fromHex(r.sha256().toLowerCase(java.util.Locale.ROOT));
      }
      if (hash != null) {
        Integer first = keys.putIfAbsent(hash, i);
        v.check(first == null, path, "is the same key as records[" + first + "]" + named);
        hashes.set(i, hash);
      }
      v.check(r.createdAt() == null || !r.createdAt().isAfter(now), path + ".createdAt", "must not be in the future" + named);
      v.check(r.label().length() <= 200, path + ".label", "must be at most 200 characters" + named);
      v.check(!Constraints.containsKey(r.label()), path + ".label", Constraints.NO_KEY_MESSAGE + named);
      v.check(CommandValidator.isStorable(r.label()), path + ".label", CommandValidator.UNSTORABLE_MESSAGE + named);
      if (r.deviceName() != null) {
        String name = r.deviceName();
        v.check(!name.isBlank() && name.length() <= 200, path + ".deviceName", "must be 1-200 characters, not blank" + named);
        v.check(!Constraints.containsKey(name), path + ".deviceName", Constraints.NO_KEY_MESSAGE + named);
        v.check(CommandValidator.isStorable(name), path + ".deviceName", CommandValidator.UNSTORABLE_MESSAGE + named);
      }
    }
    v.throwIfAny();
    return hashes;
  }

  @Override
  public List<LeakedKey> revokeLeaked(Actor operator, List<Secret> secrets, LeakAction action) {
    // the keys, and so their accounts, are not known yet
    requireOperatorOutsideAccounts(operator, "revoke leaked keys", "the leaked-key response"); // R8, R9
    CommandValidator.Violations v = commands.start().notNull("action", action);
    if (secrets == null || secrets.isEmpty() || secrets.size() > Constraints.MAX_BATCH) {
      v.add("secrets", "must list 1 to " + Constraints.MAX_BATCH + " secrets");
    } else {
      for (int i = 0; i < secrets.size(); i++) {
        v.check(secrets.get(i) != null, "secrets[" + i + "]", "must not be null");
      }
    }
    v.throwIfAny();
    List<LeakedKey> found = new ArrayList<>();
    Set<KeyHash> seen = new HashSet<>();
    for (int i = 0; i < secrets.size(); i++) {
      String plain = secrets.get(i).reveal();
      if (!issuer.format().isAccepted(plain)) {
        continue; // no key has this shape: nothing to hash or look up
      }
      KeyHash hash = issuer.hasher().hash(plain);
      if (!seen.add(hash)) {
        continue;
      }
      Optional<StoredKey> match = store.findKeyByHash(hash);
      if (match.isEmpty()) {
        continue;
      }
      int index = i;
      StoredKey candidate = match.get();
      LeakedKey handled = write(operator, candidate.accountId(), Action.REVOKE_LEAKED_KEY, candidate.id(), null,
          t -> revokeLeaked(t, candidate.id(), hash, action, index));
      if (handled != null) {
        found.add(handled);
      }
    }
    return found;
  }

  /** One leaked secret's key, in its account's transaction; null if the key changed since it was found. */
  private @Nullable LeakedKey revokeLeaked(Context t, KeyId id, KeyHash hash, LeakAction action, int index) {
    t.account(); // only the operator (checked by write)
    StoredKey key = t.tx.key(id).orElse(null);
    if (key == null) {
      return null; // deleted meanwhile: the secret matches no key any more
    }
    boolean current = key.hash().equals(hash);
    boolean previous = !current && hash.equals(key.previousHash());
    if (!current && !previous) {
      return null; // regenerated meanwhile
    }
    if (action == LeakAction.SUSPEND) {
      if (!key.suspended()) {
        StoredKey suspended = key.withSuspended(true);
        t.updateKey(suspended);
        t.change(ChangeEvent.Type.SUSPENDED, suspended);
      }
      t.audit(Action.SUSPEND_KEY, id, key.deviceSerial(), "suspended by the operator: leaked " + (previous ? "previous " : "")
          + "secret reported" + (key.suspended() ? " (was suspended already)" : ""));
    } else if (previous) {
      // the current secret did not leak: end the overlap of the leaked previous one
      StoredKey ended = new StoredKey(key.id(), key.accountId(), key.deviceSerial(), key.hash(), key.hint(),
          key.label(), key.createdAt(), key.regeneratedAt(), key.expiresAt(), key.suspended(), key.previousHash(),
          t.now, key.sealedSecret(), key.ordinal());
      t.updateKey(ended);
      t.change(ChangeEvent.Type.EDITED, ended);
      t.audit(Action.REGENERATE_KEY, id, key.deviceSerial(), "leaked previous secret reported: its overlap ended; the current secret stays");
    } else {
      KeyIssuer.NewSecret secret = issuer.issue(id);
      StoredKey regenerated = key.regenerated(secret.hash(), secret.hint(), secret.sealed(), t.now, t.now);
      t.updateKey(regenerated);
      List<KeyHash> affected = new ArrayList<>(List.of(key.hash(), regenerated.hash()));
      if (key.previousHash() != null) {
        affected.add(key.previousHash());
      }
      t.change(ChangeEvent.Type.REGENERATED, regenerated, affected);
      t.audit(Action.REGENERATE_KEY, id, key.deviceSerial(), "regenerated by the operator: leaked secret reported and revoked; the new"
          + " secret was not shown (an admin regenerates the key to give the device a new one)");
    }
    return new LeakedKey(index, key.accountId(), key.deviceSerial(), id, action, previous);
  }

  @Override
  public String toString() {
    return "KeyManager[store=" + store + "]";
  }
}
