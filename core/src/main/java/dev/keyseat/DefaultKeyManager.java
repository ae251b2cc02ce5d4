package dev.keyseat;

import dev.keyseat.AuditEntry.Action;
import dev.keyseat.AuditEntry.Outcome;
import dev.keyseat.internal.KeyFormat;
import dev.keyseat.internal.KeyHasher;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
  private static final int MAX_LICENSES = 1_000_000;
  private static final int MAX_AUDIT_PAGE = 1000;

  private final KeyStore store;
  private final Clock clock;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final @Nullable SecretVault vault;
  private final Duration maxOverlap;
  private final CommandValidator commands;
  private final Consumer<List<ChangeEvent>> onCommit;

  DefaultKeyManager(KeyStore store, Clock clock, KeyFormat format, KeyHasher hasher,
      @Nullable SecretVault vault, Duration maxOverlap, Consumer<List<ChangeEvent>> onCommit) {
    this.store = store;
    this.clock = clock;
    this.format = format;
    this.hasher = hasher;
    this.vault = vault;
    this.maxOverlap = maxOverlap;
    this.commands = new CommandValidator(clock);
    this.onCommit = onCommit;
  }

  // ------------------------------------------------------------------ operator

  @Override
  public Account createAccount(Actor operator, AccountId accountId, NewAccount command) {
    return write(operator, accountId, Action.CREATE_ACCOUNT, null, null, t -> {
      t.requireOperator();
      commands.start().bean("command", command).throwIfAny();
      Account account = new Account(accountId, command.name(), command.licenses(), t.now);
      if (!t.tx.insertAccount(account)) {
        throw new AlreadyExistsException("account " + accountId + " exists already");
      }
      t.tx.putMember(new Member(accountId, command.firstAdmin(), Role.ADMIN));
      t.audit(null, null, "created with " + command.licenses() + " licenses, first admin " + command.firstAdmin());
      return account;
    });
  }

  @Override
  public LicenseUsage contractLicenses(Actor operator, AccountId accountId, int quantity) {
    return write(operator, accountId, Action.CONTRACT_LICENSES, null, null, t -> {
      t.requireOperator();
      Account account = t.account();
      commands.start()
          .check(quantity >= 1 && quantity <= MAX_LICENSES, "quantity", "must be between 1 and " + MAX_LICENSES)
          .throwIfAny();
      if ((long) account.contractedLicenses() + quantity > MAX_LICENSES) {
        throw InvalidRequestException.of("quantity", "would exceed " + MAX_LICENSES + " licenses in total");
      }
      t.tx.updateAccount(account.withContractedLicenses(account.contractedLicenses() + quantity));
      t.audit(null, null, "contracted " + quantity + " licenses");
      return t.usage();
    });
  }

  @Override
  public LicenseUsage cancelLicenses(Actor operator, AccountId accountId, int quantity, OverLimitStrategy strategy) {
    return write(operator, accountId, Action.CANCEL_LICENSES, null, null, t -> {
      t.requireOperator();
      Account account = t.account();
      commands.start()
          .check(quantity >= 1 && quantity <= account.contractedLicenses(), "quantity",
              "must be between 1 and the " + account.contractedLicenses() + " licenses contracted")
          .notNull("strategy", strategy)
          .throwIfAny();
      int total = account.contractedLicenses() - quantity;
      List<StoredKey> keys = t.tx.keys();
      int excess = keys.size() - total;
      if (excess > 0 && strategy == OverLimitStrategy.REJECT) {
        throw new LicensesInUseException("cannot cancel " + quantity + " licenses: " + keys.size()
            + " keys are in use and " + total + " licenses would remain; delete " + excess
            + " keys first", excess);
      }
      t.tx.updateAccount(account.withContractedLicenses(total));
      if (excess > 0 && strategy == OverLimitStrategy.SUSPEND_NEWEST) {
        keys.stream()
            .sorted(Comparator.comparing(StoredKey::createdAt).thenComparing(k -> k.id().value()).reversed())
            .limit(excess)
            .filter(k -> !k.suspended())
            .forEach(k -> {
              t.updateKey(k.withSuspended(true));
              t.change(ChangeEvent.Type.SUSPENDED, k);
              t.audit(Action.SUSPEND_KEY, k.id(), k.deviceSerial(), "suspended: licenses cancelled below keys in use");
            });
      }
      t.audit(null, null, "cancelled " + quantity + " licenses (" + strategy + ")"
          + (excess > 0 ? "; over limit by " + excess : ""));
      return t.usage();
    });
  }

  @Override
  public LicenseUsage licenseUsage(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.READ_LICENSES, t -> {
      if (!actor.isOperator()) {
        t.requireRole(Role.ADMIN, Role.MANAGER, Role.VIEWER);
      }
      t.account();
      return t.usage();
    });
  }

  // ------------------------------------------------------------------ members

  @Override
  public Member addMember(Actor admin, AccountId accountId, UserId userId, Role role) {
    return write(admin, accountId, Action.ADD_MEMBER, null, null, t -> {
      t.requireRole(Role.ADMIN);
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
      t.requireRole(Role.ADMIN);
      commands.start().notNull("userId", userId).notNull("role", role).throwIfAny();
      Member current = t.member(userId);
      if (current.role() == Role.ADMIN && role != Role.ADMIN) {
        t.requireAnotherAdmin(userId, "demoted");
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
      t.requireRole(Role.ADMIN);
      commands.start().notNull("userId", userId).throwIfAny();
      Member current = t.member(userId);
      if (current.role() == Role.ADMIN) {
        t.requireAnotherAdmin(userId, "removed");
      }
      t.tx.removeMember(userId);
      t.audit(null, null, "removed " + userId);
      return null;
    });
  }

  @Override
  public List<Member> members(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_MEMBERS, t -> {
      t.requireRole(Role.ADMIN, Role.MANAGER, Role.VIEWER);
      return t.tx.members();
    });
  }

  // ------------------------------------------------------------------ devices

  @Override
  public Device associateDevice(Actor actor, AccountId accountId, NewDevice command) {
    return write(actor, accountId, Action.ASSOCIATE_DEVICE, null, command == null ? null : command.serial(), t -> {
      t.requireRole(Role.ADMIN, Role.MANAGER);
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
      t.requireRole(Role.ADMIN, Role.MANAGER);
      commands.start()
          .check(serial != null && serial.matches(Constraints.SERIAL), "serial", Constraints.SERIAL_MESSAGE)
          .check(name != null && !name.isBlank() && name.length() <= 200, "name", "must be 1-200 characters, not blank")
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
      t.requireRole(Role.ADMIN);
      t.validSerial("serial", serial);
      t.device(serial);
      t.tx.keyForDevice(serial).ifPresent(key -> t.deleteKey(key, "deleted with its device"));
      t.tx.deleteDevice(serial);
      t.audit(null, serial, "dissociated");
      return null;
    });
  }

  @Override
  public List<Device> devices(Actor actor, AccountId accountId) {
    return read(actor, accountId, Action.LIST_DEVICES, t -> {
      t.requireRole(Role.ADMIN, Role.MANAGER, Role.VIEWER);
      return t.tx.devices();
    });
  }

  // ------------------------------------------------------------------ keys

  @Override
  public List<ApiKey> keys(Actor admin, AccountId accountId) {
    return read(admin, accountId, Action.LIST_KEYS, t -> {
      t.requireRole(Role.ADMIN);
      return t.table(k -> true);
    });
  }

  @Override
  public List<ApiKey> keysUnusedSince(Actor admin, AccountId accountId, Instant since) {
    return read(admin, accountId, Action.LIST_KEYS, t -> {
      t.requireRole(Role.ADMIN);
      commands.start().notNull("since", since).throwIfAny();
      return t.table(k -> k.lastUsedAt() == null || k.lastUsedAt().isBefore(since));
    });
  }

  @Override
  public List<IssuedKey> createKeys(Actor admin, AccountId accountId, NewKeys command) {
    return write(admin, accountId, Action.CREATE_KEYS, null, null, t -> {
      t.requireRole(Role.ADMIN);
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
      Map<String, Device> devices = new HashMap<>();
      List<String> missing = new ArrayList<>();
      List<String> keyed = new ArrayList<>();
      for (String serial : serials) {
        t.tx.device(serial).ifPresentOrElse(d -> devices.put(serial, d), () -> missing.add(serial));
      }
      if (!missing.isEmpty()) {
        throw new NotFoundException("device", missing);
      }
      for (String serial : serials) {
        if (t.tx.keyForDevice(serial).isPresent()) {
          keyed.add(serial);
        }
      }
      if (!keyed.isEmpty()) {
        throw new DeviceAlreadyHasKeyException(keyed);
      }
      LicenseUsage usage = t.usage();
      if (serials.size() > usage.available()) {
        throw new LicenseLimitException(serials.size(), usage.available(), serials);
      }
      List<IssuedKey> issued = new ArrayList<>(serials.size());
      for (String serial : serials) {
        KeyId id = new KeyId(format.generateId("key_"));
        String secret = format.generate();
        StoredKey key = new StoredKey(id, accountId, serial, hasher.hash(secret), format.hint(secret),
            command.label(), t.now, null, command.expiresAt(), false, null, null, seal(id, secret));
        if (!t.tx.insertKey(key)) {
          throw new IllegalStateException("store refused a fresh key for device " + serial);
        }
        t.change(ChangeEvent.Type.CREATED, key);
        t.audit(id, serial, "created");
        issued.add(new IssuedKey(t.view(key, devices.get(serial)), Secret.of(secret)));
      }
      return issued;
    });
  }

  @Override
  public Secret revealSecret(Actor admin, AccountId accountId, KeyId keyId) {
    return write(admin, accountId, Action.REVEAL_KEY, keyId, null, t -> {
      t.requireRole(Role.ADMIN);
      StoredKey key = t.key(keyId);
      byte[] sealed = key.sealedSecret();
      if (vault == null || sealed == null) {
        throw new SecretNotRetainedException("the secret of " + keyId + " was shown once, when it was "
            + (key.regeneratedAt() == null ? "created" : "regenerated") + ", and is not retained"
            + (vault == null ? " (no secret vault is configured)" : "")
            + "; regenerate the key to get a new secret");
      }
      Secret secret = Secret.of(vault.open(keyId, sealed));
      t.audit(keyId, key.deviceSerial(), "secret revealed");
      return secret;
    });
  }

  @Override
  public IssuedKey regenerateKey(Actor admin, AccountId accountId, KeyId keyId, Duration overlap) {
    return write(admin, accountId, Action.REGENERATE_KEY, keyId, null, t -> {
      t.requireRole(Role.ADMIN);
      commands.start()
          .notNull("overlap", overlap)
          .check(overlap == null || (!overlap.isNegative() && overlap.compareTo(maxOverlap) <= 0),
              "overlap", "must be between PT0S and " + maxOverlap)
          .notNull("keyId", keyId)
          .throwIfAny();
      StoredKey old = t.key(keyId);
      String secret = format.generate();
      StoredKey key = old.regenerated(hasher.hash(secret), format.hint(secret), seal(keyId, secret), t.now,
          t.now.plus(overlap));
      t.updateKey(key);
      List<KeyHash> affected = new ArrayList<>(List.of(old.hash(), key.hash()));
      if (old.previousHash() != null) {
        affected.add(old.previousHash());
      }
      t.change(ChangeEvent.Type.REGENERATED, key, affected);
      t.audit(keyId, key.deviceSerial(),
          overlap.isZero() ? "regenerated; old secret revoked" : "regenerated; old secret valid for " + overlap);
      return new IssuedKey(t.view(key, t.device(key.deviceSerial())), Secret.of(secret));
    });
  }

  @Override
  public ApiKey editKey(Actor admin, AccountId accountId, KeyId keyId, KeyEdit edit) {
    return write(admin, accountId, Action.EDIT_KEY, keyId, null, t -> {
      t.requireRole(Role.ADMIN);
      commands.start().bean("edit", edit)
          .check(edit == null || !edit.isEmpty(), "edit", "must change at least one thing")
          .check(edit == null || !(edit.clearExpiry() && edit.expiresAt() != null), "edit",
              "cannot both set and clear the expiry")
          .notNull("keyId", keyId)
          .throwIfAny();
      StoredKey key = t.key(keyId);
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
          LicenseUsage usage = t.usage();
          if (usage.overLimit()) {
            throw new LicenseLimitException(1, 0, List.of(key.deviceSerial()));
          }
        }
        key = key.withSuspended(edit.suspended());
        type = edit.suspended() ? ChangeEvent.Type.SUSPENDED : ChangeEvent.Type.RESUMED;
        changes.add(edit.suspended() ? "suspended" : "resumed");
      }
      if (edit.rebindTo() != null && !edit.rebindTo().equals(key.deviceSerial())) {
        t.device(edit.rebindTo());
        if (t.tx.keyForDevice(edit.rebindTo()).isPresent()) {
          throw new DeviceAlreadyHasKeyException(List.of(edit.rebindTo()));
        }
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
      t.requireRole(Role.ADMIN);
      t.deleteKey(t.key(keyId), "deleted; license freed");
      return null;
    });
  }

  @Override
  public List<AuditEntry> auditLog(Actor admin, AccountId accountId, long beforeSequence, int limit) {
    return read(admin, accountId, Action.READ_AUDIT, t -> {
      t.requireRole(Role.ADMIN);
      commands.start()
          .check(limit >= 1 && limit <= MAX_AUDIT_PAGE, "limit", "must be between 1 and " + MAX_AUDIT_PAGE)
          .check(beforeSequence > 0, "beforeSequence", "must be positive")
          .throwIfAny();
      return t.tx.audit(beforeSequence, limit);
    });
  }

  // ------------------------------------------------------------------ plumbing

  private byte @Nullable [] seal(KeyId id, String secret) {
    return vault == null ? null : vault.seal(id, secret);
  }

  private <T> T write(Actor actor, AccountId accountId, Action action, @Nullable KeyId keyId,
      @Nullable String serial, Function<Context, T> body) {
    requireCaller(actor, accountId);
    List<ChangeEvent> committed = new ArrayList<>();
    try {
      T result = store.inAccount(accountId, tx -> {
        Context t = new Context(tx, actor, accountId, action);
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
      refused(actor, accountId, action, keyId, serial, e);
      throw e;
    }
  }

  private <T> T read(Actor actor, AccountId accountId, Action action, Function<Context, T> body) {
    requireCaller(actor, accountId);
    try {
      return store.readAccount(accountId, tx -> body.apply(new Context(tx, actor, accountId, action)));
    } catch (KeyseatException e) {
      refused(actor, accountId, action, null, null, e);
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

  /** Records a refusal in its own transaction; the refused work was rolled back. */
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

  private static String describe(Action action) {
    return switch (action) {
      case CREATE_ACCOUNT -> "create accounts";
      case CONTRACT_LICENSES -> "contract licenses";
      case CANCEL_LICENSES -> "cancel licenses";
      case READ_LICENSES -> "read license usage";
      case LIST_MEMBERS -> "list members";
      case ADD_MEMBER, CHANGE_ROLE, REMOVE_MEMBER -> "manage members";
      case LIST_DEVICES -> "list devices";
      case ASSOCIATE_DEVICE, RENAME_DEVICE -> "associate or rename devices";
      case DISSOCIATE_DEVICE -> "dissociate devices";
      case LIST_KEYS, CREATE_KEYS, REVEAL_KEY, REGENERATE_KEY, EDIT_KEY, SUSPEND_KEY, DELETE_KEY -> "manage keys";
      case READ_AUDIT -> "read the audit log";
    };
  }

  /** One transaction of one call: the actor, the time, and the changes to publish after commit. */
  private final class Context {
    final AccountTransaction tx;
    final Actor actor;
    final AccountId accountId;
    final Action action;
    final Instant now = clock.instant();
    final List<ChangeEvent> changes = new ArrayList<>();

    Context(AccountTransaction tx, Actor actor, AccountId accountId, Action action) {
      this.tx = tx;
      this.actor = actor;
      this.accountId = accountId;
      this.action = action;
    }

    Account account() {
      return tx.account().orElseThrow(() -> NotFoundException.of("account", accountId));
    }

    void requireOperator() {
      if (!actor.isOperator()) {
        throw new AccessDeniedException(actor + " may not " + describe(action) + ": only the operator may");
      }
    }

    Role requireRole(Role... allowed) {
      account();
      if (actor.isOperator()) {
        throw new AccessDeniedException("the operator may not " + describe(action) + " in account " + accountId
            + ": only " + roles(allowed) + " members may");
      }
      Role role = tx.member(actor.userId()).map(Member::role).orElseThrow(() ->
          new AccessDeniedException(actor + " is not a member of account " + accountId));
      if (Arrays.asList(allowed).contains(role)) {
        return role;
      }
      String extra = describe(action).equals("manage keys") ? "; key management is not available to " + role : "";
      throw new AccessDeniedException(actor + " (" + role + ") may not " + describe(action) + " in account "
          + accountId + ": only " + roles(allowed) + " may" + extra);
    }

    private static String roles(Role... roles) {
      return Arrays.stream(roles).map(Role::name).collect(Collectors.joining(" or "));
    }

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

    LicenseUsage usage() {
      return LicenseUsage.of(tx.keyCount(), account().contractedLicenses());
    }

    void updateKey(StoredKey key) {
      if (!tx.updateKey(key)) {
        throw new IllegalStateException("store refused an update of key " + key.id());
      }
    }

    void deleteKey(StoredKey key, String detail) {
      tx.deleteKey(key.id());
      List<KeyHash> hashes = new ArrayList<>(List.of(key.hash()));
      if (key.previousHash() != null) {
        hashes.add(key.previousHash());
      }
      change(ChangeEvent.Type.DELETED, key, hashes);
      audit(Action.DELETE_KEY, key.id(), key.deviceSerial(), detail);
    }

    void change(ChangeEvent.Type type, StoredKey key) {
      List<KeyHash> hashes = key.previousHash() == null ? List.of(key.hash()) : List.of(key.hash(), key.previousHash());
      change(type, key, hashes);
    }

    void change(ChangeEvent.Type type, StoredKey key, List<KeyHash> hashes) {
      ChangeEvent event = new ChangeEvent(0, type, accountId, key.id(), hashes, now);
      tx.appendChange(event);
      changes.add(event);
    }

    void audit(@Nullable KeyId keyId, @Nullable String serial, String detail) {
      audit(action, keyId, serial, detail);
    }

    void audit(Action what, @Nullable KeyId keyId, @Nullable String serial, String detail) {
      tx.appendAudit(new AuditEntry(0, accountId, now, actor.toString(), what, keyId, serial, Outcome.SUCCESS, detail));
      log.debug("{} by {} in account {}: key={} device={} {}", what, actor, accountId, keyId, serial, detail);
    }

    List<ApiKey> table(java.util.function.Predicate<ApiKey> filter) {
      Map<String, Device> devices = new HashMap<>();
      for (Device d : tx.devices()) {
        devices.put(d.serial(), d);
      }
      List<ApiKey> rows = new ArrayList<>();
      for (StoredKey k : tx.keys()) {
        ApiKey row = view(k, devices.get(k.deviceSerial()));
        if (filter.test(row)) {
          rows.add(row);
        }
      }
      rows.sort(Comparator.comparing(ApiKey::createdAt).thenComparing(r -> r.id().value()));
      return rows;
    }

    ApiKey view(StoredKey k, @Nullable Device device) {
      var usage = tx.usage(k.id());
      KeyStatus status = k.suspended() ? KeyStatus.SUSPENDED
          : k.expiresAt() != null && !now.isBefore(k.expiresAt()) ? KeyStatus.EXPIRED
          : KeyStatus.ACTIVE;
      return new ApiKey(k.id(), k.accountId(), k.deviceSerial(), device == null ? k.deviceSerial() : device.name(),
          k.label(), k.hint(), k.createdAt(), k.regeneratedAt(), k.expiresAt(), usage.lastUsedAt(),
          usage.useCount(), status);
    }
  }

  @Override
  public String toString() {
    return "KeyManager[store=" + store + "]";
  }
}
