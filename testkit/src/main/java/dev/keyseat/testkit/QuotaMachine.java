package dev.keyseat.testkit;

import static dev.keyseat.testkit.QuotaModel.ACME;
import static dev.keyseat.testkit.QuotaModel.OTHER;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.AuditEntry;
import dev.keyseat.AuditEntry.Action;
import dev.keyseat.AuditEntry.Outcome;
import dev.keyseat.Device;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyStatus;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.KeyseatException;
import dev.keyseat.License;
import dev.keyseat.LicenseId;
import dev.keyseat.LicensePolicy;
import dev.keyseat.LicenseUsage;
import dev.keyseat.Member;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NewLicense;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.Secret;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.SecretNotRetainedException;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.testkit.QuotaCommand.AddMember;
import dev.keyseat.testkit.QuotaCommand.AdvanceClock;
import dev.keyseat.testkit.QuotaCommand.ApplyLicenseEnds;
import dev.keyseat.testkit.QuotaCommand.AssociateDevice;
import dev.keyseat.testkit.QuotaCommand.CancelLicenses;
import dev.keyseat.testkit.QuotaCommand.ChangeLicenseTerm;
import dev.keyseat.testkit.QuotaCommand.ChangeRole;
import dev.keyseat.testkit.QuotaCommand.ContractLicenses;
import dev.keyseat.testkit.QuotaCommand.CreateKeys;
import dev.keyseat.testkit.QuotaCommand.DeleteKey;
import dev.keyseat.testkit.QuotaCommand.DissociateDevice;
import dev.keyseat.testkit.QuotaCommand.Edit;
import dev.keyseat.testkit.QuotaCommand.EditKey;
import dev.keyseat.testkit.QuotaCommand.EndLicense;
import dev.keyseat.testkit.QuotaCommand.GrantLicenses;
import dev.keyseat.testkit.QuotaCommand.KeyRef;
import dev.keyseat.testkit.QuotaCommand.Presentation;
import dev.keyseat.testkit.QuotaCommand.Read;
import dev.keyseat.testkit.QuotaCommand.RegenerateKey;
import dev.keyseat.testkit.QuotaCommand.RemoveMember;
import dev.keyseat.testkit.QuotaCommand.RenameDevice;
import dev.keyseat.testkit.QuotaCommand.RevealSecret;
import dev.keyseat.testkit.QuotaCommand.SecretRef;
import dev.keyseat.testkit.QuotaCommand.SetLicensePolicy;
import dev.keyseat.testkit.QuotaCommand.Validate;
import dev.keyseat.testkit.QuotaCommand.View;
import dev.keyseat.testkit.QuotaCommand.Who;
import dev.keyseat.testkit.QuotaModel.Expect;
import dev.keyseat.testkit.QuotaModel.KeyM;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs one {@link QuotaScenario} against a real {@link KeyManager} over a fresh store and against
 * the {@link QuotaModel}, checking after every step that both agree and that the named invariants
 * R1–R13 hold. The first disagreement throws an {@link InvariantViolation} naming the invariant
 * and carrying the execution trace.
 */
final class QuotaMachine {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final KeyId NEVER_ISSUED = KeyId.of("key_NeverIssued000000");
  private static final String OTHER_SERIAL = "X0";
  private static final LicenseId NEVER_ISSUED_GRANT = LicenseId.of("lic_NeverIssued000000");

  private final KeyStore store;
  /** The store under test, wrapped to fail a chosen write of a transaction ({@link QuotaCommand.FailingWrite}). */
  private final FaultInjectingKeyStore faults;
  private static final String FAULT_RULE = "R4/R12 a call failing inside its transaction leaves nothing";
  private boolean faultInjected;
  /** Whether the step's write applied passed license ends first (which its own "changes nothing" rule excludes). */
  private boolean endsApplied;
  private final MutableClock clock = new MutableClock(START);
  private final KeyManager manager;
  private final KeyValidator validator;
  private final QuotaScenario scenario;
  private final QuotaModel model;
  /** What happened so far: the setup line, then one entry per step. */
  private final List<Object> trace = new ArrayList<>();
  /** Every secret issued, acme and other: none may appear in audit entries or toString (R13). */
  private final Set<String> secretBodies = new HashSet<>();

  private long auditSequence;
  private long changeSequence;
  /** The keys of acme as the store holds them, read with each snapshot. */
  private List<StoredKey> storedKeys = List.of();
  /** Whether the Keyseat under test retains secrets (a secret vault is configured). */
  private boolean vault;
  private int step;
  private @Nullable QuotaCommand command;
  private String outcome = "";
  private Snapshot before;
  /** Real observation for R1: the account went over its limit through a non-REJECT cancellation. */
  private boolean overLimitByCancel;
  private int createdWhileOverLimit;

  // per step
  private final List<ExpectedEntry> expectedAudit = new ArrayList<>();
  /** Key changes the step must publish on the change feed: key id and the allowed types. */
  private final List<ExpectedChange> expectedChanges = new ArrayList<>();
  private boolean auditOptional;
  private @Nullable String refusedRule;
  private @Nullable String unchangedRule;
  private final List<Consumer<Snapshot>> postChecks = new ArrayList<>();

  /** License events (no key) the step must publish on the change feed. */
  private final List<ChangeEvent.Type> expectedLicenseEvents = new ArrayList<>();

  /** The state of acme as the public API shows it. */
  record Snapshot(List<Member> members, List<Device> devices, List<ApiKey> keys, LicenseUsage usage,
      List<License> grants) {}

  /**
   * An audit entry a step must append: a null action matches any, a null serial any device (a
   * refusal names the device only for device commands), a null key id none.
   */
  private record ExpectedEntry(@Nullable Action action, Outcome outcome, @Nullable KeyId keyId, @Nullable String serial,
      @Nullable String actor) {
    /** An entry by the command's caller. */
    ExpectedEntry(@Nullable Action action, Outcome outcome, @Nullable KeyId keyId, @Nullable String serial) {
      this(action, outcome, keyId, serial, null);
    }

    boolean matches(AuditEntry e, @Nullable String caller) {
      return (action == null || action == e.action()) && outcome == e.outcome() && Objects.equals(keyId, e.keyId())
          && (serial == null || serial.equals(e.deviceSerial())) && Objects.equals(actor == null ? caller : actor, e.actor());
    }

    @Override
    public String toString() {
      return (action == null ? "any action" : action) + " " + outcome + (keyId == null ? "" : " " + keyId)
          + (serial == null ? "" : " " + serial) + (actor == null ? "" : " by " + actor);
    }
  }

  /** Who the audit log names for what the platform does by itself (an expiry applied). */
  static final String PLATFORM = "platform:keyseat";

  /** A change-feed event a step must publish. */
  private record ExpectedChange(KeyId keyId, Set<ChangeEvent.Type> types) {
    ExpectedChange(KeyId keyId, ChangeEvent.Type type) {
      this(keyId, Set.of(type));
    }

    @Override
    public String toString() {
      return keyId + " " + types;
    }
  }

  /** What a real call did. */
  private record Result<T>(@Nullable T value, @Nullable KeyseatException error) {
    boolean ok() {
      return error == null;
    }
  }

  QuotaMachine(KeyStore store, UnaryOperator<Keyseat.Builder> configure, QuotaScenario scenario) {
    this.faults = new FaultInjectingKeyStore(Objects.requireNonNull(store, "createStore() returned null"));
    this.store = faults;
    this.scenario = scenario;
    SecureRandom random;
    try {
      // Reproducible ids and secrets, so that a failing sequence fails again while shrinking.
      random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(20260101L);
    } catch (NoSuchAlgorithmException e) {
      random = new SecureRandom();
    }
    Keyseat keyseat = configure.apply(Keyseat.builder(faults).secureRandom(random))
        .clock(clock)
        .maxRegenerationOverlap(QuotaModel.MAX_OVERLAP)
        .build();
    this.manager = keyseat.manager();
    this.validator = keyseat.storeValidator();
    this.model = new QuotaModel(START, scenario.initialLicenses());
  }

  /** One step of the trace, formatted only when a report needs it. */
  private record Step(int number, QuotaCommand command, String outcome) {
    @Override
    public String toString() {
      return String.format("%4d. %s%n        -> %s", number, command, outcome);
    }
  }

  /** Runs the scenario; throws {@link InvariantViolation} at the first broken invariant. */
  void run() {
    setUp();
    before = snapshot();
    checkGrants(before);
    checkState(before);
    List<QuotaCommand> commands = scenario.commands();
    for (int i = 0; i < commands.size(); i++) {
      step = i + 1;
      command = commands.get(i);
      outcome = "";
      expectedAudit.clear();
      expectedChanges.clear();
      expectedLicenseEvents.clear();
      auditOptional = false;
      refusedRule = null;
      unchangedRule = null;
      faultInjected = false;
      endsApplied = false;
      faults.reset();
      postChecks.clear();
      try {
        dispatch(command);
      } catch (InvariantViolation e) {
        throw e;
      } catch (RuntimeException e) {
        fail("unexpected exception", "the call threw " + e, e);
      }
      Snapshot after = snapshot();
      checkGrants(after);
      for (Consumer<Snapshot> check : postChecks) {
        check.accept(after);
      }
      String rule = refusedRule != null ? refusedRule : endsApplied ? null : unchangedRule;
      if (rule != null && !after.equals(before)) {
        fail(rule, (faultInjected ? "the call that failed inside its transaction"
            : refusedRule != null ? "the refused call" : "the call") + " changed the account: "
            + diff(before, after));
      }
      checkAudit();
      checkChanges();
      checkState(after);
      sentinel();
      trace.add(new Step(step, command, outcome));
      before = after;
    }
  }

  // ------------------------------------------------------------------ setup

  private void setUp() {
    try {
      manager.createAccount(Who.OPS.actor(), ACME, new NewAccount("Acme Air", UserId.of("alice"), scenario.initialLicenses()));
      manager.addMember(Who.ALICE.actor(), ACME, UserId.of("mona"), Role.MANAGER);
      manager.addMember(Who.ALICE.actor(), ACME, UserId.of("vic"), Role.VIEWER);
      for (int i = 0; i < QuotaModel.INITIAL_DEVICES; i++) {
        manager.associateDevice(Who.ALICE.actor(), ACME, new NewDevice("D" + i, QuotaModel.deviceName("D" + i), "Indoor"));
      }
      manager.createAccount(Who.OPS.actor(), OTHER, new NewAccount("Other Org", UserId.of("olga"), 1));
      manager.associateDevice(Who.OLGA.actor(), OTHER, new NewDevice(OTHER_SERIAL, "Other monitor", "Indoor"));
      IssuedKey foreign = manager.createKeys(Who.OLGA.actor(), OTHER, NewKeys.forDevices(OTHER_SERIAL)).get(0);
      model.foreign = new KeyM("other's key", foreign.key().id(), OTHER, OTHER_SERIAL, "", START, null,
          foreign.secret().reveal());
      register(foreign.secret().reveal());
      try {
        vault = manager.revealSecret(Who.OLGA.actor(), OTHER, foreign.key().id()).equals(foreign.secret());
        check(vault, "R13 secrets", "copying the key of other revealed another secret");
      } catch (SecretNotRetainedException e) {
        vault = false;
      }
      auditSequence = auditAfter(0).stream().mapToLong(AuditEntry::sequence).max().orElse(0);
      changeSequence = store.latestChangeSequence();
    } catch (KeyseatException e) {
      fail("setup", "setting up accounts acme and other failed: " + e, e);
    }
    trace.add("   0. setup: acme with " + scenario.initialLicenses() + " licenses, alice ADMIN, mona MANAGER,"
        + " vic VIEWER, devices D0-D5; other with olga ADMIN and a key on X0 (" + model.foreign.id + ")");
  }

  // ------------------------------------------------------------------ commands

  private void dispatch(QuotaCommand c) {
    if (c instanceof QuotaCommand.FailingWrite x) {
      faults.arm(x.atWrite());
      try {
        dispatch(x.command());
      } finally {
        faults.disarm();
      }
      if (faults.injected() == null) {
        outcome = "(made fewer than " + x.atWrite() + " writes) " + outcome;
      }
    } else if (c instanceof CreateKeys x) {
      createKeys(x);
    } else if (c instanceof DeleteKey x) {
      deleteKey(x);
    } else if (c instanceof RegenerateKey x) {
      regenerateKey(x);
    } else if (c instanceof RevealSecret x) {
      reveal(x);
    } else if (c instanceof EditKey x) {
      editKey(x);
    } else if (c instanceof DissociateDevice x) {
      dissociate(x);
    } else if (c instanceof AssociateDevice x) {
      associate(x);
    } else if (c instanceof RenameDevice x) {
      rename(x);
    } else if (c instanceof ContractLicenses x) {
      contract(x);
    } else if (c instanceof CancelLicenses x) {
      cancel(x);
    } else if (c instanceof AddMember x) {
      addMember(x);
    } else if (c instanceof ChangeRole x) {
      changeRole(x);
    } else if (c instanceof RemoveMember x) {
      removeMember(x);
    } else if (c instanceof Read x) {
      read(x);
    } else if (c instanceof Validate x) {
      validate(x);
    } else if (c instanceof GrantLicenses x) {
      grant(x);
    } else if (c instanceof ChangeLicenseTerm x) {
      changeTerm(x);
    } else if (c instanceof EndLicense x) {
      endLicense(x);
    } else if (c instanceof ApplyLicenseEnds x) {
      applyEnds(x);
    } else if (c instanceof SetLicensePolicy x) {
      setPolicy(x);
    } else if (c instanceof AdvanceClock x) {
      clock.advance(x.step());
      model.now = model.now.plus(x.step());
      allowOverLimit(); // R1: grants ending as time passes may leave more keys than licenses
      outcome = "now " + model.now + ", " + model.usage();
    } else {
      throw new IllegalArgumentException("unknown command " + c);
    }
  }

  private void createKeys(CreateKeys c) {
    Expect e = model.expectCreate(c);
    Instant expiresAt = c.expiresIn() == null ? null : model.now.plus(c.expiresIn());
    NewKeys cmd = new NewKeys(c.serials(), c.label(), expiresAt);
    Result<List<IssuedKey>> r = call(() -> manager.createKeys(c.by(), ACME, cmd));
    if (!agree(e, r, Action.CREATE_KEYS, null)) {
      return;
    }
    List<IssuedKey> issued = Objects.requireNonNull(r.value());
    check(issued.size() == c.serials().size(), "R4 batch create",
        "created " + issued.size() + " keys for " + c.serials().size() + " devices");
    boolean wasOver = overLimitByCancel;
    model.reassign(issued.size()); // R9 seat reuse: before the keys take their licenses
    List<String> names = new ArrayList<>();
    for (int i = 0; i < issued.size(); i++) {
      IssuedKey k = issued.get(i);
      String secret = k.secret().reveal();
      register(secret);
      check(k.key().deviceSerial().equals(c.serials().get(i)), "R4 batch create",
          "key " + i + " is for " + k.key().deviceSerial() + " instead of " + c.serials().get(i));
      KeyM m = model.addKey(k.key().id(), c.serials().get(i), c.label(), expiresAt, secret);
      checkRow(k.key(), m, "R4 batch create");
      noSecret("the returned IssuedKey", k.toString());
      expectedAudit.add(new ExpectedEntry(Action.CREATE_KEYS, Outcome.SUCCESS, k.key().id(), m.device));
      expectedChanges.add(new ExpectedChange(m.id, ChangeEvent.Type.CREATED));
      names.add(m.name + "=" + m.id + " on " + m.device);
    }
    if (wasOver) {
      createdWhileOverLimit += issued.size();
    }
    outcome = "created " + names;
  }

  private void deleteKey(DeleteKey c) {
    Resolved k = resolve(c.key());
    Expect e = model.expectKeyAction(c.caller(), k.id(), "R5 delete frees");
    Result<Void> r = call(() -> {
      manager.deleteKey(c.by(), ACME, k.id());
      return null;
    });
    if (!agree(e, r, Action.DELETE_KEY, k.id())) {
      outcome += " [" + k + "]";
      return;
    }
    KeyM m = Objects.requireNonNull(model.liveKey(k.id()));
    model.delete(m);
    expectedAudit.add(new ExpectedEntry(Action.DELETE_KEY, Outcome.SUCCESS, m.id, m.device));
    expectedChanges.add(new ExpectedChange(m.id, ChangeEvent.Type.DELETED));
    deadSecrets(m, "R5 delete frees");
    int usedBefore = before.usage().used();
    postChecks.add(after -> {
      check(after.usage().used() == usedBefore - 1, "R5 delete frees",
          "used went from " + usedBefore + " to " + after.usage().used() + " instead of freeing one license");
      check(after.keys().stream().noneMatch(row -> row.id().equals(m.id)), "R5 delete frees",
          m.id + " is still in the keys table");
    });
    outcome = "deleted " + m;
  }

  private void regenerateKey(RegenerateKey c) {
    Resolved k = resolve(c.key());
    Expect e = model.expectRegenerate(c.caller(), k.id(), c.overlap());
    Result<IssuedKey> r = call(() -> manager.regenerateKey(c.by(), ACME, k.id(), c.overlap()));
    if (!agree(e, r, Action.REGENERATE_KEY, k.id())) {
      outcome += " [" + k + "]";
      return;
    }
    IssuedKey issued = Objects.requireNonNull(r.value());
    KeyM m = Objects.requireNonNull(model.liveKey(k.id()));
    String old = m.secret;
    String older = m.previous;
    String secret = issued.secret().reveal();
    register(secret);
    check(issued.key().id().equals(m.id) && issued.key().deviceSerial().equals(m.device), "R6 regenerate",
        "regenerating " + m + " returned " + issued.key().id() + " on " + issued.key().deviceSerial());
    check(!secret.equals(old), "R6 regenerate", "the new secret equals the old one");
    model.regenerate(m, secret, c.overlap());
    checkRow(issued.key(), m, "R6 regenerate");
    noSecret("the returned IssuedKey", issued.toString());
    expectedAudit.add(new ExpectedEntry(Action.REGENERATE_KEY, Outcome.SUCCESS, m.id, m.device));
    expectedChanges.add(new ExpectedChange(m.id, ChangeEvent.Type.REGENERATED));
    Verdict oldVerdict = checkVerdict(old, null, "R6 regenerate");
    if (c.overlap().isZero()) {
      check(oldVerdict.status() == Status.REVOKED, "R6 regenerate",
          "the old secret is " + oldVerdict.status() + " right after a regeneration without overlap");
    }
    if (older != null) {
      checkVerdict(older, null, "R6 regenerate");
    }
    checkVerdict(secret, null, "R6 regenerate");
    unchangedLicenses("R6 regenerate");
    outcome = "regenerated " + m + "; old secret " + oldVerdict.status();
  }

  private void reveal(RevealSecret c) {
    Resolved k = resolve(c.key());
    Expect e = model.expectReveal(c.caller(), k.id(), vault);
    Result<Secret> r = call(() -> manager.revealSecret(c.by(), ACME, k.id()));
    if (!agree(e, r, Action.REVEAL_KEY, k.id())) {
      outcome += " [" + k + "]";
      return;
    }
    KeyM m = Objects.requireNonNull(model.liveKey(k.id()));
    check(Secret.of(m.secret).equals(r.value()), "R13 secrets", "copying " + m + " revealed another secret");
    expectedAudit.add(new ExpectedEntry(Action.REVEAL_KEY, Outcome.SUCCESS, m.id, m.device));
    unchangedRule = "R13 copying a secret changes nothing";
    outcome = "revealed the secret of " + m;
  }

  private void editKey(EditKey c) {
    Resolved k = resolve(c.key());
    Edit ed = c.edit();
    Expect e = model.expectEdit(c.caller(), k.id(), ed);
    KeyEdit edit = new KeyEdit(ed.label(), ed.expiresIn() == null ? null : model.now.plus(ed.expiresIn()),
        ed.clearExpiry(), ed.suspended(), ed.rebindTo());
    Result<ApiKey> r = call(() -> manager.editKey(c.by(), ACME, k.id(), edit));
    if (!agree(e, r, Action.EDIT_KEY, k.id())) {
      outcome += " [" + k + "]";
      return;
    }
    KeyM m = Objects.requireNonNull(model.liveKey(k.id()));
    model.edit(m, ed);
    checkRow(Objects.requireNonNull(r.value()), m, "R7 edit");
    expectedAudit.add(new ExpectedEntry(Action.EDIT_KEY, Outcome.SUCCESS, m.id, m.device));
    expectedChanges.add(new ExpectedChange(m.id,
        Set.of(ChangeEvent.Type.EDITED, ChangeEvent.Type.SUSPENDED, ChangeEvent.Type.RESUMED)));
    unchangedLicenses("R7 edit");
    outcome = "edited " + m + ", now " + m.status(model.now);
  }

  private void dissociate(DissociateDevice c) {
    Expect e = model.expectDissociate(c.caller(), c.serial());
    Result<Void> r = call(() -> {
      manager.dissociateDevice(c.by(), ACME, c.serial());
      return null;
    });
    if (!agree(e, r, Action.DISSOCIATE_DEVICE, null)) {
      return;
    }
    KeyM m = model.keyOn(c.serial());
    model.devices.remove(c.serial());
    int usedBefore = before.usage().used();
    if (m != null) {
      model.delete(m);
      expectedAudit.add(new ExpectedEntry(Action.DELETE_KEY, Outcome.SUCCESS, m.id, c.serial()));
      expectedChanges.add(new ExpectedChange(m.id, ChangeEvent.Type.DELETED));
      deadSecrets(m, "R10 device leaves");
    }
    expectedAudit.add(new ExpectedEntry(Action.DISSOCIATE_DEVICE, Outcome.SUCCESS, null, c.serial()));
    postChecks.add(after -> {
      check(after.devices().stream().noneMatch(d -> d.serial().equals(c.serial())), "R10 device leaves",
          c.serial() + " is still a device of acme");
      check(after.keys().stream().noneMatch(row -> row.deviceSerial().equals(c.serial())), "R10 device leaves",
          c.serial() + " still has a key");
      int freed = m == null ? 0 : 1;
      check(after.usage().used() == usedBefore - freed, "R10 device leaves",
          "used went from " + usedBefore + " to " + after.usage().used() + ", expected " + (usedBefore - freed));
    });
    outcome = "dissociated" + (m == null ? "" : ", deleting " + m);
  }

  private void associate(AssociateDevice c) {
    Expect e = model.expectAssociate(c.caller(), c.serial());
    String name = QuotaModel.deviceName(c.serial());
    Result<Device> r = call(() -> manager.associateDevice(c.by(), ACME, new NewDevice(c.serial(), name, "Indoor")));
    if (!agree(e, r, Action.ASSOCIATE_DEVICE, null)) {
      return;
    }
    Device d = Objects.requireNonNull(r.value());
    check(d.serial().equals(c.serial()) && d.accountId().equals(ACME) && d.name().equals(name)
        && d.associatedAt().equals(model.now), "R2 device in account", "returned " + d);
    model.devices.put(c.serial(), name);
    expectedAudit.add(new ExpectedEntry(Action.ASSOCIATE_DEVICE, Outcome.SUCCESS, null, c.serial()));
    unchangedLicenses("R2 device in account");
    outcome = "associated";
  }

  private void rename(RenameDevice c) {
    Expect e = model.expectRename(c.caller(), c.serial(), c.name());
    Result<Device> r = call(() -> manager.renameDevice(c.by(), ACME, c.serial(), c.name()));
    if (!agree(e, r, Action.RENAME_DEVICE, null)) {
      return;
    }
    Device d = Objects.requireNonNull(r.value());
    check(d.serial().equals(c.serial()) && d.name().equals(c.name()), "R2 device in account", "returned " + d);
    model.devices.put(c.serial(), c.name());
    expectedAudit.add(new ExpectedEntry(Action.RENAME_DEVICE, Outcome.SUCCESS, null, c.serial()));
    unchangedLicenses("R2 device in account");
    outcome = "renamed";
  }

  private void contract(ContractLicenses c) {
    Expect e = model.expectContract(c.caller(), c.quantity());
    Result<LicenseUsage> r = call(() -> manager.contractLicenses(c.by(), ACME, c.quantity()));
    if (!agree(e, r, Action.CONTRACT_LICENSES, null)) {
      return;
    }
    model.grants.add(new QuotaModel.GrantM(null, c.quantity(), model.now, null, "", model.now)); // open-ended
    check(model.usage().equals(r.value()), "R3 conservation", "returned " + r.value() + ", model " + model.usage());
    expectedAudit.add(new ExpectedEntry(Action.CONTRACT_LICENSES, Outcome.SUCCESS, null, null));
    expectedLicenseEvents.add(ChangeEvent.Type.LICENSES_CONTRACTED);
    outcome = "now " + r.value();
  }

  private void cancel(CancelLicenses c) {
    Expect e = model.expectCancel(c);
    OverLimitStrategy strategy = c.strategy();
    Result<LicenseUsage> r = call(() -> strategy == null
        ? manager.cancelLicenses(c.by(), ACME, c.quantity())
        : manager.cancelLicenses(c.by(), ACME, c.quantity(), strategy));
    if (!agree(e, r, Action.CANCEL_LICENSES, null)) {
      return;
    }
    model.cancel(c.quantity());
    expectedLicenseEvents.add(ChangeEvent.Type.LICENSES_CANCELLED);
    check(model.usage().equals(r.value()), "R3 conservation", "returned " + r.value() + ", model " + model.usage());
    int excess = model.used() - model.licenses();
    Set<KeyId> keysBefore = ids(before.keys());
    Set<KeyId> suspendedBefore = model.live().stream().filter(k -> k.suspended).map(k -> k.id).collect(Collectors.toSet());
    postChecks.add(after -> {
      check(ids(after.keys()).equals(keysBefore), "R9 keys never deleted by cancellation",
          "keys before " + keysBefore + ", after " + ids(after.keys()));
      allowOverLimit(after);
      Set<KeyId> suspendedAfter = after.keys().stream().filter(k -> k.status() == KeyStatus.SUSPENDED)
          .map(ApiKey::id).collect(Collectors.toSet());
      Set<KeyId> newly = new HashSet<>(suspendedAfter);
      newly.removeAll(suspendedBefore);
      check(suspendedAfter.containsAll(suspendedBefore), "R9 license changes", "a cancellation resumed a key");
      if (strategy == OverLimitStrategy.SUSPEND_NEWEST && excess > 0) {
        checkSuspendedNewest(excess, suspendedBefore, suspendedAfter, newly);
      } else {
        check(newly.isEmpty(), "R9 license changes", "cancelling with " + (strategy == null ? "the default" : strategy)
            + " suspended " + newly);
      }
      for (KeyId id : newly) {
        KeyM k = Objects.requireNonNull(model.liveKey(id));
        k.suspended = true;
        expectedAudit.add(new ExpectedEntry(Action.SUSPEND_KEY, Outcome.SUCCESS, id, k.device));
        expectedChanges.add(new ExpectedChange(id, ChangeEvent.Type.SUSPENDED));
      }
      expectedAudit.add(new ExpectedEntry(Action.CANCEL_LICENSES, Outcome.SUCCESS, null, null));
      outcome = "now " + r.value() + (newly.isEmpty() ? "" : "; suspended " + newly.stream()
          .map(id -> Objects.requireNonNull(model.liveKey(id)).name).sorted().toList());
    });
  }

  /**
   * SUSPEND_NEWEST suspends the {@code excess} newest keys (by creation time). Keys created at the
   * same instant are equally new, so any of them may be chosen at the boundary.
   */
  private void checkSuspendedNewest(int excess, Set<KeyId> suspendedBefore, Set<KeyId> suspendedAfter,
      Set<KeyId> newly) {
    List<KeyM> newestFirst = model.live().stream().sorted(Comparator.comparing((KeyM k) -> k.createdAt).reversed())
        .toList();
    Instant boundary = newestFirst.get(excess - 1).createdAt;
    Set<KeyId> newer = newestFirst.stream().filter(k -> k.createdAt.isAfter(boundary)).map(k -> k.id)
        .collect(Collectors.toSet());
    Set<KeyId> tied = newestFirst.stream().filter(k -> k.createdAt.equals(boundary)).map(k -> k.id)
        .collect(Collectors.toSet());
    int fromTied = excess - newer.size();
    Set<KeyId> allowed = new HashSet<>(newer);
    allowed.addAll(tied);
    check(allowed.containsAll(newly), "R9 license changes (SUSPEND_NEWEST)",
        "suspended " + newly + " but only the " + excess + " newest keys " + allowed + " may be");
    check(suspendedAfter.containsAll(newer), "R9 license changes (SUSPEND_NEWEST)",
        "the newest keys " + newer + " are not all suspended: " + suspendedAfter);
    long tiedAfter = tied.stream().filter(suspendedAfter::contains).count();
    long tiedNewly = tied.stream().filter(newly::contains).count();
    check(tiedNewly <= fromTied && tiedAfter >= fromTied, "R9 license changes (SUSPEND_NEWEST)",
        "of the keys created at " + boundary + " " + tiedAfter + " are suspended (" + tiedNewly + " newly), "
            + fromTied + " were to be");
  }

  /** R1: a step that lowers the total without creating keys may leave the account over its limit. */
  private void allowOverLimit() {
    postChecks.add(this::allowOverLimit);
  }

  private void allowOverLimit(Snapshot after) {
    if (after.usage().overLimit()) {
      overLimitByCancel = true;
      createdWhileOverLimit = 0;
    }
  }

  private void grant(GrantLicenses c) {
    Expect e = model.expectGrant(c);
    Instant start = c.startIn() == null ? null : model.now.plus(c.startIn());
    Instant from = start == null ? model.now : start;
    Instant end = c.term() == null ? null : from.plus(c.term());
    Result<License> r = call(() -> manager.grantLicenses(c.by(), ACME, new NewLicense(c.quantity(), start, end,
        c.reference().isEmpty() ? null : c.reference())));
    if (!agree(e, r, Action.GRANT_LICENSES, null)) {
      return;
    }
    License real = Objects.requireNonNull(r.value());
    QuotaModel.GrantM g = new QuotaModel.GrantM(real.id(), c.quantity(), from, end, c.reference(), model.now);
    check(g.sameTerms(real) && real.accountId().equals(ACME), "R9 license changes",
        "granting returned " + real + ", the model says " + g);
    model.grants.add(g);
    licenseTermsChanged(Action.GRANT_LICENSES, ChangeEvent.Type.LICENSES_GRANTED);
    outcome = "granted " + g + "; now " + model.usage();
  }

  /**
   * Expects the audit entry and the license event of a successful grant or term change, and checks
   * that it left every key as it was.
   */
  private void licenseTermsChanged(Action action, ChangeEvent.Type event) {
    expectedAudit.add(new ExpectedEntry(action, Outcome.SUCCESS, null, null));
    expectedLicenseEvents.add(event);
    unchangedKeys("R9 license changes never delete keys");
  }

  private void changeTerm(ChangeLicenseTerm c) {
    QuotaModel.GrantM g = model.grant(c.grant());
    LicenseId id = g == null ? NEVER_ISSUED_GRANT : Objects.requireNonNull(g.id);
    Expect e = model.expectChangeTerm(c);
    Instant end = c.endIn() == null ? null : model.now.plus(c.endIn());
    Result<License> r = call(() -> manager.changeLicenseTerm(c.by(), ACME, id, end));
    if (!agree(e, r, Action.CHANGE_LICENSE_TERM, null)) {
      outcome += " [" + (g == null ? id : g) + "]";
      return;
    }
    QuotaModel.GrantM changed = Objects.requireNonNull(g);
    changed.end = end;
    changed.endApplied = false; // a later end passing applies again
    check(changed.sameTerms(Objects.requireNonNull(r.value())), "R9 license changes",
        "changing the term returned " + r.value() + ", the model says " + changed);
    licenseTermsChanged(Action.CHANGE_LICENSE_TERM, ChangeEvent.Type.LICENSE_TERM_CHANGED);
    outcome = "now " + changed + "; " + model.usage();
  }

  private void endLicense(EndLicense c) {
    QuotaModel.GrantM g = model.grant(c.grant());
    LicenseId id = g == null ? NEVER_ISSUED_GRANT : Objects.requireNonNull(g.id);
    Expect e = model.expectEnd(c);
    Result<LicenseUsage> r = call(() -> manager.endLicense(c.by(), ACME, id, c.strategy()));
    if (!agree(e, r, Action.END_LICENSES, null)) {
      outcome += " [" + (g == null ? id : g) + "]";
      return;
    }
    QuotaModel.GrantM ended = Objects.requireNonNull(g);
    ended.end = ended.start.isAfter(model.now) ? ended.start : model.now; // a grant not started never counts
    ended.endApplied = true;
    expectedLicenseEvents.add(ChangeEvent.Type.LICENSES_ENDED);
    int excess = model.used() - model.licenses();
    List<String> suspended = new ArrayList<>();
    if (c.strategy() == OverLimitStrategy.SUSPEND_NEWEST) {
      for (KeyM k : model.newestToSuspend(excess)) {
        suspend(k, null, "R9 license changes (SUSPEND_NEWEST)");
        suspended.add(k.name);
      }
    }
    expectedAudit.add(new ExpectedEntry(Action.END_LICENSES, Outcome.SUCCESS, null, null));
    check(model.usage().equals(r.value()), "R3 conservation", "returned " + r.value() + ", model " + model.usage());
    unchangedKeys("R9 license changes never delete keys");
    allowOverLimit();
    outcome = "ended " + ended + "; now " + r.value() + (suspended.isEmpty() ? "" : "; suspended " + suspended);
  }

  private void applyEnds(ApplyLicenseEnds c) {
    Expect e = model.expectOperatorCall(c.caller());
    Result<LicenseUsage> r = call(() -> manager.applyLicenseEnds(c.by(), ACME));
    if (!agree(e, r, Action.LICENSES_EXPIRED, null)) {
      return;
    }
    check(model.usage().equals(r.value()), "R3 conservation", "returned " + r.value() + ", model " + model.usage());
    unchangedKeys("R9 license ends never delete keys");
    outcome = (outcome.isEmpty() ? "nothing was due" : outcome) + "; now " + r.value();
  }

  private void setPolicy(SetLicensePolicy c) {
    Expect e = model.expectOperatorCall(c.caller());
    LicensePolicy policy = c.period() == null ? LicensePolicy.DEFAULT.onExpiry(c.onExpiry())
        : LicensePolicy.DEFAULT.onExpiry(c.onExpiry()).limitReassignments(c.maxReassignments(), c.period());
    Result<LicensePolicy> r = call(() -> manager.setLicensePolicy(c.by(), ACME, policy));
    if (!agree(e, r, Action.SET_LICENSE_POLICY, null)) {
      return;
    }
    check(policy.equals(r.value()), "R9 license changes", "setting " + policy + " returned " + r.value());
    model.setPolicy(c.onExpiry(), c.maxReassignments(), c.period());
    expectedAudit.add(new ExpectedEntry(Action.SET_LICENSE_POLICY, Outcome.SUCCESS, null, null));
    unchangedLicenses("R9 a license policy changes no license");
    outcome = "set";
  }

  /** The key is suspended by this step (R9), by the caller or, with {@code actor}, by the platform. */
  private void suspend(KeyM k, @Nullable String actor, String rule) {
    k.suspended = true;
    expectedAudit.add(new ExpectedEntry(Action.SUSPEND_KEY, Outcome.SUCCESS, k.id, k.device, actor));
    expectedChanges.add(new ExpectedChange(k.id, ChangeEvent.Type.SUSPENDED));
    postChecks.add(after -> check(k.deleted || after.keys().stream().anyMatch(row -> row.id().equals(k.id)
        && row.status() == KeyStatus.SUSPENDED), rule, k + " is not suspended"));
  }

  /**
   * R9: a write applies the ends of grants that passed before anything else, once: each is audited
   * as the platform's action and published; with SUSPEND_NEWEST the keys above the licenses are
   * suspended; nothing is deleted.
   */
  private void applyDueEnds() {
    List<QuotaModel.GrantM> due = model.dueEnds();
    if (due.isEmpty()) {
      return;
    }
    endsApplied = true;
    for (QuotaModel.GrantM g : due) {
      g.endApplied = true;
      expectedAudit.add(new ExpectedEntry(Action.LICENSES_EXPIRED, Outcome.SUCCESS, null, null, PLATFORM));
      expectedLicenseEvents.add(ChangeEvent.Type.LICENSES_ENDED);
    }
    int excess = model.used() - model.licenses();
    List<String> suspended = new ArrayList<>();
    if (model.onExpiry == OverLimitStrategy.SUSPEND_NEWEST) {
      for (KeyM k : model.newestToSuspend(excess)) {
        suspend(k, PLATFORM, "R9 license ends (SUSPEND_NEWEST)");
        suspended.add(k.name);
      }
    }
    if (excess > 0) {
      expectedAudit.add(new ExpectedEntry(Action.LICENSES_EXPIRED, Outcome.SUCCESS, null, null, PLATFORM));
    }
    outcome = "applied the ends of " + due.size() + " grants" + (suspended.isEmpty() ? "" : ", suspending " + suspended);
  }

  /** The call may change licenses but no key: none deleted, none added (R9). */
  private void unchangedKeys(String rule) {
    Set<KeyId> was = ids(before.keys());
    postChecks.add(after -> check(ids(after.keys()).equals(was), rule,
        "the keys were " + was + ", now " + ids(after.keys())));
  }

  /**
   * R9/R3 after every step: the grants listed agree with the model (the ids of grants created by
   * contracts and cancellations are learnt here), the total is the sum of the grants active now,
   * and after a write no end that passed is left unapplied.
   */
  private void checkGrants(Snapshot s) {
    Set<LicenseId> known = new HashSet<>();
    model.grants.forEach(g -> {
      if (g.id != null) {
        known.add(g.id);
      }
    });
    List<License> fresh = new ArrayList<>(s.grants().stream().filter(g -> !known.contains(g.id())).toList());
    for (QuotaModel.GrantM g : model.grants) {
      if (g.id == null) {
        License match = fresh.stream().filter(g::sameTerms).findFirst().orElse(null);
        check(match != null, "R9 license changes", "no grant listed is " + g + "; new grants listed: " + fresh);
        g.id = Objects.requireNonNull(match).id();
        fresh.remove(match);
      }
    }
    Map<LicenseId, License> real = new HashMap<>();
    s.grants().forEach(g -> real.put(g.id(), g));
    List<String> diffs = new ArrayList<>();
    for (QuotaModel.GrantM g : model.grants) {
      License r = real.remove(g.id);
      if (r == null || !g.sameTerms(r) || !r.accountId().equals(ACME)) {
        diffs.add(g + " is listed as " + r);
      }
    }
    real.values().forEach(r -> diffs.add("unexpected grant " + r));
    check(diffs.isEmpty(), "R9 license grants agree with the model", String.join("; ", diffs));
    for (int i = 1; i < s.grants().size(); i++) {
      check(License.ORDER.compare(s.grants().get(i - 1), s.grants().get(i)) <= 0, "R9 license grants",
          "licenses() is not in License.ORDER: " + s.grants());
    }
    int active = s.grants().stream().filter(g -> g.activeAt(model.now)).mapToInt(License::quantity).sum();
    check(s.usage().total() == active, "R3 conservation",
        "the total is " + s.usage().total() + " but the grants active now sum to " + active);
  }

  private void addMember(AddMember c) {
    Expect e = model.expectAddMember(c);
    Result<Member> r = call(() -> manager.addMember(c.by(), ACME, UserId.of(c.user().id()), c.role()));
    setRole(e, r, Action.ADD_MEMBER, c.user(), c.role());
  }

  private void changeRole(ChangeRole c) {
    Expect e = model.expectChangeRole(c);
    Result<Member> r = call(() -> manager.changeRole(c.by(), ACME, UserId.of(c.user().id()), c.role()));
    setRole(e, r, Action.CHANGE_ROLE, c.user(), c.role());
  }

  /** R8: after adding a member or changing a role, the member returned has the role given. */
  private void setRole(Expect e, Result<Member> r, Action action, Who user, Role role) {
    if (!agree(e, r, action, null)) {
      return;
    }
    check(new Member(ACME, UserId.of(user.id()), role).equals(r.value()), "R8 roles", "returned " + r.value());
    model.members.put(user, role);
    expectedAudit.add(new ExpectedEntry(action, Outcome.SUCCESS, null, null));
    unchangedLicenses("R8 roles");
    outcome = action == Action.ADD_MEMBER ? "added" : "changed";
  }

  private void removeMember(RemoveMember c) {
    Expect e = model.expectRemoveMember(c);
    Result<Void> r = call(() -> {
      manager.removeMember(c.by(), ACME, UserId.of(c.user().id()));
      return null;
    });
    if (!agree(e, r, Action.REMOVE_MEMBER, null)) {
      return;
    }
    model.members.remove(c.user());
    expectedAudit.add(new ExpectedEntry(Action.REMOVE_MEMBER, Outcome.SUCCESS, null, null));
    unchangedLicenses("R8 roles");
    outcome = "removed";
  }

  private void read(Read c) {
    Expect e = model.expectRead(c.caller(), c.view());
    Actor actor = c.by();
    Result<Object> r = call(() -> switch (c.view()) {
      case USAGE -> manager.licenseUsage(actor, ACME);
      case KEYS -> manager.keys(actor, ACME);
      case AUDIT -> manager.auditLog(actor, ACME, Long.MAX_VALUE, 50);
      case MEMBERS -> manager.members(actor, ACME);
      case DEVICES -> manager.devices(actor, ACME);
      case STALE_KEYS -> manager.keysUnusedSince(actor, ACME, model.now.minus(Duration.ofHours(1)));
      case LICENSES -> manager.licenses(actor, ACME);
    });
    // Refused reads are audited; the action recorded for them is not specified, so any is accepted.
    if (!agree(e, r, null, null)) {
      return;
    }
    Object value = r.value();
    noSecret("the result of reading " + c.view(), String.valueOf(value));
    if (c.view() == View.USAGE) {
      check(model.usage().equals(value), "R3 conservation", "read " + value + ", model " + model.usage());
    } else if (c.view() == View.KEYS) {
      @SuppressWarnings("unchecked")
      List<ApiKey> rows = (List<ApiKey>) value;
      checkTable(rows, model.live(), "R3 keys table agrees with the model");
    } else if (c.view() == View.STALE_KEYS) {
      @SuppressWarnings("unchecked")
      List<ApiKey> rows = (List<ApiKey>) value;
      Instant since = model.now.minus(Duration.ofHours(1));
      checkTable(rows, model.live().stream().filter(k -> k.lastUsedAt == null || k.lastUsedAt.isBefore(since)).toList(),
          "R3 stale keys agree with the model");
    } else if (c.view() == View.LICENSES) {
      check(before.grants().equals(value), "R9 license grants", "read " + value + ", the operator reads " + before.grants());
    } else if (c.view() == View.AUDIT) {
      @SuppressWarnings("unchecked")
      List<AuditEntry> page = (List<AuditEntry>) value;
      check(page.size() <= 50, "R12 audit", "a page of 50 has " + page.size() + " entries");
      for (int i = 1; i < page.size(); i++) {
        check(page.get(i).sequence() < page.get(i - 1).sequence(), "R12 audit", "the audit page is not newest first");
      }
      check(!page.isEmpty() && page.get(0).sequence() == auditSequence, "R12 audit",
          "the audit page does not start with the newest entry " + auditSequence);
    }
    auditOptional = true;
    unchangedRule = "R8 reads change nothing";
    outcome = "read";
  }

  private void validate(Validate c) {
    String secret = resolve(c.secret());
    KeyM owner = model.owner(secret);
    String serial = switch (c.how()) {
      case FOR_OWN_DEVICE -> owner == null ? null : owner.device;
      case FOR_DEVICE -> c.serial();
      default -> null;
    };
    String who = owner == null ? "an unknown secret" : "a secret of " + owner;
    if (c.how() == Presentation.TYPO) {
      Verdict v = validator.validate(typo(secret));
      check(v.status() == Status.MALFORMED, "R5/R6/R7 verdict", "a typo of " + who + " is " + v.status() + ", not MALFORMED");
      outcome = v.status().toString();
      unchangedRule = "R5 validation changes no key";
      return;
    }
    String rule = owner == null ? "R5/R6/R7 verdict"
        : owner.deleted ? "R5 delete frees"
        : !secret.equals(owner.secret) ? "R6 regenerate"
        : "R5/R6/R7 verdict";
    Verdict v = checkVerdict(secret, serial, rule);
    if (owner != null && owner.deleted) {
      check(!v.isValid(), "R5 delete frees", "a deleted key's secret validates");
    }
    outcome = v.status() + " (" + who + ")";
  }

  // ------------------------------------------------------------------ helpers for commands

  /** A key reference resolved against the model. */
  private record Resolved(KeyId id, String description) {
    @Override
    public String toString() {
      return description;
    }
  }

  private Resolved resolve(KeyRef ref) {
    KeyM k = switch (ref.kind()) {
      case OTHER_ACCOUNT -> Objects.requireNonNull(model.foreign);
      case NEVER_ISSUED -> null;
      case LAST_DELETED -> model.lastDeleted();
      case EXISTING -> {
        List<KeyM> live = model.live();
        yield live.isEmpty() ? model.lastDeleted() : live.get(live.size() - 1 - ref.fromNewest() % live.size());
      }
    };
    return k == null ? new Resolved(NEVER_ISSUED, "never issued " + NEVER_ISSUED) : new Resolved(k.id, k.toString());
  }

  private String resolve(SecretRef ref) {
    if (ref.otherAccount() || model.secrets.isEmpty()) {
      return Objects.requireNonNull(model.foreign).secret;
    }
    int n = model.secrets.size();
    return model.secrets.get(n - 1 - ref.fromNewest() % n).text();
  }

  /** One body character changed: the checksum no longer matches. */
  private static String typo(String secret) {
    int i = secret.indexOf('_') + 1;
    char replacement = secret.charAt(i) == 'A' ? 'B' : 'A';
    return secret.substring(0, i) + replacement + secret.substring(i + 1);
  }

  private <T> Result<T> call(Supplier<T> real) {
    try {
      return new Result<>(real.get(), null);
    } catch (KeyseatException e) {
      return new Result<>(null, e);
    }
  }

  /**
   * Compares the real outcome with the model's; on an agreed refusal records what the refusal must
   * (not) do.
   *
   * @return whether the call succeeded as expected
   */
  private boolean agree(Expect e, Result<?> r, @Nullable Action refusalAction, @Nullable KeyId refusalKey) {
    KeyseatException error = r.error();
    String injected = faults.injected();
    if (injected != null) {
      // the transaction failed at the injected write: the failure passes through and nothing remains
      check(error instanceof StoreUnavailableException && String.valueOf(error.getMessage()).contains("injected"),
          FAULT_RULE, "the store failed at " + injected + " but the call " + (error == null
              ? "succeeded, returning " + r.value() : "was refused with " + error));
      faultInjected = true;
      refusedRule = FAULT_RULE;
      outcome = "failed at " + injected + ": " + Objects.requireNonNull(error).getMessage();
      return false;
    }
    if (error == null && e.succeeds()) {
      noSecret("the returned value", String.valueOf(r.value()));
      if (!(command instanceof Read)) {
        applyDueEnds(); // every write applies the ends that passed before its own work (R9)
        postChecks.add(after -> check(after.grants().stream().noneMatch(g -> g.endedAt(model.now) && !g.endApplied()),
            "R9 license ends applied once, by the next write", "a grant whose end passed is still unapplied after a"
                + " successful write: " + after.grants()));
      }
      return true;
    }
    if (error == null) {
      fail(e.rule(), "the model expected " + e + " but the call succeeded, returning " + r.value());
    }
    if (e.succeeds()) {
      fail(e.rule(), "the model expected success but the call was refused: " + error);
    }
    if (!Objects.requireNonNull(e.refusal()).isInstance(error)) {
      fail(e.rule(), "the model expected " + e + " but the call was refused with " + error);
    }
    if (e.details() != null) {
      String mismatch = e.details().apply(error);
      if (mismatch != null) {
        fail(e.rule(), error.getClass().getSimpleName() + " " + mismatch + ": " + error.getMessage());
      }
    }
    noSecret("the exception", error.toString());
    refusedRule = error instanceof AccessDeniedException ? "R8 roles (non-admins never change anything)"
        : command instanceof CreateKeys ? "R4 failed batch changed nothing"
        : e.rule();
    expectedAudit.add(new ExpectedEntry(refusalAction, Outcome.REFUSED, refusalKey, null));
    outcome = "refused, " + error.getClass().getSimpleName() + ": " + error.getMessage();
    return false;
  }

  private Verdict checkVerdict(String secret, @Nullable String serial, String rule) {
    Verdict expected = model.verdict(secret, serial);
    Verdict real = serial == null ? validator.validate(secret) : validator.validate(secret, serial);
    KeyM owner = model.owner(secret);
    String what = (owner == null ? "an unknown secret" : "a secret of " + owner)
        + (serial == null ? "" : " presented for " + serial);
    check(real.status() == expected.status(), rule, what + " is " + real.status() + ", the model says " + expected.status());
    if (expected.status() != Status.UNKNOWN && expected.status() != Status.MALFORMED) {
      check(Objects.equals(real.accountId(), expected.accountId()) && Objects.equals(real.keyId(), expected.keyId())
              && Objects.equals(real.deviceSerial(), expected.deviceSerial()), rule,
          what + ": verdict " + real + ", the model says " + expected);
    }
    noSecret("a verdict", real.toString());
    if (expected.isValid()) {
      KeyM k = expected.keyId() != null && model.foreign != null && expected.keyId().equals(model.foreign.id)
          ? model.foreign : model.liveKey(Objects.requireNonNull(expected.keyId()));
      model.used(Objects.requireNonNull(k));
    }
    return real;
  }

  /** R5/R10: every secret of a deleted key is unknown at once. */
  private void deadSecrets(KeyM m, String rule) {
    for (String s : m.previous == null ? List.of(m.secret) : List.of(m.secret, m.previous)) {
      Verdict v = checkVerdict(s, null, rule);
      check(v.status() == Status.UNKNOWN, rule, "a secret of deleted " + m + " is " + v.status());
    }
  }

  /** The call may change keys, devices or members but never the license count. */
  private void unchangedLicenses(String rule) {
    LicenseUsage was = before.usage();
    postChecks.add(after -> check(after.usage().equals(was), rule,
        "license usage went from " + was + " to " + after.usage()));
  }

  private static Set<KeyId> ids(List<ApiKey> rows) {
    return rows.stream().map(ApiKey::id).collect(Collectors.toSet());
  }

  // ------------------------------------------------------------------ state and invariants

  private Snapshot snapshot() {
    try {
      List<Member> members = store.readAccount(ACME, tx -> {
        storedKeys = tx.keys();
        return tx.members();
      });
      Member admin = members.stream().filter(m -> m.role() == Role.ADMIN).findFirst().orElse(null);
      if (admin == null) {
        fail("R8 roles (last admin)", "acme has no admin left: " + members);
      }
      Actor a = Actor.user(admin.userId());
      return new Snapshot(members, manager.devices(a, ACME), manager.keys(a, ACME),
          manager.licenseUsage(Who.OPS.actor(), ACME), manager.licenses(Who.OPS.actor(), ACME));
    } catch (KeyseatException e) {
      fail("reading the account", "reading acme's state as its admin failed: " + e, e);
      throw new AssertionError(e);
    }
  }

  private void checkState(Snapshot s) {
    LicenseUsage u = s.usage();
    if (u.used() <= u.total()) {
      overLimitByCancel = false;
      createdWhileOverLimit = 0;
    }
    // the model agrees
    Map<String, Role> realMembers = new TreeMap<>();
    s.members().forEach(m -> realMembers.put(m.userId().value(), m.role()));
    Map<String, Role> modelMembers = new TreeMap<>();
    model.members.forEach((who, role) -> modelMembers.put(who.id(), role));
    check(realMembers.equals(modelMembers), "R8 roles", "members are " + realMembers + ", the model says " + modelMembers);
    Map<String, String> realDevices = new TreeMap<>();
    for (Device d : s.devices()) {
      check(d.accountId().equals(ACME), "R2 device in account", "devices of acme include " + d);
      realDevices.put(d.serial(), d.name());
    }
    check(realDevices.equals(model.devices), "R10 device leaves",
        "devices are " + realDevices + ", the model says " + model.devices);
    checkTable(s.keys(), model.live(), "R3 keys table agrees with the model");
    // R1 quota
    check(u.used() <= u.total() || overLimitByCancel && createdWhileOverLimit == 0, "R1 quota",
        u + (overLimitByCancel ? "; " + createdWhileOverLimit + " keys were created while over the limit"
            : " without a cancellation that allowed going over the limit"));
    // R2 one key per device, device in account
    Set<String> keyed = new HashSet<>();
    for (ApiKey k : s.keys()) {
      check(keyed.add(k.deviceSerial()), "R2 one key per device", k.deviceSerial() + " has two keys");
      check(realDevices.containsKey(k.deviceSerial()), "R2 device in account",
          k.id() + " is bound to " + k.deviceSerial() + ", which is not a device of acme");
    }
    // R3 conservation
    check(u.used() == s.keys().size() && u.available() == Math.max(0, u.total() - u.used()), "R3 conservation",
        "usage " + u + " but the keys table has " + s.keys().size() + " rows");
    check(u.equals(model.usage()), "R3 conservation", "usage " + u + ", the model says " + model.usage());
    // R13: the store keeps hashes; the plaintext only sealed, and only with a vault
    for (StoredKey k : storedKeys) {
      noSecret("the stored key " + k.id(), k + " " + k.hint() + " " + k.label());
      check(vault == (k.sealedSecret() != null), "R13 secrets", "the store holds " + (vault ? "no" : "a")
          + " sealed secret for " + k.id() + (vault ? " although" : " although no") + " secret vault is configured");
    }
  }

  /**
   * R5 and R6 after every step: one secret of a deleted key or one replaced by a regeneration,
   * in turn, must not validate (unless within its overlap, which is left for later).
   */
  private void sentinel() {
    List<QuotaModel.SecretM> dead = model.secrets.stream()
        .filter(x -> x.key().deleted || !x.text().equals(x.key().secret)).toList();
    if (dead.isEmpty()) {
      return;
    }
    QuotaModel.SecretM x = dead.get(step % dead.size());
    if (!model.verdict(x.text(), null).isValid()) {
      checkVerdict(x.text(), null, x.key().deleted ? "R5 delete frees" : "R6 regenerate");
    }
  }

  private void checkTable(List<ApiKey> rows, List<KeyM> live, String rule) {
    Map<KeyId, ApiKey> byId = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      ApiKey row = rows.get(i);
      byId.put(row.id(), row);
      if (i > 0) {
        check(!row.createdAt().isBefore(rows.get(i - 1).createdAt()), rule, "the keys table is not oldest first");
      }
      noSecret("a keys table row", row.toString());
    }
    Set<KeyId> modelIds = live.stream().map(k -> k.id).collect(Collectors.toSet());
    check(byId.keySet().equals(modelIds) && rows.size() == live.size(), rule,
        "the keys table has " + rows.stream().map(ApiKey::id).toList() + ", the model " + live);
    for (KeyM k : live) {
      checkRow(byId.get(k.id), k, rule);
    }
  }

  private void checkRow(ApiKey row, KeyM k, String rule) {
    String name = model.devices.getOrDefault(k.device, k.device);
    List<String> diffs = new ArrayList<>();
    diff(diffs, "accountId", row.accountId(), ACME);
    diff(diffs, "deviceSerial", row.deviceSerial(), k.device);
    diff(diffs, "deviceName", row.deviceName(), name);
    diff(diffs, "label", row.label(), k.label);
    diff(diffs, "createdAt", row.createdAt(), k.createdAt);
    diff(diffs, "regeneratedAt", row.regeneratedAt(), k.regeneratedAt);
    diff(diffs, "expiresAt", row.expiresAt(), k.expiresAt);
    diff(diffs, "status", row.status(), k.status(model.now));
    diff(diffs, "useCount", row.useCount(), k.useCount);
    diff(diffs, "lastUsedAt", row.lastUsedAt(), k.lastUsedAt);
    check(diffs.isEmpty(), rule, k + " differs from the model: " + String.join(", ", diffs));
    noSecret("the hint of " + k, row.hint());
  }

  private static void diff(List<String> diffs, String field, @Nullable Object real, @Nullable Object expected) {
    if (!Objects.equals(real, expected)) {
      diffs.add(field + " is " + real + ", expected " + expected);
    }
  }

  private static String diff(Snapshot a, Snapshot b) {
    List<String> parts = new ArrayList<>();
    if (!a.members().equals(b.members())) {
      parts.add("members " + a.members() + " -> " + b.members());
    }
    if (!a.devices().equals(b.devices())) {
      parts.add("devices " + a.devices() + " -> " + b.devices());
    }
    if (!a.keys().equals(b.keys())) {
      parts.add("keys " + a.keys() + " -> " + b.keys());
    }
    if (!a.usage().equals(b.usage())) {
      parts.add("usage " + a.usage() + " -> " + b.usage());
    }
    if (!a.grants().equals(b.grants())) {
      parts.add("grants " + a.grants() + " -> " + b.grants());
    }
    return String.join("; ", parts);
  }

  /** @return the audit entries of acme after {@code after}, oldest first, paging back from the newest */
  private List<AuditEntry> auditAfter(long after) {
    List<AuditEntry> found = new ArrayList<>();
    long before = Long.MAX_VALUE;
    while (true) {
      long b = before;
      List<AuditEntry> page = store.readAccount(ACME, tx -> tx.audit(b, 16));
      for (AuditEntry e : page) {
        if (e.sequence() <= after) {
          found.sort(Comparator.comparingLong(AuditEntry::sequence));
          return found;
        }
        check(e.sequence() < before, "R12 audit", "audit paging returned " + e + " before sequence " + before);
        found.add(e);
        before = e.sequence();
      }
      if (page.size() < 16) {
        found.sort(Comparator.comparingLong(AuditEntry::sequence));
        return found;
      }
    }
  }

  /** R12: the step appended exactly its entries (R13: without secrets). */
  private void checkAudit() {
    List<AuditEntry> fresh = auditAfter(auditSequence);
    Actor by = Objects.requireNonNull(command).by();
    String actor = by == null ? null : by.toString();
    for (AuditEntry entry : fresh) {
      noSecret("an audit entry", entry.toString());
      check(entry.accountId().equals(ACME) && entry.at().equals(model.now)
              && (entry.actor().equals(actor) || entry.actor().equals(PLATFORM)), "R12 audit",
          "unexpected audit entry " + entry + " (actor " + actor + " or " + PLATFORM + ", time " + model.now + ")");
      auditSequence = Math.max(auditSequence, entry.sequence());
    }
    if (auditOptional) {
      check(fresh.stream().allMatch(e -> e.outcome() == Outcome.SUCCESS), "R12 audit",
          "a successful read appended " + fresh);
      return;
    }
    List<AuditEntry> unmatched = new ArrayList<>(fresh);
    List<ExpectedEntry> missing = new ArrayList<>();
    for (ExpectedEntry x : expectedAudit) {
      AuditEntry match = unmatched.stream().filter(a -> x.matches(a, actor)).findFirst().orElse(null);
      if (match == null) {
        missing.add(x);
      } else {
        unmatched.remove(match);
      }
    }
    check(missing.isEmpty() && unmatched.isEmpty(), faultInjected ? FAULT_RULE : "R12 audit",
        "expected audit entries " + expectedAudit + "; missing " + missing + ", unexpected " + unmatched);
  }

  /**
   * The change feed: a step publishes one event per key it changed, of the right type, with the
   * key's hashes, and license changes (no key) only when it succeeded; a refusal publishes nothing.
   */
  private void checkChanges() {
    List<ChangeEvent> events = store.changesSince(changeSequence, 64);
    List<ExpectedChange> missing = new ArrayList<>(expectedChanges);
    List<ChangeEvent.Type> missingLicenseEvents = new ArrayList<>(expectedLicenseEvents);
    List<ChangeEvent> unexpected = new ArrayList<>();
    for (ChangeEvent e : events) {
      check(e.sequence() > changeSequence, "R5 change feed", "changesSince(" + changeSequence + ") returned " + e);
      changeSequence = e.sequence();
      if (!e.type().isKeyChange()) {
        // a license change, for the host's events: only by a step that succeeded, of acme, about no key
        if (refusedRule != null || !e.accountId().equals(ACME) || e.keyId() != null || !e.hashes().isEmpty()
            || !missingLicenseEvents.remove(e.type())) {
          unexpected.add(e);
        }
        continue;
      }
      ExpectedChange x = missing.stream().filter(c -> c.keyId().equals(e.keyId()) && c.types().contains(e.type()))
          .findFirst().orElse(null);
      if (x == null || !e.accountId().equals(ACME) || e.hashes().isEmpty()) {
        unexpected.add(e);
      } else {
        missing.remove(x);
      }
    }
    check(missing.isEmpty() && missingLicenseEvents.isEmpty() && unexpected.isEmpty(),
        refusedRule != null ? refusedRule : "R5 change feed",
        "expected key changes " + expectedChanges + " and license events " + expectedLicenseEvents + "; missing "
            + missing + " " + missingLicenseEvents + ", unexpected " + unexpected);
  }

  // ------------------------------------------------------------------ R13 and failures

  private void register(String secret) {
    secretBodies.add(secret.substring(secret.indexOf('_') + 1));
  }

  /** R13: no issued secret appears in {@code text}. */
  private void noSecret(String where, @Nullable String text) {
    if (text == null) {
      return;
    }
    for (String body : secretBodies) {
      if (text.contains(body)) {
        fail("R13 secrets", where + " contains a secret: " + text.replace(body, "<SECRET>"));
      }
    }
  }

  private void check(boolean ok, String rule, String message) {
    if (!ok) {
      fail(rule, message);
    }
  }

  private void fail(String rule, String message) {
    fail(rule, message, null);
  }

  private void fail(String rule, String message, @Nullable Throwable cause) {
    StringBuilder sb = new StringBuilder()
        .append('[').append(rule).append("] broken at step ").append(step)
        .append(command == null ? " (setup)" : " (" + command + ")").append(": ").append(message)
        .append(System.lineSeparator()).append("Execution (model key names, real outcomes):");
    for (Object line : trace) {
      sb.append(System.lineSeparator()).append(line);
    }
    if (command != null) {
      sb.append(System.lineSeparator())
          .append(new Step(step, command, outcome.isEmpty() ? "BROKEN HERE" : outcome + "  <- BROKEN HERE"));
    }
    throw cause == null ? new InvariantViolation(rule, step, sb.toString())
        : new InvariantViolation(rule, step, sb.toString(), cause);
  }
}
