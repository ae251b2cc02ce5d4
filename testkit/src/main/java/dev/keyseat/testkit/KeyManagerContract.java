package dev.keyseat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AccountOverview;
import dev.keyseat.AccountPage;
import dev.keyseat.Actor;
import dev.keyseat.AlreadyExistsException;
import dev.keyseat.ApiKey;
import dev.keyseat.AuditEntry;
import dev.keyseat.AuditEntry.Action;
import dev.keyseat.AuditEntry.Outcome;
import dev.keyseat.DailyUsage;
import dev.keyseat.Device;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyPage;
import dev.keyseat.KeyQuery;
import dev.keyseat.KeySort;
import dev.keyseat.KeyStatus;
import dev.keyseat.KeyseatException;
import dev.keyseat.validation.CachedKeyValidator;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.LastAdminException;
import dev.keyseat.License;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.LicensePolicy;
import dev.keyseat.LicenseUsage;
import dev.keyseat.LicensesInUseException;
import dev.keyseat.Member;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NewLicense;
import dev.keyseat.NotFoundException;
import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.Secret;
import dev.keyseat.SecretNotRetainedException;
import dev.keyseat.SecretVault;
import dev.keyseat.SeatReuseLimitException;
import dev.keyseat.UserId;
import dev.keyseat.VaultKeyMismatchException;
import dev.keyseat.validation.Verdict;
import dev.keyseat.validation.Verdict.Status;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.crypto.KeyGenerator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The domain rules R1–R13 of {@code DESIGN.md}, proved by examples through the public {@link
 * KeyManager} and {@link Keyseat#storeValidator()} over a {@link KeyStore} you supply.
 *
 * <p>The rules live in core, so a store that is atomic, isolated and keeps the uniqueness rules of
 * the SPI passes this suite unchanged. To prove your store, extend this class from your store's
 * tests and return a new, empty store from {@link #createStore()}:
 *
 * <pre>{@code
 * class MyKeyManagerContractTest extends KeyManagerContract {
 *   @Override
 *   protected KeyStore createStore() {
 *     return new MyKeyStore(freshDatabase());
 *   }
 * }
 * }</pre>
 *
 * <p>{@code createStore()} is called once before every test (also for the tests of the {@link
 * Nested} classes); the store must hold no accounts, devices or keys. Add an {@code @AfterEach}
 * in your subclass to release what your store holds. Time is driven by a {@link MutableClock}
 * (starting at 2026-01-01T00:00:00Z); no test sleeps. Every refusal is checked to change nothing:
 * the keys table, devices, members, license usage, the successful audit entries and the change
 * feed are compared before and after, and the refusal must be the one new audit entry.
 *
 * <p>Each test starts with two accounts: {@code acme} (3 licenses; admin {@code alice}, manager
 * {@code mona}, viewer {@code victor}; devices {@code AQ-1}…{@code AQ-6}, no keys) and {@code
 * globex} (5 licenses; admin {@code gus}; devices {@code GX-1}, {@code GX-2}, no keys).
 */
public abstract class KeyManagerContract extends StoreSuite {



  /** A manager of {@link #ACME}. */
  protected static final Actor MANAGER = Actor.user("mona");
  /** A viewer of {@link #ACME}. */
  protected static final Actor VIEWER = Actor.user("victor");
  /** A user who is a member of no account. */
  protected static final Actor STRANGER = Actor.user("eve");
  /** The admin of {@link #GLOBEX}. */
  protected static final Actor GLOBEX_ADMIN = Actor.user("gus");
  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  /** The store returned by {@link #createStore()} for this test. */
  protected KeyStore store;
  /** Keyseat over {@link #store}. */
  protected Keyseat keyseat;
  /** The management API under test. */
  protected KeyManager keys;
  /** The store validator of {@link #keyseat}. */
  protected KeyValidator validator;

  /**
   * @return a new, empty store; called before every test
   */
  @Override
  protected abstract KeyStore createStore();

  @BeforeEach
  void setUpAccounts() {
    store = freshStore();
    use(Keyseat.builder(store).clock(clock).build());

    keys.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 3));
    keys.addMember(ADMIN, ACME, UserId.of("mona"), Role.MANAGER);
    keys.addMember(ADMIN, ACME, UserId.of("victor"), Role.VIEWER);
    for (int i = 1; i <= 6; i++) {
      keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-" + i, "Monitor " + i, "Indoor Air Monitor"));
    }
    keys.createAccount(OPERATOR, GLOBEX, new NewAccount("Globex", UserId.of("gus"), 5));
    keys.associateDevice(GLOBEX_ADMIN, GLOBEX, new NewDevice("GX-1", "Globex lobby"));
    keys.associateDevice(GLOBEX_ADMIN, GLOBEX, new NewDevice("GX-2", "Globex roof"));
  }

  // ================================================================== helpers

  private void use(Keyseat k) {
    keyseat = k;
    keys = k.manager();
    validator = k.storeValidator();
  }

  /** Switches to a Keyseat over the same store and clock that seals secrets with AES-GCM. */
  protected void useVault() {
    try {
      KeyGenerator g = KeyGenerator.getInstance("AES");
      g.init(256);
      use(Keyseat.builder(store).clock(clock).secretVault(SecretVault.aesGcm(g.generateKey())).build());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * @param serial the device's serial number
   * @return the key just created by {@link #ADMIN} for one device of {@link #ACME}
   */
  protected IssuedKey createKey(String serial) {
    List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serial));
    assertThat(issued).hasSize(1);
    return issued.get(0);
  }

  /**
   * @param key the key
   * @return the status the store validator gives a secret
   */
  protected Status status(IssuedKey key) {
    return validator.validate(key.secret().reveal()).status();
  }

  /** Asserts that the store validator gives {@code key}, called {@code name}, the {@code expected} verdict. */
  private void assertVerdict(String name, IssuedKey key, Status expected) {
    assertThat(status(key)).as(RuleWords.verdict(name, expected)).isEqualTo(expected);
  }

  /** Asserts that the store validator gives {@code secret}, called {@code name}, the {@code expected} verdict. */
  private void assertVerdict(String name, String secret, Status expected) {
    assertThat(status(secret)).as(RuleWords.verdict(name, expected)).isEqualTo(expected);
  }

  /**
   * @param secret the secret
   * @return the status the store validator gives a secret
   */
  protected Status status(String secret) {
    return validator.validate(secret).status();
  }

  /**
   * @param id the id
   * @return ACME's keys table row for the key
   */
  protected ApiKey row(KeyId id) {
    return keys.keys(ADMIN, ACME).stream().filter(k -> k.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + id));
  }

  /** @return ACME's license usage */
  protected LicenseUsage usage() {
    return keys.licenseUsage(ADMIN, ACME);
  }

  /**
   * @param account the account
   * @return the whole audit log of an account, newest first, read from the store so that it works
   *     whatever the roles at that moment
   */
  protected List<AuditEntry> audit(AccountId account) {
    return store.readAccount(account, tx -> tx.audit(Long.MAX_VALUE, 100_000));
  }

  /**
   * @param skip how many to skip
   * @return ACME's audit entries after the first {@code skip}, oldest first, read by its admin
   */
  protected List<AuditEntry> auditSince(int skip) {
    List<AuditEntry> log = new ArrayList<>(keys.auditLog(ADMIN, ACME, Long.MAX_VALUE, 1000));
    Collections.reverse(log);
    return log.subList(skip, log.size());
  }

  /**
   * @param key the key
   * @return SHA-256 of the key, what the store must keep instead of it
   */
  protected static KeyHash sha256(String key) {
    try {
      return KeyHash.of(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** @return a key of the default format with a correct checksum that was never issued */
  protected static String wellFormedUnissuedKey() {
    return wellFormedKey("NeverIssued0123456789abcdef");
  }

  /**
   * @param body the text
   * @return the key of the default format with this 27-character body and its checksum
   */
  protected static String wellFormedKey(String body) {
    CRC32 crc = new CRC32();
    crc.update(("ks" + body).getBytes(StandardCharsets.US_ASCII));
    long v = crc.getValue();
    char[] checksum = new char[6];
    for (int i = 5; i >= 0; i--) {
      checksum[i] = ALPHABET.charAt((int) (v % 62));
      v /= 62;
    }
    return "ks_" + body + new String(checksum);
  }

  /**
   * What a refusal must leave unchanged in one account, as the store holds it.
   *
   * @param account the account row (contracted licenses)
   * @param members the members and their roles
   * @param devices the devices
   * @param keys the keys, with hashes, device bindings, expiry, suspension and sealed secrets
   * @param usage the usage of each key, in the order of {@code keys}
   * @param successes the successful audit entries
   */
  protected record AccountState(Optional<Account> account, List<Member> members, List<Device> devices,
      List<StoredKey> keys, List<KeyUsage> usage, List<AuditEntry> successes) {}

  /**
   * Everything a refusal must leave unchanged.
   *
   * @param acme the state of {@link #ACME}
   * @param globex the state of {@link #GLOBEX}
   * @param changeFeed the store's latest change sequence
   */
  protected record Snapshot(AccountState acme, AccountState globex, long changeFeed) {}

  /** @return the state of both accounts, read from the store whatever the roles at that moment */
  protected Snapshot snapshot() {
    return new Snapshot(state(ACME), state(GLOBEX), store.latestChangeSequence());
  }

  private AccountState state(AccountId id) {
    return store.readAccount(id, tx -> {
      List<StoredKey> all = tx.keys();
      return new AccountState(tx.account(), tx.members(), tx.devices(), all,
          all.stream().map(k -> tx.usage(k.id())).toList(),
          tx.audit(Long.MAX_VALUE, 100_000).stream().filter(e -> e.outcome() == Outcome.SUCCESS).toList());
    });
  }

  /**
   * Runs a call that must be refused in {@link #ACME}: asserts the exception type, that nothing
   * changed, and that the refusal is the one new audit entry, with the exception's message.
   *
   * @param type the kind of change
   * @param call the work to run
   * @param <T> the type of the result
   * @return the exception, for more assertions
   */
  protected <T extends Throwable> T refused(Class<T> type, ThrowingCallable call) {
    return refusedIn(ACME, type, call);
  }

  /**
   * As {@link #refused} for a call in another account.
   *
   * @param account the account
   * @param type the kind of change
   * @param call the work to run
   * @param <T> the type of the result
   * @return the exception, for more assertions
   */
  protected <T extends Throwable> T refusedIn(AccountId account, Class<T> type, ThrowingCallable call) {
    Snapshot before = snapshot();
    List<AuditEntry> logBefore = audit(account);
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(type);
    StateDiff.assertSame("a refused call changes nothing: every row, usage and the feed as before", before, snapshot());
    List<AuditEntry> logAfter = audit(account);
    assertThat(logAfter).as("the refusal is the one new audit entry").hasSize(logBefore.size() + 1);
    assertThat(logAfter.subList(1, logAfter.size())).as("the audit entries before the refusal, unchanged").isEqualTo(logBefore);
    AuditEntry entry = logAfter.get(0);
    assertThat(entry.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(entry.detail()).isEqualTo(thrown.getMessage());
    assertThat(entry.at()).isEqualTo(clock.instant());
    return type.cast(thrown);
  }

  /**
   * As {@link #refused} for a call refused before any account is involved: nothing is audited.
   *
   * @param type the kind of change
   * @param call the work to run
   * @param <T> the type of the result
   * @return the exception, for more assertions
   */
  protected <T extends Throwable> T refusedUnaudited(Class<T> type, ThrowingCallable call) {
    Snapshot before = snapshot();
    List<AuditEntry> logBefore = audit(ACME);
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(type);
    StateDiff.assertSame("a refused call changes nothing: every row, usage and the feed as before", before, snapshot());
    assertThat(audit(ACME)).as("a refusal that is not audited leaves the audit log as it was").isEqualTo(logBefore);
    return type.cast(thrown);
  }

  /**
   * @param e the failure
   * @return the fields of every violation, in order
   */
  protected static List<String> fields(InvalidRequestException e) {
    return e.violations().stream().map(InvalidRequestException.Violation::field).toList();
  }

  // ================================================================== R1

  @Nested
  @SuitePart("R1 quota: keys never exceed the contracted licenses")
  class R1Quota {

    @Test
    void keysCanBeCreatedUpToTheContractedLicenses() {
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      assertThat(issued).as("R1 quota: issued").hasSize(3);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(3, 0, 3));
    }

    @Test
    void oneKeyMoreThanTheLicensesIsRefused() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      LicenseLimitException e = refused(LicenseLimitException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      assertThat(e.needed()).as("R1 quota: the licenses the refusal says are needed").isEqualTo(1);
      assertThat(e.available()).as("R1 quota: the licenses the refusal says are available").isZero();
      assertThat(keys.keys(ADMIN, ACME)).as("R1 quota: the keys table of ACME").hasSize(3);
    }

    @Test
    void anOverQuotaBatchIsRefusedAndCreatesNoKey() {
      createKey("AQ-1");
      LicenseLimitException e = refused(LicenseLimitException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2", "AQ-3", "AQ-4")));
      assertThat(e.needed()).as("R1 quota: the licenses the refusal says are needed").isEqualTo(3);
      assertThat(e.available()).as("R1 quota: the licenses the refusal says are available").isEqualTo(2);
      assertThat(keys.keys(ADMIN, ACME)).as("R1 quota: the keys table of ACME").extracting(ApiKey::deviceSerial).containsExactly("AQ-1");
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 2, 3));
    }

    @Test
    void anAccountWithoutLicensesGetsNoKey() {
      keys.cancelLicenses(OPERATOR, ACME, 3);
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1")));
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(0, 0, 0));
    }

    @Test
    void contractingMoreLicensesAllowsMoreKeys() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      keys.contractLicenses(OPERATOR, ACME, 2);
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4", "AQ-5"));
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(5, 0, 5));
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-6")));
    }

    @Test
    void oneAccountsLicensesAreNotUsableByAnother() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1", "GX-2"));
      assertThat(keys.licenseUsage(GLOBEX_ADMIN, GLOBEX)).as("R1 quota: keys.licenseUsage(GLOBEX_ADMIN, GLOBEX)").isEqualTo(new LicenseUsage(2, 3, 5));
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(3, 0, 3));
    }
  }

  // ================================================================== R2

  @Nested
  @SuitePart("R2 one key per device, of the account's devices")
  class R2OneKeyPerDevice {

    @Test
    void eachKeyIsBoundToItsSelectedDeviceInCommandOrder() {
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-3", "AQ-1"));
      assertThat(issued).as("R2 one key per device, of the account's devices: issued").extracting(k -> k.key().deviceSerial()).containsExactly("AQ-3", "AQ-1");
      assertThat(issued).as("R2 one key per device, of the account's devices: issued").extracting(k -> k.key().deviceName()).containsExactly("Monitor 3", "Monitor 1");
      assertThat(validator.validate(issued.get(0).secret().reveal(), "AQ-3").status()).as(RuleWords.verdict("issued.get(0).secret().reveal() presented for AQ-3", Status.VALID)).isEqualTo(Status.VALID);
      assertThat(validator.validate(issued.get(1).secret().reveal(), "AQ-1").status()).as(RuleWords.verdict("issued.get(1).secret().reveal() presented for AQ-1", Status.VALID)).isEqualTo(Status.VALID);
    }

    @Test
    void aSecondKeyForTheSameDeviceIsRefused() {
      createKey("AQ-1");
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1")));
      assertThat(e.deviceSerials()).as("R2 one key per device, of the account's devices: the devices the refusal names").containsExactly("AQ-1");
      assertThat(keys.keys(ADMIN, ACME)).as("R2 one key per device, of the account's devices: the keys table of ACME").hasSize(1);
    }

    @Test
    void aDeviceOfAnotherAccountCannotGetAKeyHere() {
      NotFoundException e = refused(NotFoundException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("GX-1")));
      assertThat(e.kind()).as("R2 one key per device, of the account's devices: the kind of thing the refusal did not find").isEqualTo("device");
      assertThat(e.ids()).as("R2 one key per device, of the account's devices: the ids the refusal names").containsExactly("GX-1");
      assertThat(keys.keys(GLOBEX_ADMIN, GLOBEX)).as("R2 one key per device, of the account's devices: the keys table of GLOBEX").isEmpty();
    }

    @Test
    void aDeviceSerialBelongsToOneAccountOnly() {
      AlreadyExistsException e = refused(AlreadyExistsException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice("GX-1", "Stolen")));
      assertThat(e.getMessage()).as("R2 one key per device, of the account's devices: the refusal's message (what was refused and what to do)").contains("GX-1");
    }

    @Test
    void keysOfAnotherAccountAreNotFoundHere() {
      IssuedKey globex = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1")).get(0);
      KeyId id = globex.key().id();
      refused(NotFoundException.class, () -> keys.deleteKey(ADMIN, ACME, id));
      refused(NotFoundException.class, () -> keys.regenerateKey(ADMIN, ACME, id));
      refused(NotFoundException.class, () -> keys.editKey(ADMIN, ACME, id, KeyEdit.suspend()));
      refused(NotFoundException.class, () -> keys.revealSecret(ADMIN, ACME, id));
      assertVerdict("globex", globex, Status.VALID);
    }
  }

  // ================================================================== R3

  @Nested
  @SuitePart("R3 conservation: available = contracted - keys")
  class R3Conservation {

    @Test
    void usageShowsUsedAvailableAndTotalThroughCreateDeleteAndContract() {
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(0, 3, 3));
      List<IssuedKey> two = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2"));
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(2, 1, 3));
      keys.contractLicenses(OPERATOR, ACME, 2);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(2, 3, 5));
      keys.deleteKey(ADMIN, ACME, two.get(0).key().id());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 4, 5));
      keys.cancelLicenses(OPERATOR, ACME, 4);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 0, 1));
      assertThat(usage().used()).as("R3 conservation: R3 usage: used licenses").isEqualTo(keys.keys(ADMIN, ACME).size());
    }

    @Test
    void contractAndCancelReturnTheUsageAfterwards() {
      createKey("AQ-1");
      assertThat(keys.contractLicenses(OPERATOR, ACME, 7)).as("R3 conservation: keys.contractLicenses(OPERATOR, ACME, 7)").isEqualTo(new LicenseUsage(1, 9, 10));
      assertThat(keys.cancelLicenses(OPERATOR, ACME, 4)).as("R3 conservation: keys.cancelLicenses(OPERATOR, ACME, 4)").isEqualTo(new LicenseUsage(1, 5, 6));
    }

    @Test
    void everyMemberAndTheOperatorMayReadUsage() {
      createKey("AQ-1");
      LicenseUsage expected = new LicenseUsage(1, 2, 3);
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, OPERATOR)) {
        assertThat(keys.licenseUsage(a, ACME)).as(a.toString()).isEqualTo(expected);
      }
    }

    @Test
    void aNonMemberMayNotReadUsage() {
      refused(AccessDeniedException.class, () -> keys.licenseUsage(STRANGER, ACME));
      refused(AccessDeniedException.class, () -> keys.licenseUsage(GLOBEX_ADMIN, ACME));
    }
  }

  // ================================================================== R4

  @Nested
  @SuitePart("R4 batch create is all or nothing")
  class R4BatchAllOrNothing {

    @Test
    void theKeysTableKeepsTheOrderTheDevicesWereSelectedIn() {
      keys.contractLicenses(OPERATOR, ACME, 3);
      List<String> selected = List.of("AQ-5", "AQ-2", "AQ-6", "AQ-1", "AQ-3");
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices(selected));
      assertThat(issued).as("R4 batch create is all or nothing: issued").extracting(k -> k.key().deviceSerial()).containsExactlyElementsOf(selected);
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")); // a later batch at the same instant
      keys.regenerateKey(ADMIN, ACME, issued.get(0).key().id());
      keys.editKey(ADMIN, ACME, issued.get(1).key().id(), KeyEdit.label("lobby"));
      assertThat(keys.keys(ADMIN, ACME)).as("one creation instant, the selection's order")
          .extracting(ApiKey::deviceSerial).containsExactly("AQ-5", "AQ-2", "AQ-6", "AQ-1", "AQ-3", "AQ-4");
    }

    @Test
    void aBatchIssuesEveryKeyAndEveryKeyValidates() {
      keys.contractLicenses(OPERATOR, ACME, 3);
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME,
          NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5").withLabel("batch"));
      assertThat(issued).as("R4 batch create is all or nothing: issued").hasSize(5);
      assertThat(issued).as("R4 batch create is all or nothing: issued").extracting(k -> k.key().id()).doesNotHaveDuplicates();
      assertThat(issued).as("R4 batch create is all or nothing: issued").extracting(k -> k.secret().reveal()).doesNotHaveDuplicates();
      for (IssuedKey k : issued) {
        assertVerdict("k", k, Status.VALID);
        assertThat(k.key().label()).as("R4 batch create is all or nothing: k.key().label()").isEqualTo("batch");
        assertThat(k.key().status()).as("R4 batch create is all or nothing: k.key().status()").isEqualTo(KeyStatus.ACTIVE);
        assertThat(k.key().createdAt()).as("R4 batch create is all or nothing: k.key().createdAt()").isEqualTo(clock.instant());
      }
    }

    @Test
    void theShortfallErrorNamesEachDeviceAndNeededVersusAvailable() {
      LicenseLimitException e = refused(LicenseLimitException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5")));
      assertThat(e.needed()).as("R4 batch create is all or nothing: the licenses the refusal says are needed").isEqualTo(5);
      assertThat(e.available()).as("R4 batch create is all or nothing: the licenses the refusal says are available").isEqualTo(3);
      assertThat(e.getMessage()).as("R4 batch create is all or nothing: the refusal's message (what was refused and what to do)").contains("needs 5, 3 available").contains("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5");
      assertThat(e.deviceSerials()).as("R4 batch create is all or nothing: the devices the refusal names").containsExactly("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5");
      assertThat(keys.keys(ADMIN, ACME)).as("R4 batch create is all or nothing: the keys table of ACME").isEmpty();
    }

    @Test
    void unknownDevicesAreEachNamedAndNothingIsCreated() {
      NotFoundException e = refused(NotFoundException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "NOPE-1", "AQ-2", "GX-2")));
      assertThat(e.ids()).as("R4 batch create is all or nothing: the ids the refusal names").containsExactly("NOPE-1", "GX-2");
      assertThat(e.getMessage()).as("R4 batch create is all or nothing: the refusal's message (what was refused and what to do)").contains("NOPE-1", "GX-2").doesNotContain("AQ-1");
      assertThat(keys.keys(ADMIN, ACME)).as("R4 batch create is all or nothing: the keys table of ACME").isEmpty();
    }

    @Test
    void devicesThatHaveKeysAreEachNamedAndTheOthersGetNone() {
      keys.contractLicenses(OPERATOR, ACME, 3);
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2", "AQ-4"));
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3", "AQ-4")));
      assertThat(e.deviceSerials()).as("R4 batch create is all or nothing: the devices the refusal names").containsExactly("AQ-2", "AQ-4");
      assertThat(e.getMessage()).as("R4 batch create is all or nothing: the refusal's message (what was refused and what to do)").contains("AQ-2", "AQ-4");
      assertThat(keys.keys(ADMIN, ACME)).as("R4 batch create is all or nothing: the keys table of ACME").extracting(ApiKey::deviceSerial).containsExactlyInAnyOrder("AQ-2", "AQ-4");
    }

    @Test
    void aBatchThatFailsHalfwayInTheStoreLeavesNoTrace() {
      // Every draw of this "random" source is 0: every key gets id key_000... and the same secret,
      // so the store refuses the second key of a batch after accepting the first.
      SecureRandom stuck = new SecureRandom() {
        private static final long serialVersionUID = 1L;

        @Override
        public int nextInt(int bound) {
          return 0;
        }
      };
      use(Keyseat.builder(store).clock(clock).secureRandom(stuck).build());
      String onlySecret = wellFormedKey("0".repeat(27));
      refusedUnaudited(RuntimeException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2")));
      assertThat(status(onlySecret)).as("the first key of the failed batch").isEqualTo(Status.UNKNOWN);
      assertThat(keys.keys(ADMIN, ACME)).as("R4 batch create is all or nothing: the keys table of ACME").isEmpty();
      IssuedKey one = createKey("AQ-3");
      assertThat(one.secret().reveal()).as("R4 batch create is all or nothing: one.secret().reveal()").isEqualTo(onlySecret);
      assertVerdict("onlySecret", onlySecret, Status.VALID);
    }

    @Test
    void aRefusedBatchLeavesNoSecretThatValidates() {
      createKey("AQ-1");
      long feed = store.latestChangeSequence();
      refused(LicenseLimitException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2", "AQ-3", "AQ-4")));
      assertThat(store.changesSince(feed, 100)).as("R4 batch create is all or nothing: store.changesSince(feed, 100)").isEmpty();
      assertThat(keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2", "AQ-3"))).as("R4 batch create is all or nothing: keys.createKeys(ADMIN, ACME, NewKeys.forDevices(\"AQ-2\", \"AQ-3\"))").hasSize(2);
    }
  }

  // ================================================================== R5

  @Nested
  @SuitePart("R5 delete frees the license at once")
  class R5DeleteFrees {

    @Test
    void deletingAKeyFreesItsLicenseForAnotherDevice() {
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      keys.deleteKey(ADMIN, ACME, issued.get(1).key().id());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(2, 1, 3));
      IssuedKey reused = createKey("AQ-4");
      assertVerdict("reused", reused, Status.VALID);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(3, 0, 3));
    }

    @Test
    void aDeletedKeysSecretIsUnknownAtOnce() {
      IssuedKey key = createKey("AQ-1");
      assertVerdict("key", key, Status.VALID);
      keys.deleteKey(ADMIN, ACME, key.key().id());
      assertVerdict("key", key, Status.UNKNOWN);
      assertThat(keys.keys(ADMIN, ACME)).as("R5 delete frees the license at once: the keys table of ACME").isEmpty();
    }

    @Test
    void deletingARegeneratedKeyKillsTheOldSecretInItsOverlapToo() {
      IssuedKey key = createKey("AQ-1");
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofHours(1));
      assertVerdict("key", key, Status.VALID);
      keys.deleteKey(ADMIN, ACME, key.key().id());
      assertVerdict("key", key, Status.UNKNOWN);
      assertVerdict("renewed", renewed, Status.UNKNOWN);
    }

    @Test
    void theDeviceCanGetANewKeyAfterItsKeyIsDeleted() {
      IssuedKey first = createKey("AQ-1");
      keys.deleteKey(ADMIN, ACME, first.key().id());
      IssuedKey second = createKey("AQ-1");
      assertThat(second.key().id()).as("R5 delete frees the license at once: second.key().id()").isNotEqualTo(first.key().id());
      assertVerdict("first", first, Status.UNKNOWN);
      assertVerdict("second", second, Status.VALID);
    }

    @Test
    void deletingTwiceIsNotFound() {
      IssuedKey key = createKey("AQ-1");
      keys.deleteKey(ADMIN, ACME, key.key().id());
      NotFoundException e = refused(NotFoundException.class, () -> keys.deleteKey(ADMIN, ACME, key.key().id()));
      assertThat(e.ids()).as("R5 delete frees the license at once: the ids the refusal names").containsExactly(key.key().id().value());
    }
  }

  // ================================================================== R6

  @Nested
  @SuitePart("R6 regenerate in place")
  class R6Regenerate {

    @Test
    void regeneratingKeepsIdDeviceAndLicenseAndIssuesANewSecret() {
      IssuedKey key = createKey("AQ-1");
      clock.advance(Duration.ofMinutes(5));
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id());
      assertThat(renewed.key().id()).as("R6 regenerate in place: renewed.key().id()").isEqualTo(key.key().id());
      assertThat(renewed.key().deviceSerial()).as("R6 regenerate in place: renewed.key().deviceSerial()").isEqualTo("AQ-1");
      assertThat(renewed.key().createdAt()).as("R6 regenerate in place: renewed.key().createdAt()").isEqualTo(key.key().createdAt());
      assertThat(renewed.key().regeneratedAt()).as("R6 regenerate in place: renewed.key().regeneratedAt()").isEqualTo(clock.instant());
      assertThat(renewed.secret()).as("R6 regenerate in place: renewed.secret()").isNotEqualTo(key.secret());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 2, 3));
      assertThat(keys.keys(ADMIN, ACME)).as("R6 regenerate in place: the keys table of ACME").extracting(ApiKey::id).containsExactly(key.key().id());
      Verdict v = validator.validate(renewed.secret().reveal(), "AQ-1");
      assertThat(v.status()).as("R6 regenerate in place: v.status()").isEqualTo(Status.VALID);
      assertThat(v.keyId()).as("R6 regenerate in place: v.keyId()").isEqualTo(key.key().id());
    }

    @Test
    void theOldSecretIsRevokedAtOnceByDefault() {
      IssuedKey key = createKey("AQ-1");
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id());
      assertVerdict("key", key, Status.REVOKED);
      assertVerdict("renewed", renewed, Status.VALID);
      assertThat(validator.validate(key.secret().reveal()).keyId()).as("R6 regenerate in place: validator.validate(key.secret().reveal()).keyId()").isEqualTo(key.key().id());
    }

    @Test
    void withAnOverlapTheOldSecretStaysValidUntilTheOverlapEnds() {
      IssuedKey key = createKey("AQ-1");
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofHours(1));
      assertVerdict("key", key, Status.VALID);
      assertVerdict("renewed", renewed, Status.VALID);
      clock.advance(Duration.ofMinutes(59));
      assertVerdict("key", key, Status.VALID);
      clock.advance(Duration.ofMinutes(1));
      assertVerdict("key", key, Status.REVOKED);
      assertVerdict("renewed", renewed, Status.VALID);
    }

    @Test
    void theMaximumOverlapOfSevenDaysIsAllowed() {
      IssuedKey key = createKey("AQ-1");
      keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofDays(7));
      clock.advance(Duration.ofDays(7).minusSeconds(1));
      assertVerdict("key", key, Status.VALID);
      clock.advance(Duration.ofSeconds(1));
      assertVerdict("key", key, Status.REVOKED);
    }

    @Test
    void anOverlapAboveTheMaximumIsRefused() {
      IssuedKey key = createKey("AQ-1");
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofDays(7).plusSeconds(1)));
      assertThat(fields(e)).as("R6 regenerate in place: the fields the refusal names").containsExactly("overlap");
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aConfiguredMaximumOverlapIsEnforced() {
      use(Keyseat.builder(store).clock(clock).maxRegenerationOverlap(Duration.ofHours(1)).build());
      IssuedKey key = createKey("AQ-1");
      refused(InvalidRequestException.class,
          () -> keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofMinutes(61)));
      keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofMinutes(60));
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aSecondRegenerationEndsTheFirstSecretForGood() {
      IssuedKey key = createKey("AQ-1");
      IssuedKey second = keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofHours(1));
      IssuedKey third = keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofHours(1));
      assertThat(status(key)).as("R6 regenerate in place: status(key)").isIn(Status.UNKNOWN, Status.REVOKED);
      assertVerdict("second", second, Status.VALID);
      assertVerdict("third", third, Status.VALID);
      keys.regenerateKey(ADMIN, ACME, key.key().id());
      assertThat(status(second)).as("R6 regenerate in place: status(second)").isIn(Status.UNKNOWN, Status.REVOKED);
      assertVerdict("third", third, Status.REVOKED);
    }

    @Test
    void regeneratingKeepsLabelExpiryAndSuspension() {
      Instant expiry = clock.instant().plus(Duration.ofDays(30));
      IssuedKey key = keys.createKeys(ADMIN, ACME,
          NewKeys.forDevices("AQ-1").withLabel("lobby").withExpiresAt(expiry)).get(0);
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.suspend());
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id());
      assertThat(renewed.key().label()).as("R6 regenerate in place: renewed.key().label()").isEqualTo("lobby");
      assertThat(renewed.key().expiresAt()).as("R6 regenerate in place: renewed.key().expiresAt()").isEqualTo(expiry);
      assertThat(renewed.key().status()).as("R6 regenerate in place: renewed.key().status()").isEqualTo(KeyStatus.SUSPENDED);
      assertVerdict("renewed", renewed, Status.SUSPENDED);
    }
  }

  // ================================================================== R7

  @Nested
  @SuitePart("R7 edit: label, expiry, suspension, rebinding")
  class R7Edit {

    @Test
    void editingTheLabelKeepsSecretAndLicense() {
      IssuedKey key = createKey("AQ-1");
      ApiKey edited = keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label("Lobby monitor"));
      assertThat(edited.label()).as("R7 edit: edited.label()").isEqualTo("Lobby monitor");
      assertThat(row(key.key().id()).label()).as("R7 edit: row(key.key().id()).label()").isEqualTo("Lobby monitor");
      assertVerdict("key", key, Status.VALID);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 2, 3));
    }

    @Test
    void aKeyExpiresWhenTheClockPassesItsExpiry() {
      IssuedKey key = createKey("AQ-1");
      Instant expiry = clock.instant().plus(Duration.ofHours(1));
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.expiresAt(expiry));
      clock.advance(Duration.ofMinutes(59));
      assertVerdict("key", key, Status.VALID);
      assertThat(row(key.key().id()).status()).as("R7 edit: row(key.key().id()).status()").isEqualTo(KeyStatus.ACTIVE);
      clock.advance(Duration.ofMinutes(1));
      assertVerdict("key", key, Status.EXPIRED);
      assertThat(row(key.key().id()).status()).as("R7 edit: row(key.key().id()).status()").isEqualTo(KeyStatus.EXPIRED);
      assertThat(usage()).as("an expired key keeps its license").isEqualTo(new LicenseUsage(1, 2, 3));
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.noExpiry());
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void anExpiryGivenAtCreationApplies() {
      Instant expiry = clock.instant().plus(Duration.ofDays(1));
      IssuedKey key = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1").withExpiresAt(expiry)).get(0);
      assertThat(key.key().expiresAt()).as("R7 edit: key.key().expiresAt()").isEqualTo(expiry);
      clock.advance(Duration.ofDays(1));
      assertVerdict("key", key, Status.EXPIRED);
    }

    @Test
    void aSuspendedKeyIsSuspendedUntilResumed() {
      IssuedKey key = createKey("AQ-1");
      ApiKey suspended = keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.suspend());
      assertThat(suspended.status()).as("R7 edit: suspended.status()").isEqualTo(KeyStatus.SUSPENDED);
      assertVerdict("key", key, Status.SUSPENDED);
      assertThat(usage()).as("a suspended key keeps its license").isEqualTo(new LicenseUsage(1, 2, 3));
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.resume());
      assertVerdict("key", key, Status.VALID);
      assertThat(row(key.key().id()).status()).as("R7 edit: row(key.key().id()).status()").isEqualTo(KeyStatus.ACTIVE);
    }

    @Test
    void rebindingToAKeylessDeviceMovesTheKeyAndValidationFollows() {
      IssuedKey key = createKey("AQ-1");
      ApiKey moved = keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.rebindTo("AQ-2"));
      assertThat(moved.id()).as("R7 edit: moved.id()").isEqualTo(key.key().id());
      assertThat(moved.deviceSerial()).as("R7 edit: moved.deviceSerial()").isEqualTo("AQ-2");
      assertThat(moved.deviceName()).as("R7 edit: moved.deviceName()").isEqualTo("Monitor 2");
      Verdict onNew = validator.validate(key.secret().reveal(), "AQ-2");
      assertThat(onNew.status()).as("R7 edit: onNew.status()").isEqualTo(Status.VALID);
      assertThat(onNew.deviceSerial()).as("R7 edit: onNew.deviceSerial()").isEqualTo("AQ-2");
      assertThat(validator.validate(key.secret().reveal(), "AQ-1").status()).as(RuleWords.verdict("key's secret presented for AQ-1", Status.DEVICE_MISMATCH)).isEqualTo(Status.DEVICE_MISMATCH);
      assertThat(usage()).as("the license stays assigned").isEqualTo(new LicenseUsage(1, 2, 3));
      IssuedKey forOld = createKey("AQ-1");
      assertVerdict("forOld", forOld, Status.VALID);
    }

    @Test
    void rebindingToADeviceThatHasAKeyIsRefused() {
      IssuedKey one = createKey("AQ-1");
      createKey("AQ-2");
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.editKey(ADMIN, ACME, one.key().id(), KeyEdit.rebindTo("AQ-2")));
      assertThat(e.deviceSerials()).as("R7 edit: the devices the refusal names").containsExactly("AQ-2");
      assertThat(validator.validate(one.secret().reveal(), "AQ-1").status()).as(RuleWords.verdict("one's secret presented for AQ-1", Status.VALID)).isEqualTo(Status.VALID);
    }

    @Test
    void rebindingToADeviceOfAnotherAccountIsRefused() {
      IssuedKey one = createKey("AQ-1");
      NotFoundException e = refused(NotFoundException.class,
          () -> keys.editKey(ADMIN, ACME, one.key().id(), KeyEdit.rebindTo("GX-1")));
      assertThat(e.ids()).as("R7 edit: the ids the refusal names").containsExactly("GX-1");
    }

    @Test
    void aRefusedEditChangesNothingEvenWhenItAlsoSetsALabel() {
      IssuedKey one = createKey("AQ-1");
      createKey("AQ-2");
      refused(DeviceAlreadyHasKeyException.class, () -> keys.editKey(ADMIN, ACME, one.key().id(),
          KeyEdit.rebindTo("AQ-2").withLabel("should not stick")));
      assertThat(row(one.key().id()).label()).as("R7 edit: row(one.key().id()).label()").isEmpty();
    }

    @Test
    void editingNeverChangesTheSecretOrTheLicense() {
      IssuedKey key = createKey("AQ-1");
      String hint = key.key().hint();
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label("a"));
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.expiresAt(clock.instant().plus(Duration.ofDays(3))));
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.suspend());
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.resume());
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.rebindTo("AQ-3"));
      assertThat(row(key.key().id()).hint()).as("R7 edit: row(key.key().id()).hint()").isEqualTo(hint);
      assertVerdict("key", key, Status.VALID);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 2, 3));
    }
  }

  // ================================================================== R8

  /** A caller who must not manage keys in {@link #ACME}. */
  enum Intruder {
    MANAGER, VIEWER, NON_MEMBER, OPERATOR;

    Actor actor() {
      return switch (this) {
        case MANAGER -> KeyManagerContract.MANAGER;
        case VIEWER -> KeyManagerContract.VIEWER;
        case NON_MEMBER -> STRANGER;
        case OPERATOR -> KeyManagerContract.OPERATOR;
      };
    }
  }

  /** Every key operation, and reading the audit log, with the action it is audited as. */
  enum KeyOperation {
    LIST_KEYS(Action.LIST_KEYS, (m, a, id) -> m.keys(a, ACME)),
    LIST_UNUSED_KEYS(Action.LIST_KEYS,
        (m, a, id) -> m.keysUnusedSince(a, ACME, Instant.parse("2030-01-01T00:00:00Z"))),
    CREATE_KEYS(Action.CREATE_KEYS, (m, a, id) -> m.createKeys(a, ACME, NewKeys.forDevices("AQ-5"))),
    REVEAL_SECRET(Action.REVEAL_KEY, (m, a, id) -> m.revealSecret(a, ACME, id)),
    REGENERATE(Action.REGENERATE_KEY, (m, a, id) -> m.regenerateKey(a, ACME, id)),
    REGENERATE_WITH_OVERLAP(Action.REGENERATE_KEY, (m, a, id) -> m.regenerateKey(a, ACME, id, Duration.ofHours(1))),
    EDIT_LABEL(Action.EDIT_KEY, (m, a, id) -> m.editKey(a, ACME, id, KeyEdit.label("mine now"))),
    SUSPEND(Action.EDIT_KEY, (m, a, id) -> m.editKey(a, ACME, id, KeyEdit.suspend())),
    REBIND(Action.EDIT_KEY, (m, a, id) -> m.editKey(a, ACME, id, KeyEdit.rebindTo("AQ-6"))),
    DELETE(Action.DELETE_KEY, (m, a, id) -> m.deleteKey(a, ACME, id)),
    READ_AUDIT_LOG(Action.READ_AUDIT, (m, a, id) -> m.auditLog(a, ACME, Long.MAX_VALUE, 10)),
    KEY_USAGE_CHART(Action.LIST_KEYS, (m, a, id) -> m.keyUsageDaily(a, ACME, id, 30)),
    ACCOUNT_USAGE_CHART(Action.LIST_KEYS, (m, a, id) -> m.accountUsageDaily(a, ACME, 30));

    final Action action;
    // A constant lambda per operation; the checker cannot see that an interface's lambdas hold no state.
    @SuppressWarnings("ImmutableEnumChecker")
    private final Call call;

    KeyOperation(Action action, Call call) {
      this.action = action;
      this.call = call;
    }

    void run(KeyManager m, Actor actor, KeyId existingKey) {
      call.run(m, actor, existingKey);
    }

    /** What an operation calls. */
    private interface Call {
      void run(KeyManager m, Actor actor, KeyId existingKey);
    }
  }

  static Stream<Arguments> keyOperationsByIntruders() {
    return Arrays.stream(KeyOperation.values())
        .flatMap(op -> Arrays.stream(Intruder.values()).map(who -> Arguments.of(op, who)));
  }

  @Nested
  @SuitePart("R8 roles")
  class R8Roles {

    @Test
    void anOutsiderIsToldOnlyThatAccessIsDenied() {
      for (ThrowingCallable call : List.<ThrowingCallable>of(() -> keys.keys(STRANGER, ACME),
          () -> keys.devices(STRANGER, ACME), () -> keys.licenseUsage(STRANGER, ACME))) {
        AccessDeniedException e = refused(AccessDeniedException.class, call);
        assertThat(e.getMessage()).as("R8 roles: the refusal's message (what was refused and what to do)").contains("access denied").doesNotContain("member");
      }
    }

    @ParameterizedTest(name = "{1} may not {0}")
    @MethodSource("dev.keyseat.testkit.KeyManagerContract#keyOperationsByIntruders")
    void onlyAdminsManageKeysAndReadTheAuditLog(KeyOperation op, Intruder intruder) {
      useVault();
      IssuedKey key = createKey("AQ-1");
      AccessDeniedException e = refused(AccessDeniedException.class,
          () -> op.run(keys, intruder.actor(), key.key().id()));
      assertThat(e.getMessage()).as("R8 roles: the refusal's message (what was refused and what to do)").contains(intruder == Intruder.OPERATOR ? "operator" : intruder.actor().toString());
      AuditEntry entry = audit(ACME).get(0);
      assertThat(entry.actor()).as("R8 roles: entry.actor()").isEqualTo(intruder.actor().toString());
      assertThat(entry.action()).as("R8 roles: entry.action()").isEqualTo(op.action);
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void anAdminMayDoEveryKeyOperation() {
      useVault();
      for (KeyOperation op : KeyOperation.values()) {
        for (ApiKey k : keys.keys(ADMIN, ACME)) {
          keys.deleteKey(ADMIN, ACME, k.id());
        }
        IssuedKey key = createKey("AQ-1");
        List<AuditEntry> before = audit(ACME);
        op.run(keys, ADMIN, key.key().id());
        List<AuditEntry> added = audit(ACME).subList(0, audit(ACME).size() - before.size());
        assertThat(added).as(op.name()).allMatch(a -> a.outcome() == Outcome.SUCCESS && a.actor().equals("user:alice"));
        if (op.action != Action.LIST_KEYS && op.action != Action.READ_AUDIT) {
          assertThat(added).as(op.name()).extracting(AuditEntry::action).containsExactly(op.action);
        }
      }
    }

    @Test
    void managersMayAssociateAndRenameDevices() {
      Device d = keys.associateDevice(MANAGER, ACME, new NewDevice("AQ-7", "Kitchen", "Indoor Air Monitor"));
      assertThat(d.accountId()).as("R8 roles: d.accountId()").isEqualTo(ACME);
      Device renamed = keys.renameDevice(MANAGER, ACME, "AQ-7", "Kitchen north");
      assertThat(renamed.name()).as("R8 roles: renamed.name()").isEqualTo("Kitchen north");
      assertThat(keys.devices(MANAGER, ACME)).as("R8 roles: the devices of ACME").extracting(Device::name).contains("Kitchen north");
      assertThat(audit(ACME).get(0).actor()).as("R8 roles: the audit log of ACME").isEqualTo("user:mona");
    }

    @Test
    void managersMayNotDissociateDevicesOrManageMembers() {
      refused(AccessDeniedException.class, () -> keys.dissociateDevice(MANAGER, ACME, "AQ-1"));
      refused(AccessDeniedException.class, () -> keys.addMember(MANAGER, ACME, UserId.of("zoe"), Role.ADMIN));
      refused(AccessDeniedException.class, () -> keys.changeRole(MANAGER, ACME, UserId.of("mona"), Role.ADMIN));
    }

    @Test
    void viewersReadDevicesAndMembersButChangeNothing() {
      assertThat(keys.devices(VIEWER, ACME)).as("R8 roles: the devices of ACME").extracting(Device::serial)
          .containsExactly("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5", "AQ-6");
      assertThat(keys.members(VIEWER, ACME)).as("R8 roles: the members of ACME").extracting(m -> m.userId().value())
          .containsExactly("alice", "mona", "victor");
      refused(AccessDeniedException.class, () -> keys.associateDevice(VIEWER, ACME, new NewDevice("AQ-7", "x")));
      refused(AccessDeniedException.class, () -> keys.renameDevice(VIEWER, ACME, "AQ-1", "x"));
      refused(AccessDeniedException.class, () -> keys.dissociateDevice(VIEWER, ACME, "AQ-1"));
    }

    @Test
    void nonMembersAndTheOperatorMayNotReadOrChangeDevices() {
      refused(AccessDeniedException.class, () -> keys.devices(STRANGER, ACME));
      refused(AccessDeniedException.class, () -> keys.devices(OPERATOR, ACME));
      refused(AccessDeniedException.class, () -> keys.devices(GLOBEX_ADMIN, ACME));
      refused(AccessDeniedException.class, () -> keys.associateDevice(STRANGER, ACME, new NewDevice("AQ-7", "x")));
      refused(AccessDeniedException.class, () -> keys.members(STRANGER, ACME));
    }

    @Test
    void theLastAdminCannotBeRemoved() {
      LastAdminException e = refused(LastAdminException.class,
          () -> keys.removeMember(ADMIN, ACME, UserId.of("alice")));
      assertThat(e.getMessage()).as("R8 roles: the refusal's message (what was refused and what to do)").contains("alice");
    }

    @Test
    void theLastAdminCannotBeDemoted() {
      refused(LastAdminException.class, () -> keys.changeRole(ADMIN, ACME, UserId.of("alice"), Role.MANAGER));
      refused(LastAdminException.class, () -> keys.changeRole(ADMIN, ACME, UserId.of("alice"), Role.VIEWER));
    }

    @Test
    void anAdminCanBeDemotedOrRemovedWhileAnotherRemains() {
      keys.changeRole(ADMIN, ACME, UserId.of("mona"), Role.ADMIN);
      keys.changeRole(MANAGER, ACME, UserId.of("alice"), Role.VIEWER);
      refused(LastAdminException.class, () -> keys.removeMember(MANAGER, ACME, UserId.of("mona")));
      keys.removeMember(MANAGER, ACME, UserId.of("alice"));
      assertThat(keys.members(MANAGER, ACME)).as("R8 roles: the members of ACME").extracting(Member::role).containsOnly(Role.ADMIN, Role.VIEWER)
          .containsOnlyOnce(Role.ADMIN);
    }

    @Test
    void theRoleIsLookedUpOnEveryCall() {
      IssuedKey key = createKey("AQ-1");
      keys.changeRole(ADMIN, ACME, UserId.of("mona"), Role.ADMIN);
      keys.editKey(MANAGER, ACME, key.key().id(), KeyEdit.label("by mona"));
      keys.changeRole(ADMIN, ACME, UserId.of("mona"), Role.VIEWER);
      refused(AccessDeniedException.class, () -> keys.editKey(MANAGER, ACME, key.key().id(), KeyEdit.label("no")));
      keys.removeMember(ADMIN, ACME, UserId.of("mona"));
      refused(AccessDeniedException.class, () -> keys.devices(MANAGER, ACME));
    }

    @Test
    void anAdminOfAnotherAccountHasNoRightsHere() {
      IssuedKey key = createKey("AQ-1");
      refused(AccessDeniedException.class, () -> keys.keys(GLOBEX_ADMIN, ACME));
      refused(AccessDeniedException.class, () -> keys.deleteKey(GLOBEX_ADMIN, ACME, key.key().id()));
      assertVerdict("key", key, Status.VALID);
    }
  }

  // ================================================================== R9

  @Nested
  @SuitePart("R9 license changes")
  class R9LicenseChanges {

    @Test
    void everyOperationThatSetsTheTotalHoldsItToOneDocumentedMaximum() {
      int max = Account.MAX_LICENSES;
      AccountId initech = AccountId.of("initech");
      for (int licenses : new int[] {max + 1, Integer.MAX_VALUE}) {
        InvalidRequestException e = refusedUnaudited(InvalidRequestException.class,
            () -> keys.createAccount(OPERATOR, initech, new NewAccount("Initech", UserId.of("ian"), licenses)));
        assertThat(fields(e)).as("R9 license changes: the fields the refusal names").containsExactly("command.licenses");
        assertThat(e.violations().get(0).message()).as("R9 license changes: the violations the refusal lists").contains("1,000,000");
      }
      assertThat(keys.createAccount(OPERATOR, initech, new NewAccount("Initech", UserId.of("ian"), max))
          .contractedLicenses()).isEqualTo(max);
      InvalidRequestException e = refusedIn(initech, InvalidRequestException.class,
          () -> keys.contractLicenses(OPERATOR, initech, 1));
      assertThat(fields(e)).as("R9 license changes: the fields the refusal names").containsExactly("quantity");
      assertThat(e.violations().get(0).message()).as("R9 license changes: the violations the refusal lists").contains("1,000,000");

      assertThat(keys.contractLicenses(OPERATOR, ACME, max - 3).total()).as("R9 license changes: keys.contractLicenses(OPERATOR, ACME, max - 3).total()").isEqualTo(max);
      e = refused(InvalidRequestException.class, () -> keys.contractLicenses(OPERATOR, ACME, 1));
      assertThat(fields(e)).as("R9 license changes: the fields the refusal names").containsExactly("quantity");
      assertThat(e.violations().get(0).message()).as("R9 license changes: the violations the refusal lists").contains("1,000,000");
    }

    @Test
    void onlyTheOperatorContractsLicenses() {
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, STRANGER)) {
        refused(AccessDeniedException.class, () -> keys.contractLicenses(a, ACME, 1));
      }
      assertThat(keys.contractLicenses(OPERATOR, ACME, 1).total()).as("R9 license changes: keys.contractLicenses(OPERATOR, ACME, 1).total()").isEqualTo(4);
    }

    @Test
    void onlyTheOperatorCancelsLicenses() {
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, STRANGER)) {
        refused(AccessDeniedException.class, () -> keys.cancelLicenses(a, ACME, 1));
      }
      assertThat(keys.cancelLicenses(OPERATOR, ACME, 1).total()).as("R9 license changes: keys.cancelLicenses(OPERATOR, ACME, 1).total()").isEqualTo(2);
    }

    @Test
    void onlyTheOperatorCreatesAccounts() {
      AccessDeniedException e = refusedUnaudited(AccessDeniedException.class,
          () -> keys.createAccount(ADMIN, AccountId.of("initech"), new NewAccount("Initech", UserId.of("alice"), 5)));
      assertThat(e.getMessage()).as("R9 license changes: the refusal's message (what was refused and what to do)").contains("operator");
      refusedUnaudited(NotFoundException.class, () -> keys.licenseUsage(OPERATOR, AccountId.of("initech")));
    }

    @Test
    void anAccountIdCannotBeTakenTwice() {
      refused(AlreadyExistsException.class,
          () -> keys.createAccount(OPERATOR, ACME, new NewAccount("Acme again", UserId.of("zoe"), 100)));
      assertThat(usage().total()).as("R9 license changes: R3 usage: total licenses").isEqualTo(3);
    }

    @Test
    void cancellingFreeLicensesSucceeds() {
      createKey("AQ-1");
      assertThat(keys.cancelLicenses(OPERATOR, ACME, 2)).as("R9 license changes: keys.cancelLicenses(OPERATOR, ACME, 2)").isEqualTo(new LicenseUsage(1, 0, 1));
    }

    @Test
    void cancellingBelowTheKeysInUseIsRefusedWithHowManyKeysToDelete() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      LicensesInUseException e = refused(LicensesInUseException.class,
          () -> keys.cancelLicenses(OPERATOR, ACME, 2));
      assertThat(e.keysToDelete()).as("R9 license changes: the keys the refusal says to delete first").isEqualTo(2);
      assertThat(e.getMessage()).as("R9 license changes: the refusal's message (what was refused and what to do)").contains("delete 2 keys first");
      refused(LicensesInUseException.class, () -> keys.cancelLicenses(OPERATOR, ACME, 1, OverLimitStrategy.REJECT));
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(3, 0, 3));
    }

    @Test
    void markOverLimitBlocksNewKeysUntilTheAccountIsBackUnder() {
      List<IssuedKey> three = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      LicenseUsage after = keys.cancelLicenses(OPERATOR, ACME, 2, OverLimitStrategy.MARK_OVER_LIMIT);
      assertThat(after).as("R9 license changes: after").isEqualTo(new LicenseUsage(3, 0, 1));
      assertThat(after.overLimit()).as("R9 license changes: after.overLimit()").isTrue();
      for (IssuedKey k : three) {
        assertVerdict("k", k, Status.VALID);
      }
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      keys.deleteKey(ADMIN, ACME, three.get(0).key().id());
      keys.deleteKey(ADMIN, ACME, three.get(1).key().id());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 0, 1));
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      keys.deleteKey(ADMIN, ACME, three.get(2).key().id());
      assertThat(status(createKey("AQ-4"))).as("R9 license changes: status(createKey(\"AQ-4\"))").isEqualTo(Status.VALID);
    }

    @Test
    void suspendNewestSuspendsTheNewestKeysAboveTheNewTotal() {
      IssuedKey oldest = createKey("AQ-1");
      clock.advance(Duration.ofMinutes(1));
      IssuedKey middle = createKey("AQ-2");
      clock.advance(Duration.ofMinutes(1));
      IssuedKey newest = createKey("AQ-3");
      LicenseUsage after = keys.cancelLicenses(OPERATOR, ACME, 2, OverLimitStrategy.SUSPEND_NEWEST);
      assertThat(after).as("R9 license changes: after").isEqualTo(new LicenseUsage(3, 0, 1));
      assertVerdict("oldest", oldest, Status.VALID);
      assertVerdict("middle", middle, Status.SUSPENDED);
      assertVerdict("newest", newest, Status.SUSPENDED);
      assertThat(keys.keys(ADMIN, ACME)).as("R9 license changes: the keys table of ACME").extracting(ApiKey::status)
          .containsExactly(KeyStatus.ACTIVE, KeyStatus.SUSPENDED, KeyStatus.SUSPENDED);
      refused(LicenseLimitException.class, () -> keys.editKey(ADMIN, ACME, newest.key().id(), KeyEdit.resume()));
      refused(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4")));
      keys.deleteKey(ADMIN, ACME, oldest.key().id());
      keys.deleteKey(ADMIN, ACME, middle.key().id());
      keys.contractLicenses(OPERATOR, ACME, 1);
      keys.editKey(ADMIN, ACME, newest.key().id(), KeyEdit.resume());
      assertVerdict("newest", newest, Status.VALID);
    }

    @ParameterizedTest
    @EnumSource(value = OverLimitStrategy.class, names = {"MARK_OVER_LIMIT", "SUSPEND_NEWEST"})
    void keysAreNeverDeletedByACancellation(OverLimitStrategy strategy) {
      List<IssuedKey> three = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      keys.cancelLicenses(OPERATOR, ACME, 3, strategy);
      assertThat(keys.keys(ADMIN, ACME)).as("R9 license changes: the keys table of ACME").extracting(ApiKey::id)
          .containsExactlyInAnyOrderElementsOf(three.stream().map(k -> k.key().id()).toList());
      for (IssuedKey k : three) {
        assertThat(status(k)).as("R9 license changes: status(k)").isNotEqualTo(Status.UNKNOWN);
      }
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(3, 0, 0));
    }
  }

  /** Issue 16: licenses as grants with terms, renewals and expiry, and the seat reuse limit (R1, R3, R9). */
  @Nested
  class R9LicenseGrants {
    private static final Duration DAY = Duration.ofDays(1);

    private License term(int quantity, Duration from, Duration until) {
      Instant now = clock.instant();
      return keys.grantLicenses(OPERATOR, ACME, NewLicense.term(quantity, now.plus(from), now.plus(until), "order 4711"));
    }

    private List<String> createKeys(String... serials) {
      return keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serials)).stream()
          .map(k -> k.secret().reveal()).toList();
    }

    @Test
    void aGrantCountsFromItsStartUntilItsEndAndTheUsageSaysWhenLicensesEnd() {
      License g = term(2, DAY, DAY.multipliedBy(31));
      assertThat(g.reference()).as("R9 license grants: g.reference()").isEqualTo("order 4711");
      assertThat(g.createdBy()).as("R9 license grants: g.createdBy()").isEqualTo(OPERATOR.toString());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(0, 3, 3));

      clock.advance(DAY);
      LicenseUsage during = keys.licenseUsage(VIEWER, ACME);
      assertThat(during).as("R9 license grants: during").isEqualTo(LicenseUsage.of(0, 5, 2, g.end()));
      assertThat(during.toString()).as("R9 license grants: during.toString()").contains("2 licenses end on " + g.end());

      clock.advance(DAY.multipliedBy(30)); // the end passes: the total drops at that instant
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(0, 3, 3));
      assertThat(keys.licenses(VIEWER, ACME)).as("R9 license grants: the license grants of ACME").extracting(License::quantity).containsExactly(3, 2);
    }

    @Test
    void contractingAndCancellingCreateAndShortenOpenEndedGrantsAndNothingIsDeleted() {
      keys.contractLicenses(OPERATOR, ACME, 2);
      assertThat(keys.licenses(OPERATOR, ACME)).as("R9 license grants: the license grants of ACME").extracting(License::quantity, License::end)
          .containsExactlyInAnyOrder(tuple(3, null), tuple(2, null));
      clock.advance(Duration.ofMinutes(1));
      assertThat(keys.cancelLicenses(OPERATOR, ACME, 4).total()).as("R9 license grants: keys.cancelLicenses(OPERATOR, ACME, 4).total()").isEqualTo(1);

      List<License> history = keys.licenses(OPERATOR, ACME);
      assertThat(history).as("R9 license grants: history").hasSize(3);
      assertThat(history).filteredOn(l -> l.activeAt(clock.instant())).as("R9 license grants: history).filteredOn(l -> l.activeAt(clock.instant())").singleElement()
          .satisfies(l -> assertThat(l.quantity()).isEqualTo(1));
      assertThat(history).filteredOn(l -> !l.activeAt(clock.instant())).as("R9 license grants: history).filteredOn(l -> !l.activeAt(clock.instant())").extracting(License::end)
          .containsOnly(clock.instant());
      assertThat(keys.accounts(OPERATOR, null, 10).accounts()).filteredOn(a -> a.account().id().equals(ACME))
          .singleElement().satisfies(a -> assertThat(a.usage().total()).isEqualTo(1));
    }

    @Test
    void anExpiryMarksTheAccountOverItsLimitByDefaultAndDeletesNothing() {
      term(2, Duration.ZERO, DAY.multipliedBy(10));
      List<String> secrets = createKeys("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5");
      clock.advance(DAY.multipliedBy(10));

      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(5, 0, 3));
      assertThat(usage().overLimit()).as("R9 license grants: R3 usage: overLimit licenses").isTrue();
      LicenseLimitException e = refused(LicenseLimitException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-6")));
      assertThat(e.available()).as("R9 license grants: the licenses the refusal says are available").isZero();
      assertThat(secrets).as("R9 license grants: secrets").allMatch(k -> status(k) == Status.VALID);
      assertThat(keys.keys(ADMIN, ACME)).as("R9 license grants: the keys table of ACME").hasSize(5);
      keys.applyLicenseEnds(OPERATOR, ACME);
      assertThat(secrets).as("R9 license grants: secrets").allMatch(k -> status(k) == Status.VALID);
      assertThat(audit(ACME)).filteredOn(a -> a.action() == Action.LICENSES_EXPIRED)
          .isNotEmpty().allMatch(a -> a.actor().equals("platform:keyseat"));
      assertThat(accountsTotal()).as("R9 license grants: accountsTotal()").isEqualTo(3);
    }

    @Test
    void anExpiryUnderSuspendNewestSuspendsTheNewestKeysOnceAsThePlatformOnEveryNode() {
      keys.setLicensePolicy(OPERATOR, ACME, LicensePolicy.DEFAULT.onExpiry(OverLimitStrategy.SUSPEND_NEWEST));
      term(2, Duration.ZERO, DAY);
      List<String> secrets = createKeys("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5");
      KeyManager otherNode = Keyseat.builder(store).clock(clock).build().manager();
      clock.advance(DAY);

      keys.applyLicenseEnds(OPERATOR, ACME);
      assertThat(secrets.subList(0, 3)).as("R9 license grants: secrets.subList(0, 3)").allMatch(k -> status(k) == Status.VALID);
      assertThat(secrets.subList(3, 5)).as("R9 license grants: secrets.subList(3, 5)").allMatch(k -> status(k) == Status.SUSPENDED);
      assertThat(audit(ACME)).filteredOn(a -> a.action() == Action.SUSPEND_KEY).as("R9 license grants: the audit log of ACME").hasSize(2)
          .allMatch(a -> a.actor().equals("platform:keyseat"));

      int entries = audit(ACME).size();
      long feed = store.latestChangeSequence();
      otherNode.applyLicenseEnds(OPERATOR, ACME); // written once: nothing left to do
      keys.applyLicenseEnds(OPERATOR, ACME);
      assertThat(audit(ACME)).as("R9 license grants: the audit log of ACME").hasSize(entries);
      assertThat(store.latestChangeSequence()).as("R9 license grants: store.latestChangeSequence()").isEqualTo(feed);
      assertThat(keys.keys(ADMIN, ACME)).as("R9 license grants: the keys table of ACME").hasSize(5);
    }

    @Test
    void theNextManagementCallAppliesADueEndWithoutBeingAsked() {
      keys.setLicensePolicy(OPERATOR, ACME, LicensePolicy.DEFAULT.onExpiry(OverLimitStrategy.SUSPEND_NEWEST));
      term(1, Duration.ZERO, DAY);
      List<String> secrets = createKeys("AQ-1", "AQ-2", "AQ-3", "AQ-4");
      clock.advance(DAY.plusSeconds(1));
      keys.renameDevice(MANAGER, ACME, "AQ-6", "Roof");
      assertThat(status(secrets.get(3))).as("R9 license grants: status(secrets.get(3))").isEqualTo(Status.SUSPENDED);
      assertThat(secrets.subList(0, 3)).as("R9 license grants: secrets.subList(0, 3)").allMatch(k -> status(k) == Status.VALID);
    }

    @Test
    void rejectCannotBeTheExpiryStrategy() {
      refusedUnaudited(InvalidRequestException.class,
          () -> LicensePolicy.DEFAULT.onExpiry(OverLimitStrategy.REJECT));
      assertThat(keys.licensePolicy(VIEWER, ACME)).as("R9 license grants: keys.licensePolicy(VIEWER, ACME)").isEqualTo(LicensePolicy.DEFAULT);
      assertThat(LicensePolicy.DEFAULT.onExpiry()).as("R9 license grants: LicensePolicy.DEFAULT.onExpiry()").isEqualTo(OverLimitStrategy.MARK_OVER_LIMIT);
    }

    @Test
    void extendingRenewingAndShorteningMoveTheEnd() {
      License g = term(2, Duration.ZERO, DAY.multipliedBy(10));
      License extended = keys.changeLicenseTerm(OPERATOR, ACME, g.id(), g.end().plus(DAY.multipliedBy(10)));
      clock.advance(DAY.multipliedBy(15));
      assertThat(usage().total()).as("R9 license grants: R3 usage: total licenses").isEqualTo(5);
      clock.advance(DAY.multipliedBy(5));
      assertThat(usage().total()).as("R9 license grants: R3 usage: total licenses").isEqualTo(3);

      License renewed = keys.changeLicenseTerm(OPERATOR, ACME, g.id(), clock.instant().plus(DAY.multipliedBy(365)));
      assertThat(renewed.start()).as("R9 license grants: renewed.start()").isEqualTo(g.start());
      assertThat(usage().total()).as("a renewal counts again at once").isEqualTo(5);
      keys.changeLicenseTerm(OPERATOR, ACME, g.id(), clock.instant().plus(DAY));
      assertThat(usage().nextEnd()).as("R9 license grants: R3 usage: nextEnd licenses").isEqualTo(clock.instant().plus(DAY));
      assertThat(extended.end()).as("R9 license grants: extended.end()").isEqualTo(g.end().plus(DAY.multipliedBy(10)));

      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.changeLicenseTerm(OPERATOR, ACME, g.id(), clock.instant().minusSeconds(1)));
      assertThat(fields(e)).as("R9 license grants: the fields the refusal names").containsExactly("end");
      refused(NotFoundException.class,
          () -> keys.changeLicenseTerm(OPERATOR, ACME, dev.keyseat.LicenseId.of("lic_unknown00"), null));
    }

    @Test
    void endingAGrantEarlyUsesTheOverLimitStrategies() {
      License g = term(2, Duration.ZERO, DAY.multipliedBy(365));
      createKeys("AQ-1", "AQ-2", "AQ-3", "AQ-4", "AQ-5");

      LicensesInUseException e = refused(LicensesInUseException.class,
          () -> keys.endLicense(OPERATOR, ACME, g.id(), OverLimitStrategy.REJECT));
      assertThat(e.keysToDelete()).as("R9 license grants: the keys the refusal says to delete first").isEqualTo(2);
      assertThat(usage().total()).as("R9 license grants: R3 usage: total licenses").isEqualTo(5);

      LicenseUsage after = keys.endLicense(OPERATOR, ACME, g.id(), OverLimitStrategy.MARK_OVER_LIMIT);
      assertThat(after).as("R9 license grants: after").isEqualTo(new LicenseUsage(5, 0, 3));
      assertThat(keys.licenses(OPERATOR, ACME)).filteredOn(l -> l.id().equals(g.id())).as("R9 license grants: the license grants of ACME").singleElement()
          .satisfies(l -> assertThat(l.end()).isEqualTo(clock.instant()));
      refused(InvalidRequestException.class,
          () -> keys.endLicense(OPERATOR, ACME, g.id(), OverLimitStrategy.MARK_OVER_LIMIT));
      assertThat(keys.keys(ADMIN, ACME)).as("R9 license grants: the keys table of ACME").hasSize(5);
    }

    @Test
    void onlyTheOperatorGrantsChangesAndEndsAndAnyMemberReadsTheGrants() {
      License g = term(1, Duration.ZERO, DAY);
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, STRANGER)) {
        refused(AccessDeniedException.class, () -> keys.grantLicenses(a, ACME, NewLicense.openEnded(1)));
        refused(AccessDeniedException.class, () -> keys.changeLicenseTerm(a, ACME, g.id(), null));
        refused(AccessDeniedException.class, () -> keys.endLicense(a, ACME, g.id(), OverLimitStrategy.REJECT));
        refused(AccessDeniedException.class, () -> keys.setLicensePolicy(a, ACME, LicensePolicy.DEFAULT));
        refused(AccessDeniedException.class, () -> keys.applyLicenseEnds(a, ACME));
      }
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, OPERATOR)) {
        assertThat(keys.licenses(a, ACME)).as("R9 license grants: the license grants of ACME").extracting(License::id).contains(g.id());
        assertThat(keys.licenseUsage(a, ACME).nextEnd()).as("R9 license grants: keys.licenseUsage(a, ACME).nextEnd()").isEqualTo(g.end());
      }
      refused(AccessDeniedException.class, () -> keys.licenses(STRANGER, ACME));
      refused(AccessDeniedException.class, () -> keys.licenses(GLOBEX_ADMIN, ACME));
    }

    @Test
    void aGrantThatWouldBringTheTotalAboveTheMaximumAtSomeInstantIsRefused() {
      int max = Account.MAX_LICENSES;
      term(max - 3, DAY.multipliedBy(10), DAY.multipliedBy(20));
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.grantLicenses(OPERATOR, ACME, NewLicense.openEnded(1)));
      assertThat(e.violations().get(0).message()).as("R9 license grants: the violations the refusal lists").contains("1,000,000");
      assertThat(term(1, Duration.ZERO, DAY.multipliedBy(10)).quantity()).as("R9 license grants: term(1, Duration.ZERO, DAY.multipliedBy(10)).quantity()").isEqualTo(1);
      assertThat(term(5, DAY.multipliedBy(20), DAY.multipliedBy(30)).quantity()).as("R9 license grants: term(5, DAY.multipliedBy(20), DAY.multipliedBy(30)).quantity()").isEqualTo(5);
    }

    @Test
    void malformedGrantsAreRefusedWithEveryViolation() {
      Instant now = clock.instant();
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.grantLicenses(OPERATOR, ACME,
          new NewLicense(0, now.plus(DAY), now, "order\u202Eevil")));
      assertThat(fields(e)).as("R9 license grants: the fields the refusal names").containsExactlyInAnyOrder("command.quantity", "command.end", "command.end",
          "command.reference");
      refused(InvalidRequestException.class, () -> keys.grantLicenses(OPERATOR, ACME,
          new NewLicense(1, now.minus(DAY.multipliedBy(3)), now.minus(DAY), null)));
      refused(InvalidRequestException.class, () -> keys.grantLicenses(OPERATOR, ACME, null));
      assertThat(keys.licenses(OPERATOR, ACME)).as("R9 license grants: the license grants of ACME").hasSize(1);
    }

    @Test
    void aFreedLicenseIsReassignedAtMostNTimesPerPeriodAndTheRefusalSaysWhenNext() {
      keys.setLicensePolicy(OPERATOR, ACME, LicensePolicy.DEFAULT.limitReassignments(2, DAY.multipliedBy(30)));
      createKeys("AQ-1", "AQ-2", "AQ-3"); // fresh licenses: no reassignment
      Instant first = clock.instant();
      for (int i = 0; i < 2; i++) {
        keys.deleteKey(ADMIN, ACME, keys.keyOfDevice(ADMIN, ACME, "AQ-" + (i + 1)).id());
        createKeys("AQ-" + (i + 4));
        clock.advance(DAY);
      }
      keys.deleteKey(ADMIN, ACME, keys.keyOfDevice(ADMIN, ACME, "AQ-3").id());
      SeatReuseLimitException e = refused(SeatReuseLimitException.class, () -> createKeys("AQ-1"));
      assertThat(e.nextReassignmentAt()).as("R9 license grants: e.nextReassignmentAt()").isEqualTo(first.plus(DAY.multipliedBy(30)));
      assertThat(e.getMessage()).as("R9 license grants: the refusal's message (what was refused and what to do)").contains(e.nextReassignmentAt().toString());
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(2, 1, 3));

      keys.contractLicenses(OPERATOR, ACME, 1);
      createKeys("AQ-2"); // a license never used before is no reassignment
      clock.set(e.nextReassignmentAt());
      createKeys("AQ-1");
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(4, 0, 4));
    }

    @Test
    void withoutAReuseLimitFreedLicensesAreReassignedFreely() {
      for (int i = 0; i < 20; i++) {
        String secret = createKeys("AQ-1").get(0);
        assertVerdict("secret", secret, Status.VALID);
        keys.deleteKey(ADMIN, ACME, keys.keyOfDevice(ADMIN, ACME, "AQ-1").id());
      }
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(0, 3, 3));
    }

    private int accountsTotal() {
      return keys.accounts(OPERATOR, null, 10).accounts().stream().filter(a -> a.account().id().equals(ACME))
          .findFirst().orElseThrow().usage().total();
    }
  }

  // ================================================================== R10

  @Nested
  @SuitePart("R10 a device leaving takes its key")
  class R10DeviceLeaves {

    @Test
    void dissociatingADeviceDeletesItsKeyAndFreesTheLicense() {
      List<IssuedKey> three = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      keys.dissociateDevice(ADMIN, ACME, "AQ-2");
      assertThat(status(three.get(1))).as("R10 a device leaving takes its key: status(three.get(1))").isEqualTo(Status.UNKNOWN);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(2, 1, 3));
      assertThat(keys.keys(ADMIN, ACME)).as("R10 a device leaving takes its key: the keys table of ACME").extracting(ApiKey::deviceSerial).containsExactlyInAnyOrder("AQ-1", "AQ-3");
      assertThat(keys.devices(ADMIN, ACME)).as("R10 a device leaving takes its key: the devices of ACME").extracting(Device::serial).doesNotContain("AQ-2");
      assertThat(status(createKey("AQ-4"))).as("R10 a device leaving takes its key: status(createKey(\"AQ-4\"))").isEqualTo(Status.VALID);
      List<AuditEntry> log = audit(ACME);
      assertThat(log.subList(1, 3)).as("R10 a device leaving takes its key: log.subList(1, 3)").extracting(AuditEntry::action, AuditEntry::keyId, AuditEntry::deviceSerial)
          .containsExactly(tuple(Action.DISSOCIATE_DEVICE, null, "AQ-2"),
              tuple(Action.DELETE_KEY, three.get(1).key().id(), "AQ-2"));
    }

    @Test
    void dissociatingAKeylessDeviceLeavesTheKeysAlone() {
      IssuedKey key = createKey("AQ-1");
      keys.dissociateDevice(ADMIN, ACME, "AQ-5");
      assertVerdict("key", key, Status.VALID);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1, 2, 3));
    }

    @Test
    void aDissociatedDeviceCanJoinAnotherAccount() {
      createKey("AQ-1");
      keys.dissociateDevice(ADMIN, ACME, "AQ-1");
      keys.associateDevice(GLOBEX_ADMIN, GLOBEX, new NewDevice("AQ-1", "Moved"));
      IssuedKey there = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("AQ-1")).get(0);
      assertThat(validator.validate(there.secret().reveal(), "AQ-1").accountId()).as("R10 a device leaving takes its key: validator.validate(there.secret().reveal(), \"AQ-1\").accountId()").isEqualTo(GLOBEX);
    }

    @Test
    void dissociatingAnUnknownDeviceIsNotFound() {
      refused(NotFoundException.class, () -> keys.dissociateDevice(ADMIN, ACME, "NOPE-1"));
      refused(NotFoundException.class, () -> keys.dissociateDevice(ADMIN, ACME, "GX-1"));
    }
  }

  // ================================================================== R11

  @Nested
  @SuitePart("R11 idempotence: already has a key, never a misleading quota error")
  class R11AlreadyHasKey {

    @Test
    void creatingForADeviceWithAKeyFailsNamingTheDevice() {
      createKey("AQ-1");
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1")));
      assertThat(e.getMessage()).as("R11 idempotence: the refusal's message (what was refused and what to do)").contains("already has a key").contains("AQ-1");
    }

    @Test
    void alreadyHasAKeyWinsEvenWhenTheAccountIsAlsoOverQuota() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1")));
      assertThat(e.deviceSerials()).as("R11 idempotence: the devices the refusal names").containsExactly("AQ-1");
      DeviceAlreadyHasKeyException batch = refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-4", "AQ-2", "AQ-5")));
      assertThat(batch.deviceSerials()).as("R11 idempotence: batch.deviceSerials()").containsExactly("AQ-2");
    }

    @Test
    void alreadyHasAKeyWinsWhileOverLimit() {
      keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2"));
      keys.cancelLicenses(OPERATOR, ACME, 3, OverLimitStrategy.MARK_OVER_LIMIT);
      refused(DeviceAlreadyHasKeyException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2")));
    }
  }

  // ================================================================== R12

  @Nested
  @SuitePart("R12 audit: every action and every refusal")
  class R12Audit {

    @Test
    void everyManagementActionIsAuditedWithWhoWhatWhichWhenAndOutcome() {
      useVault();
      int start = audit(ACME).size();
      Instant t0 = clock.instant();
      keys.contractLicenses(OPERATOR, ACME, 2);
      clock.advance(Duration.ofMinutes(1));
      keys.addMember(ADMIN, ACME, UserId.of("nina"), Role.VIEWER);
      keys.changeRole(ADMIN, ACME, UserId.of("nina"), Role.MANAGER);
      keys.removeMember(ADMIN, ACME, UserId.of("nina"));
      keys.associateDevice(MANAGER, ACME, new NewDevice("AQ-9", "Roof"));
      keys.renameDevice(MANAGER, ACME, "AQ-9", "Roof north");
      clock.advance(Duration.ofMinutes(1));
      IssuedKey key = createKey("AQ-1");
      KeyId id = key.key().id();
      keys.revealSecret(ADMIN, ACME, id);
      keys.regenerateKey(ADMIN, ACME, id, Duration.ofHours(1));
      keys.editKey(ADMIN, ACME, id, KeyEdit.label("lobby"));
      keys.editKey(ADMIN, ACME, id, KeyEdit.suspend());
      keys.deleteKey(ADMIN, ACME, id);
      KeyId roof = createKey("AQ-9").key().id();
      keys.dissociateDevice(ADMIN, ACME, "AQ-9");
      keys.cancelLicenses(OPERATOR, ACME, 1);

      List<AuditEntry> log = auditSince(start);
      assertThat(log).as("R12 audit: log").extracting(AuditEntry::actor, AuditEntry::action, AuditEntry::keyId, AuditEntry::deviceSerial,
          AuditEntry::outcome).containsExactly(
              tuple("operator:ops", Action.CONTRACT_LICENSES, null, null, Outcome.SUCCESS),
              tuple("user:alice", Action.ADD_MEMBER, null, null, Outcome.SUCCESS),
              tuple("user:alice", Action.CHANGE_ROLE, null, null, Outcome.SUCCESS),
              tuple("user:alice", Action.REMOVE_MEMBER, null, null, Outcome.SUCCESS),
              tuple("user:mona", Action.ASSOCIATE_DEVICE, null, "AQ-9", Outcome.SUCCESS),
              tuple("user:mona", Action.RENAME_DEVICE, null, "AQ-9", Outcome.SUCCESS),
              tuple("user:alice", Action.CREATE_KEYS, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.REVEAL_KEY, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.REGENERATE_KEY, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.EDIT_KEY, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.EDIT_KEY, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.DELETE_KEY, id, "AQ-1", Outcome.SUCCESS),
              tuple("user:alice", Action.CREATE_KEYS, roof, "AQ-9", Outcome.SUCCESS),
              tuple("user:alice", Action.DELETE_KEY, roof, "AQ-9", Outcome.SUCCESS),
              tuple("user:alice", Action.DISSOCIATE_DEVICE, null, "AQ-9", Outcome.SUCCESS),
              tuple("operator:ops", Action.CANCEL_LICENSES, null, null, Outcome.SUCCESS));
      assertThat(log.get(0).at()).as("R12 audit: log.get(0).at()").isEqualTo(t0);
      assertThat(log.get(1).at()).as("R12 audit: log.get(1).at()").isEqualTo(t0.plus(Duration.ofMinutes(1)));
      assertThat(log.get(6).at()).as("R12 audit: log.get(6).at()").isEqualTo(t0.plus(Duration.ofMinutes(2)));
      assertThat(log).as("R12 audit: log").allMatch(e -> e.accountId().equals(ACME)).allMatch(e -> !e.detail().isBlank());
      assertThat(log.get(1).detail()).as("R12 audit: log.get(1).detail()").contains("nina");
      assertThat(log.get(10).detail()).as("R12 audit: log.get(10).detail()").contains("suspended");
    }

    @Test
    void everyRefusalIsAuditedWithWhoWhatWhichAndTheReason() {
      IssuedKey key = createKey("AQ-1");
      KeyId id = key.key().id();
      int start = audit(ACME).size();
      List<Throwable> refusals = new ArrayList<>();
      refusals.add(refused(AccessDeniedException.class, () -> keys.deleteKey(MANAGER, ACME, id)));
      refusals.add(refused(AccessDeniedException.class, () -> keys.keys(STRANGER, ACME)));
      refusals.add(refused(AccessDeniedException.class, () -> keys.contractLicenses(ADMIN, ACME, 5)));
      refusals.add(refused(DeviceAlreadyHasKeyException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1"))));
      refusals.add(refused(InvalidRequestException.class,
          () -> keys.regenerateKey(ADMIN, ACME, id, Duration.ofDays(30))));
      refusals.add(refused(NotFoundException.class, () -> keys.dissociateDevice(ADMIN, ACME, "NOPE-1")));
      refusals.add(refused(SecretNotRetainedException.class, () -> keys.revealSecret(ADMIN, ACME, id)));
      refusals.add(refused(LastAdminException.class, () -> keys.removeMember(ADMIN, ACME, UserId.of("alice"))));
      refusals.add(refused(AccessDeniedException.class, () -> keys.auditLog(VIEWER, ACME, Long.MAX_VALUE, 5)));

      List<AuditEntry> log = auditSince(start);
      assertThat(log).as("R12 audit: log").extracting(AuditEntry::actor, AuditEntry::action, AuditEntry::keyId, AuditEntry::deviceSerial,
          AuditEntry::outcome).containsExactly(
              tuple("user:mona", Action.DELETE_KEY, id, null, Outcome.REFUSED),
              tuple("user:eve", Action.LIST_KEYS, null, null, Outcome.REFUSED),
              tuple("user:alice", Action.CONTRACT_LICENSES, null, null, Outcome.REFUSED),
              tuple("user:alice", Action.CREATE_KEYS, null, null, Outcome.REFUSED),
              tuple("user:alice", Action.REGENERATE_KEY, id, null, Outcome.REFUSED),
              tuple("user:alice", Action.DISSOCIATE_DEVICE, null, "NOPE-1", Outcome.REFUSED),
              tuple("user:alice", Action.REVEAL_KEY, id, null, Outcome.REFUSED),
              tuple("user:alice", Action.REMOVE_MEMBER, null, null, Outcome.REFUSED),
              tuple("user:victor", Action.READ_AUDIT, null, null, Outcome.REFUSED));
      assertThat(log).as("R12 audit: log").extracting(AuditEntry::detail).containsExactlyElementsOf(
          refusals.stream().map(Throwable::getMessage).toList());
      assertThat(log.get(3).detail()).as("R12 audit: log.get(3).detail()").contains("AQ-1");
    }

    @Test
    void theAuditLogPagesNewestFirstWithoutGapsOrRepeats() {
      for (int i = 0; i < 23; i++) {
        keys.renameDevice(ADMIN, ACME, "AQ-1", "Name " + i);
      }
      List<AuditEntry> all = audit(ACME);
      assertThat(all.size()).as("R12 audit: all.size()").isGreaterThan(23);
      List<AuditEntry> paged = new ArrayList<>();
      long before = Long.MAX_VALUE;
      int pages = 0;
      while (true) {
        List<AuditEntry> page = keys.auditLog(ADMIN, ACME, before, 5);
        if (page.isEmpty()) {
          break;
        }
        pages++;
        assertThat(page.size()).as("R12 audit: page.size()").isLessThanOrEqualTo(5);
        paged.addAll(page);
        before = page.get(page.size() - 1).sequence();
      }
      assertThat(pages).as("R12 audit: pages").isEqualTo((all.size() + 4) / 5);
      assertThat(paged).as("R12 audit: paged").isEqualTo(all);
      assertThat(paged).as("R12 audit: paged").extracting(AuditEntry::sequence).isSortedAccordingTo((a, b) -> Long.compare(b, a))
          .doesNotHaveDuplicates();
      assertThat(all.get(0).detail()).as("R12 audit: all.get(0).detail()").contains("Name 22");
      assertThat(keys.auditLog(ADMIN, ACME, all.get(0).sequence(), 1)).as("R12 audit: keys.auditLog(ADMIN, ACME, all.get(0).sequence(), 1)").containsExactly(all.get(1));
    }

    @Test
    void eachAccountSeesOnlyItsOwnAuditLog() {
      createKey("AQ-1");
      keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1"));
      assertThat(audit(GLOBEX)).as("R12 audit: the audit log of GLOBEX").allMatch(e -> e.accountId().equals(GLOBEX))
          .noneMatch(e -> "AQ-1".equals(e.deviceSerial()));
      assertThat(audit(ACME)).as("R12 audit: the audit log of ACME").allMatch(e -> e.accountId().equals(ACME))
          .noneMatch(e -> "GX-1".equals(e.deviceSerial()));
    }
  }

  // ================================================================== R13

  @Nested
  @SuitePart("R13 secrets: shown once, stored as hashes")
  class R13Secrets {

    @Test
    void aVaultKeyThatDoesNotOpenTheSecretIsAnAuditedRefusalSayingToRegenerate() {
      useVault();
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      useVault(); // the host rotated its vault key, or configured the wrong one
      VaultKeyMismatchException e = refused(VaultKeyMismatchException.class,
          () -> keys.revealSecret(ADMIN, ACME, key.key().id()));
      assertThat(e).as("R13 secrets: e").isInstanceOf(KeyseatException.class);
      assertThat(e.getMessage()).as("R13 secrets: the refusal's message (what was refused and what to do)").contains(key.key().id().value()).contains("vault key").contains("regenerat")
          .doesNotContain(secret).doesNotContain(secret.substring(3, 20));
      assertThat(status(key)).as("the key itself still works").isEqualTo(Status.VALID);
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id());
      assertThat(keys.revealSecret(ADMIN, ACME, key.key().id())).as("R13 secrets: keys.revealSecret(ADMIN, ACME, key.key().id())").isEqualTo(renewed.secret());
    }

    @Test
    void withoutAVaultASecretCannotBeRevealedAgain() {
      IssuedKey key = createKey("AQ-1");
      SecretNotRetainedException e = refused(SecretNotRetainedException.class,
          () -> keys.revealSecret(ADMIN, ACME, key.key().id()));
      assertThat(e.getMessage()).as("R13 secrets: the refusal's message (what was refused and what to do)").contains("shown once").contains(key.key().id().value())
          .doesNotContain(key.secret().reveal());
    }

    @Test
    void withAVaultRevealReturnsTheSameSecret() {
      useVault();
      IssuedKey key = createKey("AQ-1");
      Secret revealed = keys.revealSecret(ADMIN, ACME, key.key().id());
      assertThat(revealed.reveal()).as("R13 secrets: revealed.reveal()").isEqualTo(key.secret().reveal());
    }

    @Test
    void afterRegeneratingRevealReturnsTheNewSecret() {
      useVault();
      IssuedKey key = createKey("AQ-1");
      IssuedKey renewed = keys.regenerateKey(ADMIN, ACME, key.key().id());
      Secret revealed = keys.revealSecret(ADMIN, ACME, key.key().id());
      assertThat(revealed).as("R13 secrets: revealed").isEqualTo(renewed.secret()).isNotEqualTo(key.secret());
      assertThat(status(revealed.reveal())).as("R13 secrets: status(revealed.reveal())").isEqualTo(Status.VALID);
    }

    @Test
    void theStoreKeepsTheSha256NotThePlaintext() {
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      Optional<StoredKey> stored = store.findKeyByHash(sha256(secret));
      assertThat(stored).as("R13 secrets: stored").isPresent();
      assertThat(stored.get().id()).as("R13 secrets: stored.get().id()").isEqualTo(key.key().id());
      assertThat(stored.get().hash()).isEqualTo(sha256(secret));
      assertThat(stored.get().sealedSecret()).as("no vault, nothing sealed").isNull();
      assertThat(stored.get().hint()).as("R13 secrets: stored.get().hint()").isEqualTo(key.key().hint()).doesNotContain(secret.substring(3, 29));
      assertThat(stored.get().toString()).as("R13 secrets: stored.get().toString()").doesNotContain(secret);
    }

    @Test
    void withAVaultTheStoreKeepsOnlyCiphertext() {
      useVault();
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      StoredKey stored = store.findKeyByHash(sha256(secret)).orElseThrow();
      assertThat(stored.sealedSecret()).as("R13 secrets: stored.sealedSecret()").isNotNull();
      assertThat(new String(stored.sealedSecret(), StandardCharsets.ISO_8859_1)).as("R13 secrets: new String(stored.sealedSecret(), StandardCharsets.ISO_8859_1)").doesNotContain(secret)
          .doesNotContain(secret.substring(3, 20));
    }

    @Test
    void theKeysTableNeverShowsTheSecret() {
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      assertThat(keys.keys(ADMIN, ACME).toString()).as("R13 secrets: keys.keys(ADMIN, ACME).toString()").doesNotContain(secret).doesNotContain(secret.substring(3, 20));
      assertThat(key.toString()).as("R13 secrets: key.toString()").doesNotContain(secret);
      assertThat(row(key.key().id()).hint()).as("R13 secrets: row(key.key().id()).hint()").endsWith(secret.substring(secret.length() - 4)).hasSizeLessThan(12);
    }
  }

  // ================================================================== verdicts

  @Nested
  @SuitePart("Verdicts of the validation path")
  class Verdicts {

    @Test
    void garbageIsMalformedAndNeverThrows() {
      IssuedKey key = createKey("AQ-1");
      String good = key.secret().reveal();
      String badChecksum = good.substring(0, good.length() - 1)
          + (good.charAt(good.length() - 1) == 'a' ? 'b' : 'a');
      List<String> garbage = new ArrayList<>(List.of(
          "",
          " ",
          "x".repeat(1 << 20),
          good.substring(0, 3) + "é".repeat(good.length() - 3),
          good.substring(0, 10) + "\u0000" + good.substring(11),
          good.substring(0, 10) + "\n" + good.substring(11),
          good.substring(0, 10) + "\u00e9" + good.substring(11),
          badChecksum,
          good + " ",
          " " + good.substring(1),
          "xx" + good.substring(2),
          good.toUpperCase(Locale.ROOT)));
      garbage.add(null);
      for (String g : garbage) {
        assertThat(validator.validate(g)).as("Verdicts of the validation path: validator.validate(g)").isEqualTo(Verdict.MALFORMED);
        assertThat(validator.validate(g, "AQ-1")).as("Verdicts of the validation path: validator.validate(g, \"AQ-1\")").isEqualTo(Verdict.MALFORMED);
        assertThat(validator.validate(g, null)).as("Verdicts of the validation path: validator.validate(g, null)").isEqualTo(Verdict.MALFORMED);
      }
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aWellFormedKeyThatWasNeverIssuedIsUnknown() {
      Verdict v = validator.validate(wellFormedUnissuedKey());
      assertThat(v.status()).as("Verdicts of the validation path: v.status()").isEqualTo(Status.UNKNOWN);
      assertThat(v.keyId()).as("Verdicts of the validation path: v.keyId()").isNull();
      assertThat(v.accountId()).as("Verdicts of the validation path: v.accountId()").isNull();
    }

    @Test
    void aValidVerdictCarriesAccountDeviceAndKeyId() {
      IssuedKey key = createKey("AQ-1");
      Verdict v = validator.validate(key.secret().reveal(), "AQ-1");
      assertThat(v).as("Verdicts of the validation path: v").isEqualTo(Verdict.of(Status.VALID, ACME, "AQ-1", key.key().id()));
      assertThat(v.isValid()).as("Verdicts of the validation path: v.isValid()").isTrue();
    }

    @Test
    void aKeyPresentedForAnotherDeviceIsADeviceMismatch() {
      IssuedKey key = createKey("AQ-1");
      Verdict v = validator.validate(key.secret().reveal(), "AQ-2");
      assertThat(v.status()).as("Verdicts of the validation path: v.status()").isEqualTo(Status.DEVICE_MISMATCH);
      assertThat(v.isValid()).as("Verdicts of the validation path: v.isValid()").isFalse();
      assertThat(v.deviceSerial()).as("Verdicts of the validation path: v.deviceSerial()").isEqualTo("AQ-1");
      assertThat(validator.validate(key.secret().reveal(), "GX-1").status()).as(RuleWords.verdict("key's secret presented for GX-1", Status.DEVICE_MISMATCH)).isEqualTo(Status.DEVICE_MISMATCH);
    }

    @Test
    void suspensionAndExpiryOutrankADeviceMismatch() {
      IssuedKey key = createKey("AQ-1");
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.suspend());
      assertThat(validator.validate(key.secret().reveal(), "AQ-2").status()).as(RuleWords.verdict("key's secret presented for AQ-2", Status.SUSPENDED)).isEqualTo(Status.SUSPENDED);
    }

    @Test
    void validationsAreRecordedAsLastUsedAndUseCount() {
      IssuedKey key = createKey("AQ-1");
      assertThat(row(key.key().id()).lastUsedAt()).as("Verdicts of the validation path: row(key.key().id()).lastUsedAt()").isNull();
      clock.advance(Duration.ofMinutes(3));
      validator.validate(key.secret().reveal());
      validator.validate(key.secret().reveal(), "AQ-1");
      validator.validate(key.secret().reveal(), "AQ-2");
      ApiKey r = row(key.key().id());
      assertThat(r.lastUsedAt()).as("Verdicts of the validation path: r.lastUsedAt()").isEqualTo(clock.instant());
      assertThat(r.useCount()).as("only valid uses count").isEqualTo(2);
    }

    @Test
    void keysUnusedSinceListsNeverUsedAndLongUnusedKeysOldestFirst() {
      List<IssuedKey> three = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
      Instant t0 = clock.instant();
      clock.advance(Duration.ofHours(1));
      validator.validate(three.get(0).secret().reveal());
      clock.advance(Duration.ofHours(1));
      validator.validate(three.get(1).secret().reveal());
      List<ApiKey> stale = keys.keysUnusedSince(ADMIN, ACME, t0.plus(Duration.ofMinutes(90)));
      assertThat(stale).as("Verdicts of the validation path: stale").extracting(ApiKey::deviceSerial).containsExactlyInAnyOrder("AQ-1", "AQ-3");
      assertThat(stale).as("Verdicts of the validation path: stale").extracting(ApiKey::createdAt).isSorted();
      assertThat(keys.keysUnusedSince(ADMIN, ACME, t0)).as("Verdicts of the validation path: keys.keysUnusedSince(ADMIN, ACME, t0)").extracting(ApiKey::deviceSerial).containsExactly("AQ-3");
      assertThat(keys.keysUnusedSince(ADMIN, ACME, clock.instant().plusSeconds(1))).as("Verdicts of the validation path: keys.keysUnusedSince(ADMIN, ACME, clock.instant().plusSeconds(1))").hasSize(3);
    }

    @Test
    void usageChartsCountValidationsPerUtcDayOldestFirstWithZerosForDaysWithoutUse() {
      IssuedKey a = createKey("AQ-1");
      IssuedKey b = createKey("AQ-2");
      LocalDate first = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
      validator.validate(a.secret().reveal());
      validator.validate(a.secret().reveal());
      validator.validate(b.secret().reveal());
      clock.advance(Duration.ofDays(2));
      validator.validate(a.secret().reveal());

      assertThat(keys.keyUsageDaily(ADMIN, ACME, a.key().id(), 4)).containsExactly(
          new DailyUsage(first.minusDays(1), 0), new DailyUsage(first, 2), new DailyUsage(first.plusDays(1), 0),
          new DailyUsage(first.plusDays(2), 1));
      assertThat(keys.accountUsageDaily(ADMIN, ACME, 4)).extracting(DailyUsage::count).containsExactly(0L, 3L, 0L, 1L);
      assertThat(keys.accountUsageDaily(ADMIN, ACME, 1)).as("today only")
          .containsExactly(new DailyUsage(first.plusDays(2), 1));
      assertThat(keys.accountUsageDaily(ADMIN, ACME, KeyManager.MAX_USAGE_DAYS)).hasSize(KeyManager.MAX_USAGE_DAYS)
          .last().isEqualTo(new DailyUsage(first.plusDays(2), 1));

      keys.deleteKey(ADMIN, ACME, b.key().id());
      assertThat(keys.accountUsageDaily(ADMIN, ACME, 4)).as("a deleted key's usage goes with it")
          .extracting(DailyUsage::count).containsExactly(0L, 2L, 0L, 1L);
      refused(NotFoundException.class, () -> keys.keyUsageDaily(ADMIN, ACME, b.key().id(), 4));
      for (int days : new int[] {0, -1, KeyManager.MAX_USAGE_DAYS + 1}) {
        InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.accountUsageDaily(ADMIN, ACME, days));
        assertThat(e.getMessage()).contains("days");
        refused(InvalidRequestException.class, () -> keys.keyUsageDaily(ADMIN, ACME, a.key().id(), days));
      }
    }
  }

  // ================================================================== bad input

  @Nested
  @SuitePart("Bad input: every violation listed, nothing changed")
  class BadInput {

    /** Bidi controls, zero-width characters, controls other than tab, line and paragraph separators. */
    static IntStream spoofingCharacters() {
      return IntStream.of(0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F,
          0x061C, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x1B, 0x0A, 0x0D, 0x07, 0x7F, 0x85, 0x2028, 0x2029);
    }

    @ParameterizedTest(name = "U+{0}")
    @MethodSource("spoofingCharacters")
    void freeTextWithASpoofingOrControlCharacterIsRefusedNamingTheField(int codePoint) {
      String text = "Lobby " + new String(Character.toChars(codePoint)) + "txt.exe";
      String named = String.format("U+%04X", codePoint);
      IssuedKey key = createKey("AQ-2");
      List<Map.Entry<String, ThrowingCallable>> calls = List.of(
          Map.entry("command.name", () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", text))),
          Map.entry("command.model", () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", "Roof", text))),
          Map.entry("name", () -> keys.renameDevice(ADMIN, ACME, "AQ-1", text)),
          Map.entry("command.label", () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1").withLabel(text))),
          Map.entry("edit.label", () -> keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label(text))));
      for (Map.Entry<String, ThrowingCallable> call : calls) {
        InvalidRequestException e = refused(InvalidRequestException.class, call.getValue());
        assertThat(fields(e)).as(call.getKey()).containsExactly(call.getKey());
        assertThat(e.violations().get(0).message()).as(call.getKey()).contains(named);
      }
      InvalidRequestException e = refusedUnaudited(InvalidRequestException.class,
          () -> keys.createAccount(OPERATOR, AccountId.of("initech"), new NewAccount(text, UserId.of("ian"), 1)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.name");
    }

    @Test
    void whitespaceOnlyTextIsRefusedAndOrdinaryUnicodeTextIsKept() {
      IssuedKey key = createKey("AQ-2");
      for (String blank : List.of(" ", "\t", "\u3000", " \u00A0 ")) {
        InvalidRequestException e = refused(InvalidRequestException.class,
            () -> keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label(blank)));
        assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit.label");
        e = refused(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, "AQ-1", blank));
        assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("name");
        e = refused(InvalidRequestException.class,
            () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", "Roof", blank)));
        assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.model");
      }
      // tabs, accents, CJK, emoji with variation selectors, skin tones and ZWJ sequences
      String ordinary = "Salle de r\u00E9union\t\u6771\u4EAC \uD83C\uDF2C\uFE0F \uD83D\uDC69\u200D\uD83D\uDCBB "
          + "\uD83D\uDC68\uD83C\uDFFD\u200D\uD83D\uDD2C \uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08";
      keys.renameDevice(ADMIN, ACME, "AQ-2", ordinary);
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label(ordinary));
      keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", ordinary, ordinary));
      assertThat(row(key.key().id())).as("Bad input: row(key.key().id())").extracting(ApiKey::deviceName, ApiKey::label).containsExactly(ordinary, ordinary);
      assertThat(keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label("")).label()).as("Bad input: keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label(\"\")).label()").isEmpty();
    }

    @Test
    void refusalsReadAsSentencesAnAdministratorCanBeShown() {
      List<String> many = IntStream.rangeClosed(1, 1001).mapToObj(i -> "D-" + i).toList();
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices(many)));
      assertThat(e.violations().get(0).message()).as("Bad input: the violations the refusal lists").contains("1000").doesNotContain("between 0");
      e = refused(InvalidRequestException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", "n".repeat(201))));
      assertThat(e.violations().get(0).message()).as("Bad input: the violations the refusal lists").contains("200 characters").doesNotContain("between 0");
      IssuedKey key = createKey("AQ-1");
      e = refused(InvalidRequestException.class,
          () -> keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofDays(8)));
      assertThat(e.violations().get(0).message()).as("Bad input: the violations the refusal lists").contains("at most 7 days").doesNotContain("PT");
      createKey("AQ-2");
      LicensesInUseException l = refused(LicensesInUseException.class, () -> keys.cancelLicenses(OPERATOR, ACME, 2));
      assertThat(l.getMessage()).as("Bad input: l.getMessage()").contains("1 license would remain").contains("delete 1 key first")
          .doesNotContain("1 licenses").doesNotContain("1 keys");
    }

    @Test
    void aNewAccountWithEveryFieldWrongListsEveryViolation() {
      InvalidRequestException e = refusedUnaudited(InvalidRequestException.class,
          () -> keys.createAccount(OPERATOR, AccountId.of("initech"), new NewAccount(" ", null, -1)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.firstAdmin", "command.licenses", "command.name");
      e = refusedUnaudited(InvalidRequestException.class,
          () -> keys.createAccount(OPERATOR, AccountId.of("initech"), new NewAccount("n".repeat(201), UserId.of("a"), 0)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.name");
      e = refusedUnaudited(InvalidRequestException.class,
          () -> keys.createAccount(OPERATOR, AccountId.of("initech"), null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command");
      refusedUnaudited(NotFoundException.class, () -> keys.licenseUsage(OPERATOR, AccountId.of("initech")));
    }

    @Test
    void missingActorAndAccountAreBothListed() {
      InvalidRequestException e = refusedUnaudited(InvalidRequestException.class,
          () -> keys.createKeys(null, null, NewKeys.forDevices("AQ-1")));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("actor", "accountId");
      e = refusedUnaudited(InvalidRequestException.class, () -> keys.keys(null, ACME));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("actor");
    }

    @Test
    void zeroNegativeAndHugeLicenseQuantitiesAreRefused() {
      for (int q : new int[] {0, -1, Integer.MIN_VALUE, 1_000_001}) {
        InvalidRequestException e = refused(InvalidRequestException.class,
            () -> keys.contractLicenses(OPERATOR, ACME, q));
        assertThat(fields(e)).as("contract %d", q).containsExactly("quantity");
      }
      for (int q : new int[] {0, -1, 4}) {
        InvalidRequestException e = refused(InvalidRequestException.class,
            () -> keys.cancelLicenses(OPERATOR, ACME, q));
        assertThat(fields(e)).as("cancel %d", q).containsExactly("quantity");
      }
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.cancelLicenses(OPERATOR, ACME, 0, null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("quantity", "strategy");
    }

    @Test
    void aDeviceWithEveryFieldWrongListsEveryViolation() {
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice("bad serial!", " ", "m".repeat(201))));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.model", "command.name", "command.serial");
      e = refused(InvalidRequestException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice(null, null, null)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.model", "command.name", "command.serial");
      e = refused(InvalidRequestException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice("S".repeat(65), "n".repeat(201))));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.name", "command.serial");
      e = refused(InvalidRequestException.class, () -> keys.associateDevice(ADMIN, ACME, null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command");
    }

    @Test
    void aRenameWithBadSerialAndNameListsBoth() {
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.renameDevice(ADMIN, ACME, "bad serial", "n".repeat(201)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("serial", "name");
      e = refused(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, null, " "));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("serial", "name");
      e = refused(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, "AQ-1", null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("name");
      refused(NotFoundException.class, () -> keys.renameDevice(ADMIN, ACME, "NOPE-1", "x"));
    }

    @Test
    void emptyAndOversizedBatchesAreRefused() {
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices()));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.serials");
      List<String> many = IntStream.rangeClosed(1, 1001).mapToObj(i -> "D-" + i).toList();
      e = refused(InvalidRequestException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices(many)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.serials");
      assertThat(e.violations().get(0).message()).as("Bad input: the violations the refusal lists").contains("1000");
      e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices((List<String>) null)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.serials");
      e = refused(InvalidRequestException.class, () -> keys.createKeys(ADMIN, ACME, null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command");
    }

    @Test
    void aBatchOfExactly1000DevicesIsAccepted() {
      keys.contractLicenses(OPERATOR, ACME, 997);
      List<String> serials = new ArrayList<>();
      for (int i = 1; i <= 1000; i++) {
        String serial = "B-" + i;
        keys.associateDevice(ADMIN, ACME, new NewDevice(serial, "Bulk " + i));
        serials.add(serial);
      }
      assertThat(keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serials))).as("Bad input: keys.createKeys(ADMIN, ACME, NewKeys.forDevices(serials))").hasSize(1000);
      assertThat(usage()).as(RuleWords.USAGE).isEqualTo(new LicenseUsage(1000, 0, 1000));
    }

    @Test
    void duplicateDevicesInABatchAreEachListed() {
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-1", "AQ-2", "AQ-3")));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.serials[2]", "command.serials[3]");
      assertThat(e.violations().get(0).message()).as("Bad input: the violations the refusal lists").contains("AQ-1");
      assertThat(e.violations().get(1).message()).as("Bad input: the violations the refusal lists").contains("AQ-2");
    }

    @Test
    void aBatchWithEveryFieldWrongListsEveryViolation() {
      Instant past = clock.instant().minusSeconds(1);
      NewKeys command = new NewKeys(Arrays.asList("AQ-1", "bad serial", null, "AQ-1", "é"), "l".repeat(201), past);
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, command));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.expiresAt", "command.label", "command.serials[1]",
          "command.serials[2]", "command.serials[4]", "command.serials[3]");
      e = refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, new NewKeys(List.of("AQ-1"), null, null)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("command.label");
    }

    @Test
    void anEditWithEveryFieldWrongListsEveryViolation() {
      IssuedKey key = createKey("AQ-1");
      KeyId id = key.key().id();
      Instant past = clock.instant().minusSeconds(1);
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.editKey(ADMIN, ACME, id, new KeyEdit("l".repeat(201), past, false, null, "bad serial")));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit.expiresAt", "edit.label", "edit.rebindTo");
      e = refused(InvalidRequestException.class,
          () -> keys.editKey(ADMIN, ACME, id, new KeyEdit(null, null, false, null, null)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit");
      e = refused(InvalidRequestException.class,
          () -> keys.editKey(ADMIN, ACME, id, new KeyEdit(null, clock.instant().plusSeconds(60), true, null, null)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit");
      e = refused(InvalidRequestException.class, () -> keys.editKey(ADMIN, ACME, null, null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit", "keyId");
      e = refused(InvalidRequestException.class,
          () -> keys.editKey(ADMIN, ACME, id, KeyEdit.expiresAt(clock.instant())));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("edit.expiresAt");
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aRegenerationWithBadOverlapAndNoKeyListsBoth() {
      IssuedKey key = createKey("AQ-1");
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.regenerateKey(ADMIN, ACME, key.key().id(), Duration.ofSeconds(-1)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("overlap");
      e = refused(InvalidRequestException.class, () -> keys.regenerateKey(ADMIN, ACME, key.key().id(), null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("overlap");
      e = refused(InvalidRequestException.class, () -> keys.regenerateKey(ADMIN, ACME, null, Duration.ofDays(-1)));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("overlap", "keyId");
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void missingKeyIdsAreRefused() {
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.deleteKey(ADMIN, ACME, null))))
          .containsExactly("keyId");
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.revealSecret(ADMIN, ACME, null))))
          .containsExactly("keyId");
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.regenerateKey(ADMIN, ACME, null))))
          .containsExactly("keyId");
    }

    @Test
    void badAuditPagesAreRefused() {
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.auditLog(ADMIN, ACME, 0, 0));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("limit", "beforeSequence");
      e = refused(InvalidRequestException.class, () -> keys.auditLog(ADMIN, ACME, Long.MAX_VALUE, 1001));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("limit");
      e = refused(InvalidRequestException.class, () -> keys.auditLog(ADMIN, ACME, -5, 10));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("beforeSequence");
    }

    @Test
    void missingMemberFieldsAreAllListed() {
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.addMember(ADMIN, ACME, null, null))))
          .containsExactly("userId", "role");
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.changeRole(ADMIN, ACME, null, null))))
          .containsExactly("userId", "role");
      assertThat(fields(refused(InvalidRequestException.class, () -> keys.removeMember(ADMIN, ACME, null))))
          .containsExactly("userId");
    }

    @Test
    void malformedSerialsAreRefusedEverywhere() {
      for (String serial : Arrays.asList(null, "", " ", "AQ 1", "AQ-1;DROP", "é", "S".repeat(65))) {
        assertThat(fields(refused(InvalidRequestException.class, () -> keys.dissociateDevice(ADMIN, ACME, serial))))
            .as("dissociate %s", serial).containsExactly("serial");
        assertThat(audit(ACME).get(0).deviceSerial()).as("a malformed serial is not audited as a device").isNull();
      }
      assertThat(fields(refused(InvalidRequestException.class,
          () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ 1")))))
          .containsExactly("command.serials[0]");
      assertThat(fields(refused(InvalidRequestException.class,
          () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ 1", "x")))))
          .containsExactly("command.serial");
      assertThat(audit(ACME).get(0).deviceSerial()).as("Bad input: the audit log of ACME").isNull();
    }

    @Test
    void aKeyPastedIntoASerialFieldIsRefusedWithoutBeingEchoed() {
      String secret = createKey("AQ-1").secret().reveal();
      List<InvalidRequestException> refusals = List.of(
          refused(InvalidRequestException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices(secret))),
          refused(InvalidRequestException.class,
              () -> keys.associateDevice(ADMIN, ACME, new NewDevice(secret, "pasted"))),
          refused(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, secret, "pasted")),
          refused(InvalidRequestException.class, () -> keys.dissociateDevice(ADMIN, ACME, secret)));
      assertThat(refusals).as("Bad input: refusals").extracting(e -> fields(e).get(0))
          .containsExactly("command.serials[0]", "command.serial", "serial", "serial");
      assertThat(refusals).as("Bad input: refusals").extracting(Throwable::getMessage).noneMatch(m -> m.contains(secret.substring(3)));
      assertThat(audit(ACME)).as("Bad input: the audit log of ACME").noneMatch(e -> e.detail().contains(secret.substring(3))
          || secret.equals(e.deviceSerial()));
    }

    @Test
    void aKeyPastedIntoFreeTextIsRefusedWithoutBeingEchoed() {
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      String text = "see " + secret + " here";
      List<InvalidRequestException> refusals = List.of(
          refused(InvalidRequestException.class,
              () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-77", text, text))),
          refused(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, "AQ-1", text)),
          refused(InvalidRequestException.class,
              () -> keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.label(text))),
          refused(InvalidRequestException.class,
              () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-2").withLabel(text))));
      assertThat(refusals).as("Bad input: refusals").extracting(e -> fields(e))
          .containsExactly(List.of("command.model", "command.name"), List.of("name"), List.of("edit.label"),
              List.of("command.label"));
      assertThat(refusals).as("Bad input: refusals").extracting(Throwable::getMessage).noneMatch(m -> m.contains(secret.substring(3)));
      assertThat(audit(ACME)).as("Bad input: the audit log of ACME").noneMatch(e -> e.detail().contains(secret.substring(3)));
      assertThatThrownBy(() -> UserId.of(secret)).isInstanceOf(InvalidRequestException.class)
          .message().doesNotContain(secret.substring(3));
      assertThatThrownBy(() -> AccountId.of(secret)).isInstanceOf(InvalidRequestException.class);
      assertThatThrownBy(() -> Actor.operator(text)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void aMissingSinceIsRefused() {
      InvalidRequestException e = refused(InvalidRequestException.class,
          () -> keys.keysUnusedSince(ADMIN, ACME, null));
      assertThat(fields(e)).as("Bad input: the fields the refusal names").containsExactly("since");
    }

    @Test
    void unknownIdsAreNotFoundAndNamed() {
      KeyId ghost = KeyId.of("key_0000000000000000");
      NotFoundException e = refused(NotFoundException.class, () -> keys.deleteKey(ADMIN, ACME, ghost));
      assertThat(e.kind()).as("Bad input: the kind of thing the refusal did not find").isEqualTo("key");
      assertThat(e.ids()).as("Bad input: the ids the refusal names").containsExactly(ghost.value());
      refused(NotFoundException.class, () -> keys.regenerateKey(ADMIN, ACME, ghost));
      refused(NotFoundException.class, () -> keys.editKey(ADMIN, ACME, ghost, KeyEdit.label("x")));
      refused(NotFoundException.class, () -> keys.revealSecret(ADMIN, ACME, ghost));
      NotFoundException member = refused(NotFoundException.class,
          () -> keys.removeMember(ADMIN, ACME, UserId.of("nobody")));
      assertThat(member.ids()).as("Bad input: member.ids()").containsExactly("nobody");
      refused(NotFoundException.class, () -> keys.changeRole(ADMIN, ACME, UserId.of("nobody"), Role.ADMIN));
      refused(AlreadyExistsException.class, () -> keys.addMember(ADMIN, ACME, UserId.of("mona"), Role.VIEWER));
      IssuedKey key = createKey("AQ-1");
      NotFoundException device = refused(NotFoundException.class,
          () -> keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.rebindTo("NOPE-9")));
      assertThat(device.ids()).as("Bad input: device.ids()").containsExactly("NOPE-9");
    }

    @Test
    void anUnknownAccountIsNotFound() {
      AccountId nowhere = AccountId.of("nowhere");
      refusedUnaudited(NotFoundException.class, () -> keys.keys(ADMIN, nowhere));
      refusedUnaudited(NotFoundException.class, () -> keys.createKeys(ADMIN, nowhere, NewKeys.forDevices("AQ-1")));
      refusedUnaudited(NotFoundException.class, () -> keys.contractLicenses(OPERATOR, nowhere, 5));
      refusedUnaudited(NotFoundException.class, () -> keys.associateDevice(ADMIN, nowhere, new NewDevice("Z-1", "z")));
    }
  }

  // ================================================================== conveniences: one key

  @Nested
  @SuitePart("one key by id, or the key of a device, without listing the table")
  class OneKey {

    @Test
    void aKeyFoundByIdIsItsRowOfTheKeysTable() {
      List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2").withLabel("roof"));
      validator.validate(issued.get(1).secret().reveal());
      KeyId id = issued.get(1).key().id();
      ApiKey found = keys.key(ADMIN, ACME, id);
      assertThat(found).as("one key by id, or the key of a device, without listing the table: found").isEqualTo(row(id));
      assertThat(found.deviceSerial()).as("one key by id, or the key of a device, without listing the table: found.deviceSerial()").isEqualTo("AQ-2");
      assertThat(found.deviceName()).as("one key by id, or the key of a device, without listing the table: found.deviceName()").isEqualTo("Monitor 2");
      assertThat(found.label()).as("one key by id, or the key of a device, without listing the table: found.label()").isEqualTo("roof");
    }

    @Test
    void theKeyOfADeviceIsFoundByItsSerial() {
      createKey("AQ-1");
      IssuedKey second = createKey("AQ-3");
      keys.editKey(ADMIN, ACME, second.key().id(), KeyEdit.suspend());
      ApiKey found = keys.keyOfDevice(ADMIN, ACME, "AQ-3");
      assertThat(found).as("one key by id, or the key of a device, without listing the table: found").isEqualTo(row(second.key().id()));
      assertThat(found.status()).as("one key by id, or the key of a device, without listing the table: found.status()").isEqualTo(KeyStatus.SUSPENDED);
    }

    @Test
    void anAbsentKeyIsNotFoundAndItsIdIsNamed() {
      KeyId ghost = KeyId.of("key_doesNotExist");
      NotFoundException e = refused(NotFoundException.class, () -> keys.key(ADMIN, ACME, ghost));
      assertThat(e.kind()).as("one key by id, or the key of a device, without listing the table: the kind of thing the refusal did not find").isEqualTo("key");
      assertThat(e.ids()).as("one key by id, or the key of a device, without listing the table: the ids the refusal names").containsExactly(ghost.value());
      assertThat(e.getMessage()).as("one key by id, or the key of a device, without listing the table: the refusal's message (what was refused and what to do)").contains(ghost.value());
      assertThat(audit(ACME).get(0).keyId()).as("the refusal's audit entry names the key").isEqualTo(ghost);
    }

    @Test
    void aKeyOfAnotherAccountIsNotFoundHere() {
      IssuedKey theirs = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1")).get(0);
      NotFoundException e = refused(NotFoundException.class, () -> keys.key(ADMIN, ACME, theirs.key().id()));
      assertThat(e.ids()).as("one key by id, or the key of a device, without listing the table: the ids the refusal names").containsExactly(theirs.key().id().value());
      NotFoundException device = refused(NotFoundException.class, () -> keys.keyOfDevice(ADMIN, ACME, "GX-1"));
      assertThat(device.kind()).as("one key by id, or the key of a device, without listing the table: device.kind()").isEqualTo("device");
      assertThat(device.ids()).as("one key by id, or the key of a device, without listing the table: device.ids()").containsExactly("GX-1");
    }

    @Test
    void aDeviceWithoutAKeyIsNamed() {
      createKey("AQ-1");
      NotFoundException e = refused(NotFoundException.class, () -> keys.keyOfDevice(ADMIN, ACME, "AQ-2"));
      assertThat(e.kind()).as("one key by id, or the key of a device, without listing the table: the kind of thing the refusal did not find").isEqualTo("key for device");
      assertThat(e.ids()).as("one key by id, or the key of a device, without listing the table: the ids the refusal names").containsExactly("AQ-2");
      assertThat(audit(ACME).get(0).deviceSerial()).as("the refusal's audit entry names the device").isEqualTo("AQ-2");
    }

    @Test
    void onlyAnAdminOfTheAccountMayFindAKey() {
      IssuedKey key = createKey("AQ-1");
      for (Actor a : List.of(MANAGER, VIEWER, STRANGER, GLOBEX_ADMIN, OPERATOR)) {
        AccessDeniedException e = refused(AccessDeniedException.class, () -> keys.key(a, ACME, key.key().id()));
        assertThat(e.getMessage()).as(a.toString()).doesNotContain(key.secret().reveal());
        refused(AccessDeniedException.class, () -> keys.keyOfDevice(a, ACME, "AQ-1"));
      }
    }

    @Test
    void aMissingIdOrAMalformedSerialIsInvalid() {
      InvalidRequestException id = refused(InvalidRequestException.class, () -> keys.key(ADMIN, ACME, null));
      assertThat(fields(id)).as("one key by id, or the key of a device, without listing the table: fields(id)").containsExactly("keyId");
      InvalidRequestException serial = refused(InvalidRequestException.class,
          () -> keys.keyOfDevice(ADMIN, ACME, "not a serial"));
      assertThat(fields(serial)).as("one key by id, or the key of a device, without listing the table: fields(serial)").containsExactly("serial");
      refused(InvalidRequestException.class, () -> keys.keyOfDevice(ADMIN, ACME, null));
    }
  }

  // ================================================================== conveniences: several devices

  @Nested
  @SuitePart("several devices associated in one call, all or nothing")
  class SeveralDevices {

    @Test
    void everyDeviceIsAssociatedInRequestOrderAndEachIsAudited() {
      List<NewDevice> batch = List.of(new NewDevice("IMP-3", "Hall", "Indoor Air Monitor"),
          new NewDevice("IMP-1", "Kitchen"), new NewDevice("IMP-2", "Attic", "Outdoor Monitor"));
      List<Device> done = keys.associateDevices(ADMIN, ACME, batch);
      assertThat(done).as("several devices associated in one call, all or nothing: done").extracting(Device::serial, Device::name, Device::model, Device::accountId, Device::associatedAt)
          .containsExactly(tuple("IMP-3", "Hall", "Indoor Air Monitor", ACME, clock.instant()),
              tuple("IMP-1", "Kitchen", "", ACME, clock.instant()),
              tuple("IMP-2", "Attic", "Outdoor Monitor", ACME, clock.instant()));
      assertThat(keys.devices(VIEWER, ACME)).as("several devices associated in one call, all or nothing: the devices of ACME").containsAll(done);
      assertThat(audit(ACME).subList(0, 3)).as("several devices associated in one call, all or nothing: the audit log of ACME").extracting(AuditEntry::action, AuditEntry::deviceSerial, AuditEntry::outcome)
          .containsExactlyInAnyOrder(tuple(Action.ASSOCIATE_DEVICE, "IMP-1", Outcome.SUCCESS),
              tuple(Action.ASSOCIATE_DEVICE, "IMP-2", Outcome.SUCCESS),
              tuple(Action.ASSOCIATE_DEVICE, "IMP-3", Outcome.SUCCESS));
      assertThat(keys.createKeys(ADMIN, ACME, NewKeys.forDevices("IMP-1", "IMP-2"))).as("several devices associated in one call, all or nothing: keys.createKeys(ADMIN, ACME, NewKeys.forDevices(\"IMP-1\", \"IMP-2\"))").hasSize(2);
    }

    @Test
    void aManagerMayAssociateSeveralDevicesButAViewerStrangerOrOperatorMayNot() {
      assertThat(keys.associateDevices(MANAGER, ACME, List.of(new NewDevice("IMP-1", "One")))).as("several devices associated in one call, all or nothing: keys.associateDevices(MANAGER, ACME, List.of(new NewDevice(\"IMP-1\", \"One\")))").hasSize(1);
      for (Actor a : List.of(VIEWER, STRANGER, GLOBEX_ADMIN, OPERATOR)) {
        refused(AccessDeniedException.class,
            () -> keys.associateDevices(a, ACME, List.of(new NewDevice("IMP-2", "Two"))));
      }
    }

    @Test
    void serialsRepeatedWithinTheRequestAreEachNamedAndNothingIsAssociated() {
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.associateDevices(ADMIN, ACME,
          List.of(new NewDevice("IMP-1", "a"), new NewDevice("IMP-2", "b"), new NewDevice("IMP-1", "c"),
              new NewDevice("IMP-3", "d"), new NewDevice("IMP-2", "e"))));
      assertThat(e.violations()).as("several devices associated in one call, all or nothing: the violations the refusal lists").extracting(InvalidRequestException.Violation::field,
              InvalidRequestException.Violation::message)
          .containsExactly(tuple("devices[2].serial", "repeats device IMP-1"),
              tuple("devices[4].serial", "repeats device IMP-2"));
      assertThat(keys.devices(ADMIN, ACME)).as("several devices associated in one call, all or nothing: the devices of ACME").extracting(Device::serial).noneMatch(s -> s.startsWith("IMP-"));
    }

    @Test
    void serialsAssociatedAlreadyHereOrElsewhereAreEachNamedAndNothingIsAssociated() {
      AlreadyExistsException e = refused(AlreadyExistsException.class, () -> keys.associateDevices(ADMIN, ACME,
          List.of(new NewDevice("IMP-1", "new"), new NewDevice("AQ-2", "mine"), new NewDevice("IMP-2", "new"),
              new NewDevice("GX-1", "theirs"))));
      assertThat(e.ids()).as("several devices associated in one call, all or nothing: the ids the refusal names").containsExactly("AQ-2", "GX-1");
      assertThat(e.getMessage()).as("several devices associated in one call, all or nothing: the refusal's message (what was refused and what to do)").contains("AQ-2 (this account)", "GX-1 (another account)")
          .doesNotContain("IMP-1", "IMP-2").doesNotContain(GLOBEX.value());
      assertThat(keys.devices(ADMIN, ACME)).as("several devices associated in one call, all or nothing: the devices of ACME").extracting(Device::serial).doesNotContain("IMP-1", "IMP-2");
      assertThat(keys.devices(GLOBEX_ADMIN, GLOBEX)).as("several devices associated in one call, all or nothing: the devices of GLOBEX").extracting(Device::name).contains("Globex lobby");
      // nothing was reserved by the refused call: the new serials are still free
      assertThat(keys.associateDevices(GLOBEX_ADMIN, GLOBEX,
          List.of(new NewDevice("IMP-1", "x"), new NewDevice("IMP-2", "y")))).hasSize(2);
    }

    @Test
    void everyInvalidFieldIsNamedWithItsDevice() {
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.associateDevices(ADMIN, ACME,
          Arrays.asList(new NewDevice("IMP-1", "ok"), new NewDevice("IMP-2", " "), null,
              new NewDevice("not a serial", "x"), new NewDevice("IMP-5", "y", "m".repeat(201)))));
      assertThat(fields(e)).as("several devices associated in one call, all or nothing: the fields the refusal names").containsExactly("devices[1].name", "devices[2]", "devices[3].serial", "devices[4].model");
      assertThat(e.violations().get(0).message()).as("several devices associated in one call, all or nothing: the violations the refusal lists").endsWith("(device IMP-2)");
      assertThat(e.violations().get(3).message()).as("several devices associated in one call, all or nothing: the violations the refusal lists").endsWith("(device IMP-5)");
      assertThat(keys.devices(ADMIN, ACME)).as("several devices associated in one call, all or nothing: the devices of ACME").extracting(Device::serial).doesNotContain("IMP-1");
    }

    @Test
    void aNullEmptyOrTooLongListIsInvalid() {
      refused(InvalidRequestException.class, () -> keys.associateDevices(ADMIN, ACME, null));
      InvalidRequestException empty = refused(InvalidRequestException.class,
          () -> keys.associateDevices(ADMIN, ACME, List.of()));
      assertThat(fields(empty)).as("several devices associated in one call, all or nothing: fields(empty)").containsExactly("devices");
      List<NewDevice> tooMany = IntStream.rangeClosed(1, 1001).mapToObj(i -> new NewDevice("IMP-" + i, "d" + i)).toList();
      refused(InvalidRequestException.class, () -> keys.associateDevices(ADMIN, ACME, tooMany));
    }

    @Test
    void anUnknownAccountIsNotFound() {
      refusedUnaudited(NotFoundException.class,
          () -> keys.associateDevices(ADMIN, AccountId.of("nowhere"), List.of(new NewDevice("IMP-1", "x"))));
    }
  }

  // ================================================================== conveniences: the operator's list

  @Nested
  @SuitePart("the operator lists accounts, with usage, page by page")
  class AccountList {

    @Test
    void everyAccountIsListedInIdOrderWithItsUsage() {
      createKey("AQ-1");
      keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1", "GX-2"));
      AccountPage page = keys.accounts(OPERATOR, null, 10);
      assertThat(page.accounts()).as("the operator lists accounts, with usage, page by page: page.accounts()").extracting(o -> o.account().id(), AccountOverview::usage)
          .containsExactly(tuple(ACME, new LicenseUsage(1, 2, 3)), tuple(GLOBEX, new LicenseUsage(2, 3, 5)));
      assertThat(page.accounts().get(0).account().name()).as("the operator lists accounts, with usage, page by page: page.accounts().get(0).account().name()").isEqualTo("Acme Air");
      assertThat(page.next()).as("the operator lists accounts, with usage, page by page: page.next()").isNull();
      assertThat(page.nextAfter()).as("the operator lists accounts, with usage, page by page: page.nextAfter()").isEmpty();
    }

    @Test
    void pagesFollowTheCursorToTheLastAccount() {
      for (int i = 1; i <= 5; i++) {
        keys.createAccount(OPERATOR, AccountId.of("c-" + i), new NewAccount("C " + i, UserId.of("c" + i), i));
      }
      List<AccountId> seen = new ArrayList<>();
      AccountId after = null;
      int pages = 0;
      do {
        AccountPage page = keys.accounts(OPERATOR, after, 3);
        assertThat(page.accounts()).as("the operator lists accounts, with usage, page by page: page.accounts()").hasSizeLessThanOrEqualTo(3).isNotEmpty();
        page.accounts().forEach(o -> seen.add(o.account().id()));
        after = page.next();
        pages++;
      } while (after != null);
      assertThat(pages).as("the operator lists accounts, with usage, page by page: pages").isEqualTo(3);
      assertThat(seen).as("the operator lists accounts, with usage, page by page: seen").extracting(AccountId::value)
          .containsExactly("acme", "c-1", "c-2", "c-3", "c-4", "c-5", "globex");
      // a page that ends exactly at the last account says there is no next page
      assertThat(keys.accounts(OPERATOR, null, 7).next()).as("the operator lists accounts, with usage, page by page: keys.accounts(OPERATOR, null, 7).next()").isNull();
      assertThat(keys.accounts(OPERATOR, null, 6).next()).as("the operator lists accounts, with usage, page by page: keys.accounts(OPERATOR, null, 6).next()").isEqualTo(AccountId.of("c-5"));
    }

    @Test
    void onlyTheOperatorMayListAccounts() {
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, STRANGER)) {
        AccessDeniedException e = refusedUnaudited(AccessDeniedException.class, () -> keys.accounts(a, null, 10));
        assertThat(e.getMessage()).as("the operator lists accounts, with usage, page by page: the refusal's message (what was refused and what to do)").contains("only the operator");
      }
      refusedUnaudited(InvalidRequestException.class, () -> keys.accounts(null, null, 10));
    }

    @Test
    void aLimitOutOfRangeIsInvalid() {
      for (int limit : new int[] {0, -1, 1001}) {
        InvalidRequestException e = refusedUnaudited(InvalidRequestException.class,
            () -> keys.accounts(OPERATOR, null, limit));
        assertThat(fields(e)).as("the operator lists accounts, with usage, page by page: the fields the refusal names").containsExactly("limit");
      }
    }

    @Test
    void aClosedAccountIsListedAsClosedWithoutLicenses() {
      keys.closeAccount(OPERATOR, GLOBEX, false);
      AccountPage page = keys.accounts(OPERATOR, null, 10);
      assertThat(page.accounts()).as("the operator lists accounts, with usage, page by page: page.accounts()").extracting(o -> o.account().id(), o -> o.account().isClosed(), AccountOverview::usage)
          .containsExactly(tuple(ACME, false, new LicenseUsage(0, 3, 3)),
              tuple(GLOBEX, true, new LicenseUsage(0, 0, 0)));
      assertThat(page.accounts().get(1).account().closedAt()).as("the operator lists accounts, with usage, page by page: page.accounts().get(1).account().closedAt()").isEqualTo(clock.instant());
    }
  }

  // ================================================================== conveniences: closing an account

  @Nested
  @SuitePart("the operator closes an account")
  class ClosingAnAccount {

    @Test
    void anAccountWithKeysIsNotClosedUnlessItsKeysAreToBeDeleted() {
      List<IssuedKey> two = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2"));
      LicensesInUseException e = refused(LicensesInUseException.class, () -> keys.closeAccount(OPERATOR, ACME, false));
      assertThat(e.keysToDelete()).as("the operator closes an account: the keys the refusal says to delete first").isEqualTo(2);
      assertThat(e.getMessage()).as("the operator closes an account: the refusal's message (what was refused and what to do)").contains("2 keys", "deleteKeys");
      assertThat(two).allSatisfy(k -> assertThat(status(k)).as(RuleWords.verdict("k", Status.VALID)).isEqualTo(Status.VALID));
    }

    @Test
    void closingDeletesKeysDissociatesDevicesRemovesMembersAndCancelsLicenses() {
      List<IssuedKey> two = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2"));
      long feed = store.latestChangeSequence();
      clock.advance(Duration.ofMinutes(5));

      Account closed = keys.closeAccount(OPERATOR, ACME, true);

      assertThat(closed.closedAt()).as("the operator closes an account: closed.closedAt()").isEqualTo(clock.instant());
      assertThat(closed.contractedLicenses()).as("the operator closes an account: closed.contractedLicenses()").isZero();
      assertThat(closed.isClosed()).as("the operator closes an account: closed.isClosed()").isTrue();
      AccountState state = store.readAccount(ACME, tx -> new AccountState(tx.account(), tx.members(), tx.devices(),
          tx.keys(), List.of(), List.of()));
      assertThat(state.account()).as("the operator closes an account: state.account()").contains(closed);
      assertThat(state.members()).as("members").isEmpty();
      assertThat(state.devices()).as("devices").isEmpty();
      assertThat(state.keys()).as("keys").isEmpty();
      assertThat(store.changesSince(feed, 100)).as("the operator closes an account: store.changesSince(feed, 100)").extracting(ChangeEvent::type, ChangeEvent::keyId)
          .containsExactlyInAnyOrder(tuple(ChangeEvent.Type.DELETED, two.get(0).key().id()),
              tuple(ChangeEvent.Type.DELETED, two.get(1).key().id()));
      for (IssuedKey k : two) {
        assertThat(status(k)).as("a closed account's key").isEqualTo(Status.UNKNOWN);
        assertThat(store.findKeyByHash(sha256(k.secret().reveal()))).as("the operator closes an account: store.findKeyByHash(sha256(k.secret().reveal()))").isEmpty();
      }
      assertThat(keys.licenseUsage(GLOBEX_ADMIN, GLOBEX)).as("the operator closes an account: keys.licenseUsage(GLOBEX_ADMIN, GLOBEX)").isEqualTo(new LicenseUsage(0, 5, 5));
    }

    @Test
    void theAuditLogIsKeptAndEndsWithTheClosing() {
      IssuedKey key = createKey("AQ-1");
      List<AuditEntry> before = audit(ACME);
      keys.closeAccount(OPERATOR, ACME, true);
      List<AuditEntry> after = audit(ACME);
      assertThat(after.subList(after.size() - before.size(), after.size())).as("older entries").isEqualTo(before);
      List<AuditEntry> added = new ArrayList<>(after.subList(0, after.size() - before.size()));
      Collections.reverse(added);
      assertThat(added).as("the operator closes an account: added").extracting(AuditEntry::action, AuditEntry::keyId, AuditEntry::deviceSerial, AuditEntry::outcome)
          .containsExactly(tuple(Action.DELETE_KEY, key.key().id(), "AQ-1", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-1", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-2", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-3", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-4", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-5", Outcome.SUCCESS),
              tuple(Action.DISSOCIATE_DEVICE, null, "AQ-6", Outcome.SUCCESS),
              tuple(Action.CLOSE_ACCOUNT, null, null, Outcome.SUCCESS));
      AuditEntry last = added.get(added.size() - 1);
      assertThat(last.actor()).as("the operator closes an account: last.actor()").isEqualTo(OPERATOR.toString());
      assertThat(last.detail()).as("the operator closes an account: last.detail()").contains("1 keys deleted", "6 devices dissociated", "3 members removed",
          "3 licenses cancelled");
      assertThat(after).as("the operator closes an account: after").extracting(AuditEntry::detail).noneMatch(d -> d.contains(key.secret().reveal()));
    }

    @Test
    void theKeysStopValidatingInTheCachedValidatorsOfThisAndOtherNodes() {
      ManualScheduler here = new ManualScheduler(clock);
      ManualScheduler there = new ManualScheduler(clock);
      Keyseat otherNode = Keyseat.builder(store).clock(clock).build();
      try (CachedKeyValidator a = keyseat.validator().changeNotifications(false).scheduler(here).build();
          CachedKeyValidator b = otherNode.validator().changeNotifications(false).scheduler(there).build()) {
        IssuedKey key = createKey("AQ-1");
        String secret = key.secret().reveal();
        assertThat(a.validate(secret).status()).as(RuleWords.verdict("secret", Status.VALID)).isEqualTo(Status.VALID);
        assertThat(b.validate(secret).status()).as(RuleWords.verdict("secret", Status.VALID)).isEqualTo(Status.VALID);
        keys.closeAccount(OPERATOR, ACME, true);
        assertThat(a.validate(secret).status()).as("this node, at commit").isEqualTo(Status.UNKNOWN);
        there.runNow("feed-poller");
        assertThat(b.validate(secret).status()).as("another node, at its next poll").isEqualTo(Status.UNKNOWN);
      }
    }

    @Test
    void aClosedAccountsSerialsMayJoinAnotherAccount() {
      createKey("AQ-1");
      keys.closeAccount(OPERATOR, ACME, true);
      keys.associateDevice(GLOBEX_ADMIN, GLOBEX, new NewDevice("AQ-1", "Bought second hand"));
      IssuedKey there = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("AQ-1")).get(0);
      assertThat(validator.validate(there.secret().reveal(), "AQ-1").accountId()).as("the operator closes an account: validator.validate(there.secret().reveal(), \"AQ-1\").accountId()").isEqualTo(GLOBEX);
    }

    @Test
    void everyLaterCallOnAClosedAccountIsNotFoundAndItsIdStaysTaken() {
      keys.closeAccount(OPERATOR, ACME, false);
      NotFoundException again = refused(NotFoundException.class, () -> keys.closeAccount(OPERATOR, ACME, true));
      assertThat(again.ids()).as("the operator closes an account: again.ids()").containsExactly(ACME.value());
      refused(NotFoundException.class, () -> keys.licenseUsage(OPERATOR, ACME));
      refused(NotFoundException.class, () -> keys.contractLicenses(OPERATOR, ACME, 1));
      refused(NotFoundException.class, () -> keys.keys(ADMIN, ACME));
      refused(NotFoundException.class, () -> keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-9", "x")));
      refused(NotFoundException.class, () -> keys.addMember(ADMIN, ACME, UserId.of("mallory"), Role.ADMIN));
      refused(AlreadyExistsException.class,
          () -> keys.createAccount(OPERATOR, ACME, new NewAccount("Acme again", UserId.of("alice"), 3)));
    }

    @Test
    void onlyTheOperatorMayCloseAnAccount() {
      IssuedKey key = createKey("AQ-1");
      for (Actor a : List.of(ADMIN, MANAGER, VIEWER, STRANGER, GLOBEX_ADMIN)) {
        AccessDeniedException e = refused(AccessDeniedException.class, () -> keys.closeAccount(a, ACME, true));
        assertThat(e.getMessage()).as(a.toString()).contains("only the operator");
      }
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aKeylessAccountClosesWithoutDeletingAndTheOthersAreUntouched() {
      IssuedKey mine = createKey("AQ-1");
      assertThat(keys.closeAccount(OPERATOR, GLOBEX, false).isClosed()).isTrue();
      assertVerdict("mine", mine, Status.VALID);
      assertThat(keys.devices(ADMIN, ACME)).as("the operator closes an account: the devices of ACME").hasSize(6);
      assertThat(keys.members(ADMIN, ACME)).as("the operator closes an account: the members of ACME").hasSize(3);
      refusedUnaudited(NotFoundException.class, () -> keys.closeAccount(OPERATOR, AccountId.of("nowhere"), true));
    }
  }

  // ================================================================== conveniences: closing Keyseat

  @Nested
  @SuitePart("closing Keyseat closes the validators it built")
  class ClosingKeyseat {

    @Test
    void closingKeyseatClosesEveryOpenValidatorAndWritesTheirUsage() {
      ManualScheduler scheduler = new ManualScheduler(clock);
      CachedKeyValidator a = keyseat.validator().changeNotifications(false).scheduler(scheduler).build();
      CachedKeyValidator b = keyseat.validator().changeNotifications(false).scheduler(scheduler).maximumSize(10).build();
      IssuedKey key = createKey("AQ-1");
      String secret = key.secret().reveal();
      for (int i = 0; i < 3; i++) {
        assertThat(a.validate(secret).status()).as(RuleWords.verdict("secret", Status.VALID)).isEqualTo(Status.VALID);
      }
      assertThat(b.validate(secret).status()).as(RuleWords.verdict("secret", Status.VALID)).isEqualTo(Status.VALID);
      assertThat(scheduler.activeTasks()).as("closing Keyseat closes the validators it built: scheduler.activeTasks()").isNotEmpty();

      keyseat.close();

      assertThat(a.validate(secret).status()).as(RuleWords.verdict("secret", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);
      assertThat(b.validate(secret).status()).as(RuleWords.verdict("secret", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);
      assertThat(scheduler.activeTasks()).as("the validators' poller and flusher").isEmpty();
      assertThat(row(key.key().id()).useCount()).as("usage written at close").isEqualTo(4);
    }

    @Test
    void closeIsIdempotentAndAValidatorClosedOnItsOwnIsLeftAlone() {
      ManualScheduler scheduler = new ManualScheduler(clock);
      CachedKeyValidator early = keyseat.validator().changeNotifications(false).scheduler(scheduler).build();
      early.close();
      CachedKeyValidator late = keyseat.validator().changeNotifications(false).scheduler(scheduler).build();
      keyseat.close();
      keyseat.close();
      assertThat(scheduler.activeTasks()).as("closing Keyseat closes the validators it built: scheduler.activeTasks()").isEmpty();
      assertThat(late.validate(wellFormedUnissuedKey()).status()).as(RuleWords.verdict("wellFormedUnissuedKey()", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);
    }

    @Test
    void aClosedKeyseatBuildsNoValidatorButItsManagementAndStoreValidatorKeepWorking() {
      keyseat.close();
      assertThatThrownBy(() -> keyseat.validator().changeNotifications(false).scheduler(new ManualScheduler(clock)).build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
      IssuedKey key = createKey("AQ-1");
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void keyseatIsAutoCloseable() {
      ManualScheduler scheduler = new ManualScheduler(clock);
      CachedKeyValidator v;
      try (Keyseat node = Keyseat.builder(store).clock(clock).build()) {
        v = node.validator().changeNotifications(false).scheduler(scheduler).build();
        assertThat(scheduler.activeTasks()).as("closing Keyseat closes the validators it built: scheduler.activeTasks()").isNotEmpty();
      }
      assertThat(scheduler.activeTasks()).as("closing Keyseat closes the validators it built: scheduler.activeTasks()").isEmpty();
      assertThat(v.validate(wellFormedUnissuedKey()).status()).as(RuleWords.verdict("wellFormedUnissuedKey()", Status.UNAVAILABLE)).isEqualTo(Status.UNAVAILABLE);
    }
  }
  // ================================================================== adoption: importing existing keys

  /** A UUID never issued, the shape of the legacy keys of these tests. */
  private static final String LEGACY_1 = "3f2a7c1e-9b4d-4e8a-b6c1-0d2e4f6a8b01";
  private static final String LEGACY_2 = "7a9e3b2c-1d4f-4a6b-8c0e-2f4a6b8c0d12";
  private static final String LEGACY_3 = "c0ffee00-1234-4abc-9def-0123456789ab";
  private static final String LEGACY_4 = "deadbeef-5678-4def-8abc-9876543210fe";

  /** Switches to a Keyseat over the same store and clock that accepts UUIDs as imported keys. */
  protected void useLegacyUuids() {
    use(Keyseat.builder(store).clock(clock).legacyKeyShapes(dev.keyseat.LegacyKeyShape.uuid()).build());
  }

  @Nested
  @SuitePart("adoption: the operator imports existing keys, which then behave as native keys")
  class ImportingKeys {

    @BeforeEach
    void legacyShapes() {
      useLegacyUuids();
    }

    @Test
    void importedLegacyAndKeyseatKeysValidateWithTheirCreationTimeAndLabel() {
      Instant then = clock.instant().minus(Duration.ofDays(400));
      String nativeKey = wellFormedKey("ImportedNative0123456789abc");
      dev.keyseat.ImportResult result = keys.importKeys(OPERATOR, ACME, List.of(
          dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1).withCreatedAt(then).withLabel("from the old portal"),
          dev.keyseat.KeyImport.ofSecret("AQ-2", nativeKey)), false);
      assertThat(result.imported()).as("adoption: result.imported()").extracting(dev.keyseat.ImportResult.ImportedKey::index,
          dev.keyseat.ImportResult.ImportedKey::serial).containsExactly(tuple(0, "AQ-1"), tuple(1, "AQ-2"));
      assertThat(result.alreadyImported()).as("adoption: result.alreadyImported()").isEmpty();
      assertThat(usage().used()).as("adoption: R3 usage: used licenses").isEqualTo(2);
      ApiKey legacyRow = keys.keyOfDevice(ADMIN, ACME, "AQ-1");
      assertThat(legacyRow.createdAt()).as("adoption: legacyRow.createdAt()").isEqualTo(then);
      assertThat(legacyRow.label()).as("adoption: legacyRow.label()").isEqualTo("from the old portal");
      assertThat(legacyRow.hint()).as("adoption: legacyRow.hint()").isEqualTo("..." + LEGACY_1.substring(LEGACY_1.length() - 4));
      assertThat(validator.validate(LEGACY_1, "AQ-1").status()).as(RuleWords.verdict("LEGACY_1 presented for AQ-1", Status.VALID)).isEqualTo(Status.VALID);
      assertThat(validator.validate(LEGACY_1, "AQ-2").status()).as(RuleWords.verdict("LEGACY_1 presented for AQ-2", Status.DEVICE_MISMATCH)).isEqualTo(Status.DEVICE_MISMATCH);
      assertThat(validator.validate(nativeKey).keyId()).as("adoption: validator.validate(nativeKey).keyId()").isEqualTo(result.imported().get(1).keyId());
      assertThat(store.findKeyByHash(sha256(LEGACY_1))).as("the store keeps SHA-256 of the whole key").isPresent();
      assertThat(row(legacyRow.id()).useCount()).as("the valid verdict only").isEqualTo(1);
    }

    @Test
    void aHashedImportValidatesThePlaintextItWasTakenFrom() {
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSha256("AQ-3", sha256(LEGACY_3).toHex().toUpperCase(Locale.ROOT))),
          false);
      assertVerdict("LEGACY_3", LEGACY_3, Status.VALID);
      assertThat(keys.keyOfDevice(ADMIN, ACME, "AQ-3").hint()).as("adoption: keys.keyOfDevice(ADMIN, ACME, \"AQ-3\").hint()").isEqualTo("(imported hash)");
    }

    @Test
    void inputsOfNoDeclaredShapeStayMalformed() {
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false);
      assertThat(status(LEGACY_1.replace('-', '_'))).as("adoption: status(LEGACY_1.replace('-', '_'))").isEqualTo(Status.MALFORMED);
      assertThat(status(LEGACY_1 + "0")).as(RuleWords.verdict("LEGACY_1 + \"0\"", Status.MALFORMED)).isEqualTo(Status.MALFORMED);
      assertThat(status("ks_" + "x".repeat(33))).as("a mistyped Keyseat key is no legacy key").isEqualTo(Status.MALFORMED);
      use(Keyseat.builder(store).clock(clock).build());
      assertThat(status(LEGACY_1)).as("without the declared shape").isEqualTo(Status.MALFORMED);
    }

    @Test
    void aRerunReportsWhatWasImportedAlreadyAndDuplicatesNothing() {
      List<dev.keyseat.KeyImport> batch = List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1),
          dev.keyseat.KeyImport.ofSecret("AQ-2", LEGACY_2));
      dev.keyseat.ImportResult first = keys.importKeys(OPERATOR, ACME, batch.subList(0, 1), false);
      int auditBefore = audit(ACME).size();
      dev.keyseat.ImportResult again = keys.importKeys(OPERATOR, ACME, batch, false);
      assertThat(again.alreadyImported()).as("adoption: again.alreadyImported()").extracting(dev.keyseat.ImportResult.ImportedKey::serial,
          dev.keyseat.ImportResult.ImportedKey::keyId).containsExactly(tuple("AQ-1", first.imported().get(0).keyId()));
      assertThat(again.imported()).as("adoption: again.imported()").extracting(dev.keyseat.ImportResult.ImportedKey::serial).containsExactly("AQ-2");
      assertThat(usage().used()).as("adoption: R3 usage: used licenses").isEqualTo(2);
      assertThat(audit(ACME)).as("adoption: the audit log of ACME").hasSize(auditBefore + 1);
    }

    @Test
    void anImportBeyondTheLicensesIsRefusedWholeNamingTheShortfall() {
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false);
      LicenseLimitException e = refused(LicenseLimitException.class, () -> keys.importKeys(OPERATOR, ACME, List.of(
          dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1), dev.keyseat.KeyImport.ofSecret("AQ-2", LEGACY_2),
          dev.keyseat.KeyImport.ofSecret("AQ-3", LEGACY_3), dev.keyseat.KeyImport.ofSecret("AQ-4", LEGACY_4)), false));
      assertThat(e.needed()).as("the key imported already needs no license").isEqualTo(3);
      assertThat(e.available()).as("adoption: the licenses the refusal says are available").isEqualTo(2);
      assertThat(e.getMessage()).as("adoption: the refusal's message (what was refused and what to do)").doesNotContain(LEGACY_2);
    }

    @Test
    void aDeviceNotOfTheAccountIsRefusedUnlessTheImportAssociatesIt() {
      NotFoundException missing = refused(NotFoundException.class, () -> keys.importKeys(OPERATOR, ACME,
          List.of(dev.keyseat.KeyImport.ofSecret("NEW-1", LEGACY_1), dev.keyseat.KeyImport.ofSecret("GX-1", LEGACY_2)),
          false));
      assertThat(missing.getMessage()).as("adoption: missing.getMessage()").contains("NEW-1", "GX-1");
      refused(AlreadyExistsException.class, () -> keys.importKeys(OPERATOR, ACME,
          List.of(dev.keyseat.KeyImport.ofSecret("NEW-1", LEGACY_1), dev.keyseat.KeyImport.ofSecret("GX-1", LEGACY_2)),
          true));
      dev.keyseat.ImportResult done = keys.importKeys(OPERATOR, ACME, List.of(
          dev.keyseat.KeyImport.ofSecret("NEW-1", LEGACY_1).withDeviceName("Lobby monitor"),
          dev.keyseat.KeyImport.ofSecret("NEW-2", LEGACY_2)), true);
      assertThat(done.devicesAssociated()).as("adoption: done.devicesAssociated()").isEqualTo(2);
      assertThat(keys.devices(VIEWER, ACME)).as("adoption: the devices of ACME").extracting(Device::serial, Device::name)
          .contains(tuple("NEW-1", "Lobby monitor"), tuple("NEW-2", "NEW-2"));
      assertVerdict("LEGACY_2", LEGACY_2, Status.VALID);
    }

    @Test
    void aDeviceWithAnotherKeyIsRefusedAsAlreadyHavingOne() {
      createKey("AQ-1");
      DeviceAlreadyHasKeyException e = refused(DeviceAlreadyHasKeyException.class, () -> keys.importKeys(OPERATOR, ACME,
          List.of(dev.keyseat.KeyImport.ofSecret("AQ-2", LEGACY_2), dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)),
          false));
      assertThat(e.getMessage()).as("adoption: the refusal's message (what was refused and what to do)").contains("AQ-1").doesNotContain("AQ-2");
    }

    @Test
    void aKeyInUseByAnotherDeviceIsRefused() {
      IssuedKey theirs = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-1")).get(0);
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.importKeys(OPERATOR, ACME,
          List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", theirs.secret().reveal())), false));
      assertThat(fields(e)).as("adoption: the fields the refusal names").containsExactly("records[0]");
      assertThat(e.getMessage()).as("adoption: the refusal's message (what was refused and what to do)").doesNotContain(GLOBEX.value(), "GX-1");
    }

    @Test
    void everyBadRecordIsNamedAndNoPlaintextIsEchoed() {
      String notAKey = "hunter2-is-not-a-key-of-any-shape";
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.importKeys(OPERATOR, ACME,
          Arrays.asList(
              dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1),
              dev.keyseat.KeyImport.ofSecret("not a serial", LEGACY_2),
              dev.keyseat.KeyImport.ofSecret("AQ-3", notAKey),
              dev.keyseat.KeyImport.ofSha256("AQ-4", "abc"),
              new dev.keyseat.KeyImport("AQ-5", null, null, null, "", null),
              dev.keyseat.KeyImport.ofSecret("AQ-6", LEGACY_3).withCreatedAt(clock.instant().plusSeconds(1)),
              dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_4),
              dev.keyseat.KeyImport.ofSha256("AQ-2", sha256(LEGACY_1).toHex()),
              null), false));
      assertThat(fields(e)).as("adoption: the fields the refusal names").containsExactly("records[1].serial", "records[2].secret", "records[3].sha256", "records[4]",
          "records[5].createdAt", "records[6].serial", "records[7]", "records[8]");
      assertThat(e.violations().get(1).message()).as("adoption: the violations the refusal lists").endsWith("(device AQ-3)");
      assertThat(e.getMessage()).as("adoption: the refusal's message (what was refused and what to do)").doesNotContain(notAKey, LEGACY_1, LEGACY_2, LEGACY_3, LEGACY_4);
      refused(InvalidRequestException.class, () -> keys.importKeys(OPERATOR, ACME, List.of(), false));
    }

    @Test
    void onlyTheOperatorImports() {
      for (Actor a : List.of(ADMIN, MANAGER, GLOBEX_ADMIN)) {
        refused(AccessDeniedException.class,
            () -> keys.importKeys(a, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false));
      }
      refusedUnaudited(NotFoundException.class, () -> keys.importKeys(OPERATOR, AccountId.of("nowhere"),
          List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false));
    }

    @Test
    void eachImportedKeyIsAuditedAsAnImportWithoutItsSecretOrHash() {
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1),
          dev.keyseat.KeyImport.ofSha256("NEW-1", sha256(LEGACY_2).toHex())), true);
      List<AuditEntry> log = audit(ACME).subList(0, 3);
      assertThat(log).as("adoption: log").extracting(AuditEntry::action, AuditEntry::deviceSerial, AuditEntry::actor, AuditEntry::outcome)
          .containsExactlyInAnyOrder(tuple(Action.IMPORT_KEYS, "AQ-1", OPERATOR.toString(), Outcome.SUCCESS),
              tuple(Action.IMPORT_KEYS, "NEW-1", OPERATOR.toString(), Outcome.SUCCESS),
              tuple(Action.ASSOCIATE_DEVICE, "NEW-1", OPERATOR.toString(), Outcome.SUCCESS));
      assertThat(log).allSatisfy(entry -> assertThat(entry.detail())
          .doesNotContain(LEGACY_1, LEGACY_2, sha256(LEGACY_1).toHex(), sha256(LEGACY_2).toHex()));
      assertThat(log).filteredOn(entry -> entry.action() == Action.IMPORT_KEYS).allSatisfy(entry ->
          assertThat(entry.keyId()).as("adoption: entry.keyId()").isNotNull());
    }

    @Test
    void withAPepperAHashedImportIsRefusedAndAPlaintextImportIsHashedWithThePepper() {
      byte[] pepper = "a host pepper of 32 bytes.......".getBytes(StandardCharsets.US_ASCII);
      use(Keyseat.builder(store).clock(clock).pepper(pepper).legacyKeyShapes(dev.keyseat.LegacyKeyShape.uuid()).build());
      InvalidRequestException e = refused(InvalidRequestException.class, () -> keys.importKeys(OPERATOR, ACME,
          List.of(dev.keyseat.KeyImport.ofSha256("AQ-1", sha256(LEGACY_1).toHex())), false));
      assertThat(fields(e)).as("adoption: the fields the refusal names").containsExactly("records[0].sha256");
      assertThat(e.getMessage()).as("adoption: the refusal's message (what was refused and what to do)").contains("pepper", "import the plaintext keys instead");
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false);
      assertVerdict("LEGACY_1", LEGACY_1, Status.VALID);
      assertThat(store.findKeyByHash(sha256(LEGACY_1))).as("HMAC, not SHA-256, at rest").isEmpty();
    }

    @Test
    void regeneratingAnImportedKeyIssuesAKeyInKeyseatsFormat() {
      KeyId id = keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1)), false)
          .imported().get(0).keyId();
      IssuedKey fresh = keys.regenerateKey(ADMIN, ACME, id);
      assertThat(fresh.secret().reveal()).as("adoption: fresh.secret().reveal()").matches("ks_[0-9A-Za-z]{33}");
      assertThat(fresh.key().hint()).as("adoption: fresh.key().hint()").startsWith("ks_...");
      assertVerdict("fresh", fresh, Status.VALID);
      assertVerdict("LEGACY_1", LEGACY_1, Status.REVOKED);
    }

    @Test
    void theCachedValidatorAnswersImportedKeysAndForgetsThemAsItDoesNativeKeys() {
      ManualScheduler scheduler = new ManualScheduler(clock);
      try (CachedKeyValidator cached = keyseat.validator().scheduler(scheduler).build()) {
        assertThat(cached.validate(LEGACY_1).status()).as("negative entry first").isEqualTo(Status.UNKNOWN);
        KeyId id = keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-1", LEGACY_1),
            dev.keyseat.KeyImport.ofSecret("AQ-2", LEGACY_2)), false).imported().get(0).keyId();
        assertThat(cached.validate(LEGACY_1).status()).as("the import invalidated it").isEqualTo(Status.VALID);
        assertThat(cached.validate(LEGACY_1, "AQ-1").status()).as(RuleWords.verdict("LEGACY_1 presented for AQ-1", Status.VALID)).isEqualTo(Status.VALID);
        assertThat(cached.validate(LEGACY_1, "AQ-9").status()).as(RuleWords.verdict("LEGACY_1 presented for AQ-9", Status.DEVICE_MISMATCH)).isEqualTo(Status.DEVICE_MISMATCH);
        assertThat(cached.validate(LEGACY_2).status()).as(RuleWords.verdict("LEGACY_2", Status.VALID)).isEqualTo(Status.VALID);
        assertThat(cached.validate(LEGACY_1.toUpperCase(Locale.ROOT).replace('-', '+')).status()).as(RuleWords.verdict("LEGACY_1.toUpperCase().replace('-', '+')", Status.MALFORMED)).isEqualTo(Status.MALFORMED);
        keys.editKey(ADMIN, ACME, id, KeyEdit.suspend());
        assertThat(cached.validate(LEGACY_1).status()).as(RuleWords.verdict("LEGACY_1", Status.SUSPENDED)).isEqualTo(Status.SUSPENDED);
        keys.deleteKey(ADMIN, ACME, keys.keyOfDevice(ADMIN, ACME, "AQ-2").id());
        assertThat(cached.validate(LEGACY_2).status()).as(RuleWords.verdict("LEGACY_2", Status.UNKNOWN)).isEqualTo(Status.UNKNOWN);
      }
      assertThat(keys.keyOfDevice(ADMIN, ACME, "AQ-1").useCount()).as("usage written at close").isEqualTo(2);
    }
  }

  // ================================================================== leaked keys

  @Nested
  @SuitePart("leaked keys: the operator regenerates or suspends every key a leaked secret belongs to")
  class LeakedKeys {

    @Test
    void eachLeakedSecretsKeyIsRegeneratedInItsAccountAndReportedWithoutTheSecret() {
      IssuedKey ours = createKey("AQ-1");
      IssuedKey theirs = keys.createKeys(GLOBEX_ADMIN, GLOBEX, NewKeys.forDevices("GX-2")).get(0);
      List<dev.keyseat.LeakedKey> found = keys.revokeLeaked(OPERATOR, List.of(Secret.of("not a key"),
          theirs.secret(), Secret.of(wellFormedUnissuedKey()), ours.secret(), ours.secret()),
          dev.keyseat.LeakAction.REGENERATE);
      assertThat(found).as("leaked keys: found").extracting(dev.keyseat.LeakedKey::index, dev.keyseat.LeakedKey::accountId,
              dev.keyseat.LeakedKey::deviceSerial, dev.keyseat.LeakedKey::keyId, dev.keyseat.LeakedKey::previousSecret)
          .containsExactly(tuple(1, GLOBEX, "GX-2", theirs.key().id(), false),
              tuple(3, ACME, "AQ-1", ours.key().id(), false));
      assertThat(found.toString()).as("leaked keys: found.toString()").doesNotContain(ours.secret().reveal(), theirs.secret().reveal());
      assertVerdict("ours", ours, Status.REVOKED);
      assertVerdict("theirs", theirs, Status.REVOKED);
      assertThat(row(ours.key().id()).regeneratedAt()).as("leaked keys: row(ours.key().id()).regeneratedAt()").isEqualTo(clock.instant());
      assertThat(usage().used()).as("same key, same license").isEqualTo(1);
      AuditEntry entry = audit(GLOBEX).get(0);
      assertThat(entry).as("leaked keys: entry").extracting(AuditEntry::action, AuditEntry::keyId, AuditEntry::actor, AuditEntry::outcome)
          .containsExactly(Action.REGENERATE_KEY, theirs.key().id(), OPERATOR.toString(), Outcome.SUCCESS);
      assertThat(entry.detail()).as("leaked keys: entry.detail()").contains("leaked").doesNotContain(theirs.secret().reveal());
      assertThat(audit(ACME).get(0).action()).as("leaked keys: the audit log of ACME").isEqualTo(Action.REGENERATE_KEY);
    }

    @Test
    void suspendingStopsTheKeyUntilAnAdminResumesIt() {
      IssuedKey key = createKey("AQ-2");
      assertThat(keys.revokeLeaked(OPERATOR, List.of(key.secret()), dev.keyseat.LeakAction.SUSPEND)).as("leaked keys: keys.revokeLeaked(OPERATOR, List.of(key.secret()), dev.keyseat.LeakAction.SUSPEND)").hasSize(1);
      assertVerdict("key", key, Status.SUSPENDED);
      assertThat(audit(ACME).get(0)).as("leaked keys: the audit log of ACME").extracting(AuditEntry::action, AuditEntry::deviceSerial)
          .containsExactly(Action.SUSPEND_KEY, "AQ-2");
      keys.editKey(ADMIN, ACME, key.key().id(), KeyEdit.resume());
      assertVerdict("key", key, Status.VALID);
    }

    @Test
    void aLeakedPreviousSecretLosesItsOverlapAndTheCurrentOneStays() {
      IssuedKey old = createKey("AQ-1");
      IssuedKey current = keys.regenerateKey(ADMIN, ACME, old.key().id(), Duration.ofHours(1));
      assertVerdict("old", old, Status.VALID);
      List<dev.keyseat.LeakedKey> found = keys.revokeLeaked(OPERATOR, List.of(old.secret()),
          dev.keyseat.LeakAction.REGENERATE);
      assertThat(found).as("leaked keys: found").extracting(dev.keyseat.LeakedKey::previousSecret).containsExactly(true);
      assertVerdict("old", old, Status.REVOKED);
      assertVerdict("current", current, Status.VALID);
    }

    @Test
    void theCachedValidatorStopsALeakedSecretAtOnce() {
      IssuedKey key = createKey("AQ-1");
      try (CachedKeyValidator cached = keyseat.validator().scheduler(new ManualScheduler(clock)).build()) {
        assertThat(cached.validate(key.secret().reveal()).status()).as(RuleWords.verdict("key's secret", Status.VALID)).isEqualTo(Status.VALID);
        keys.revokeLeaked(OPERATOR, List.of(key.secret()), dev.keyseat.LeakAction.REGENERATE);
        assertThat(cached.validate(key.secret().reveal()).status()).as(RuleWords.verdict("key's secret", Status.REVOKED)).isEqualTo(Status.REVOKED);
      }
    }

    @Test
    void anImportedLegacyKeyIsFoundToo() {
      useLegacyUuids();
      keys.importKeys(OPERATOR, ACME, List.of(dev.keyseat.KeyImport.ofSecret("AQ-3", LEGACY_3)), false);
      assertThat(keys.revokeLeaked(OPERATOR, List.of(Secret.of(LEGACY_3)), dev.keyseat.LeakAction.SUSPEND))
          .extracting(dev.keyseat.LeakedKey::deviceSerial).containsExactly("AQ-3");
      assertVerdict("LEGACY_3", LEGACY_3, Status.SUSPENDED);
    }

    @Test
    void onlyTheOperatorMayAndAnEmptyListIsInvalid() {
      IssuedKey key = createKey("AQ-1");
      refusedUnaudited(AccessDeniedException.class,
          () -> keys.revokeLeaked(ADMIN, List.of(key.secret()), dev.keyseat.LeakAction.REGENERATE));
      refusedUnaudited(InvalidRequestException.class,
          () -> keys.revokeLeaked(OPERATOR, List.of(), dev.keyseat.LeakAction.REGENERATE));
      refusedUnaudited(InvalidRequestException.class, () -> keys.revokeLeaked(OPERATOR, List.of(key.secret()), null));
      assertVerdict("key", key, Status.VALID);
    }
  }

  // ================================================================== the keys table, page by page

  @Nested
  @SuitePart("the keys table page by page: search, sort, keyset cursor (R8)")
  class KeyTablePages {
    final AccountId paged = AccountId.of("paged");
    final Actor pat = Actor.user("pat");
    final Actor pia = Actor.user("pia");
    final Actor pim = Actor.user("pim");
    /**
     * Device names with ties in every case, letters outside A-Z (which compare as written), a
     * character above U+FFFF (code point order, not UTF-16 order) and the LIKE wildcards.
     */
    final List<String> names = List.of("Lobby", "lobby", "LOBBY", "Attic", "attic 2", "Basement", "Zeta",
        "\u00c4rger", "\u00e4rger", "roof", "Roof", "_under", "50% duty", "zz", "Zz", "a", "B", "b",
        "\ud83d\ude00 smile", "\ufffd odd", "Lobby", "Cellar", "cellar", "Dock");
    final List<String> serials = new ArrayList<>();

    @BeforeEach
    void aLargerAccount() {
      keys.createAccount(OPERATOR, paged, new NewAccount("Paged", UserId.of("pat"), 40));
      keys.addMember(pat, paged, UserId.of("pia"), Role.MANAGER);
      keys.addMember(pat, paged, UserId.of("pim"), Role.VIEWER);
      for (int i = 0; i < names.size(); i++) {
        String serial = (i % 5 == 0 ? "p-" : "P-") + String.format(java.util.Locale.ROOT, "%02d", 40 - i);
        serials.add(serial);
        keys.associateDevice(pat, paged, new NewDevice(serial, names.get(i)));
      }
      // batches share their creation instant: ties in CREATED broken by the order of selection
      keys.createKeys(pat, paged, NewKeys.forDevices(serials.subList(0, 8)).withLabel("North wing"));
      clock.advance(Duration.ofMinutes(1));
      keys.createKeys(pat, paged, NewKeys.forDevices(serials.subList(8, 16)).withLabel("south WING_2"));
      clock.advance(Duration.ofMinutes(1));
      for (String serial : serials.subList(16, 22)) {
        keys.createKeys(pat, paged, NewKeys.forDevices(serial).withExpiresAt(clock.instant().plus(Duration.ofHours(1))));
      }
      List<ApiKey> table = keys.keys(pat, paged);
      keys.editKey(pat, paged, table.get(2).id(), KeyEdit.suspend());
      keys.editKey(pat, paged, table.get(9).id(), KeyEdit.suspend());
      Instant t = clock.instant();
      store.recordUsage(List.of(new dev.keyseat.spi.UsageDelta(table.get(0).id(), t.minusSeconds(30), 3),
          new dev.keyseat.spi.UsageDelta(table.get(3).id(), t.minusSeconds(30), 1),
          new dev.keyseat.spi.UsageDelta(table.get(5).id(), t.minusSeconds(10), 2),
          new dev.keyseat.spi.UsageDelta(table.get(12).id(), t.minusSeconds(60), 5),
          new dev.keyseat.spi.UsageDelta(table.get(17).id(), t, 1)));
      clock.advance(Duration.ofHours(2)); // the six single keys expire
    }

    List<ApiKey> everyPage(KeyQuery first) {
      List<ApiKey> rows = new ArrayList<>();
      KeyQuery q = first;
      for (int pages = 0; pages < 1000; pages++) {
        KeyPage page = keys.keys(pat, paged, q);
        assertThat(page.keys()).as("a page holds at most the limit").hasSizeLessThanOrEqualTo(first.limit());
        rows.addAll(page.keys());
        if (page.next() == null) {
          return rows;
        }
        assertThat(page.keys()).as("a page with a next cursor is full").hasSize(first.limit());
        q = q.withAfter(page.next());
      }
      throw new AssertionError("the cursor never reached the last page");
    }

    String foldAscii(String s) {
      StringBuilder b = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        b.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
      }
      return b.toString();
    }

    int byCodePoints(String a, String b) {
      int i = 0;
      int j = 0;
      while (i < a.length() && j < b.length()) {
        int ca = a.codePointAt(i);
        int cb = b.codePointAt(j);
        if (ca != cb) {
          return Integer.compare(ca, cb);
        }
        i += Character.charCount(ca);
        j += Character.charCount(cb);
      }
      return Integer.compare(a.length() - i, b.length() - j);
    }

    /** The reference order of each sort, ascending; ties by key id. */
    java.util.Comparator<ApiKey> order(KeySort sort, List<ApiKey> table) {
      java.util.Comparator<ApiKey> byId = java.util.Comparator.comparing(k -> k.id().value());
      return switch (sort) {
        case DEVICE_NAME -> ((java.util.Comparator<ApiKey>) (x, y) -> byCodePoints(foldAscii(x.deviceName()),
            foldAscii(y.deviceName()))).thenComparing(byId);
        case SERIAL -> java.util.Comparator.comparing(ApiKey::deviceSerial).thenComparing(byId);
        case CREATED -> java.util.Comparator.comparingInt(table::indexOf);
        case LAST_USED -> java.util.Comparator.comparing(ApiKey::lastUsedAt,
            java.util.Comparator.nullsFirst(java.util.Comparator.<Instant>naturalOrder())).thenComparing(byId);
        case STATUS -> java.util.Comparator.comparing((ApiKey k) -> k.status().name()).thenComparing(byId);
      };
    }

    static Stream<Arguments> sorts() {
      return Arrays.stream(KeySort.values()).flatMap(s -> Stream.of(Arguments.of(s, false), Arguments.of(s, true)));
    }

    @ParameterizedTest(name = "{0}, descending {1}")
    @MethodSource("dev.keyseat.testkit.KeyManagerContract$KeyTablePages#sorts")
    void eachSortOrdersEveryKeyWithTiesBrokenByKeyIdAndDescendingIsTheExactReverse(KeySort sort, boolean descending) {
      List<ApiKey> table = keys.keys(pat, paged);
      List<ApiKey> expected = new ArrayList<>(table);
      expected.sort(order(sort, table));
      if (descending) {
        Collections.reverse(expected);
      }
      assertThat(everyPage(KeyQuery.first(5).withSort(sort, descending)))
          .as("pages of 5 sorted by %s%s, followed by cursor, are the whole table in that order", sort,
              descending ? " descending" : "")
          .containsExactlyElementsOf(expected);
      assertThat(everyPage(KeyQuery.first(1000).withSort(sort, descending)))
          .as("one page of the whole table is in the same order").containsExactlyElementsOf(expected);
    }

    @Test
    void createdOrderIsTheOrderOfTheWholeTable() {
      assertThat(everyPage(KeyQuery.first(7))).as("the first query's default sort is the keys() order")
          .containsExactlyElementsOf(keys.keys(pat, paged));
    }

    @Test
    void pageRowsAreTheRowsOfTheWholeTableWithTheirUsageAndStatus() {
      List<ApiKey> table = keys.keys(pat, paged);
      assertThat(table).as("setup: used, suspended and expired keys").extracting(ApiKey::status)
          .contains(KeyStatus.ACTIVE, KeyStatus.SUSPENDED, KeyStatus.EXPIRED);
      assertThat(keys.keys(pat, paged, KeyQuery.first(1000)).keys())
          .as("each row of a page equals the key's row of keys(): usage, status, device name, label")
          .containsExactlyElementsOf(table);
      assertThat(table.get(0).useCount()).isEqualTo(3);
    }

    @Test
    void theTotalCountsEveryMatchingKeyOnEveryPage() {
      KeyQuery q = KeyQuery.first(10).withSort(KeySort.SERIAL, true);
      KeyPage page = keys.keys(pat, paged, q);
      assertThat(page.total()).as("the total counts the whole table, not the page").isEqualTo(22);
      page = keys.keys(pat, paged, q.withAfter(page.next()));
      assertThat(page.total()).as("the total is the same on a later page").isEqualTo(22);
      page = keys.keys(pat, paged, q.withAfter(page.next()));
      assertThat(page.keys()).as("the last page holds the rest").hasSize(2);
      assertThat(page.next()).as("the last page has no next cursor").isNull();
      assertThat(keys.keys(pat, paged, KeyQuery.first(22)).next())
          .as("a page that ends exactly at the last key has no next cursor").isNull();
      assertThat(keys.keys(pat, paged, KeyQuery.first(10).withSearch("lobby")).total())
          .as("with a search the total counts the matches").isEqualTo(4);
    }

    @Test
    void aCursorVisitsEveryKeyOnceWhileKeysAreCreatedAndDeletedBetweenPages() {
      for (KeySort sort : KeySort.values()) {
        for (boolean descending : new boolean[] {false, true}) {
          aCursorVisitsEveryKeyOnce(sort, descending);
        }
      }
    }

    void aCursorVisitsEveryKeyOnce(KeySort sort, boolean descending) {
      List<String> keyed = new ArrayList<>();
      for (ApiKey k : keys.keys(pat, paged)) {
        if (serials.subList(0, 22).contains(k.deviceSerial())) {
          keyed.add(k.deviceSerial());
        } else {
          keys.deleteKey(pat, paged, k.id());
        }
      }
      for (String serial : serials.subList(0, 22)) {
        if (!keyed.contains(serial)) {
          keys.createKeys(pat, paged, NewKeys.forDevices(serial));
        }
      }
      List<ApiKey> table = keys.keys(pat, paged);
      List<KeyId> visited = new ArrayList<>();
      List<KeyId> deleted = new ArrayList<>();
      KeyQuery q = KeyQuery.first(3).withSort(sort, descending);
      String label = sort + (descending ? " descending" : "");
      int free = 22;
      for (int step = 0; ; step++) {
        KeyPage page = keys.keys(pat, paged, q);
        page.keys().forEach(k -> visited.add(k.id()));
        if (page.next() == null) {
          break;
        }
        // between pages: delete a key not yet visited, then create one on a free device
        boolean firstOne = step % 2 == 0;
        ApiKey victim = keys.keys(pat, paged).stream().filter(k -> !visited.contains(k.id()) && table.contains(k))
            .reduce((a, b) -> firstOne ? a : b).orElse(null);
        if (victim != null) {
          keys.deleteKey(pat, paged, victim.id());
          deleted.add(victim.id());
        }
        if (free < serials.size()) {
          keys.createKeys(pat, paged, NewKeys.forDevices(serials.get(free++)));
        }
        q = q.withAfter(page.next());
      }
      assertThat(visited).as("%s: no key is visited twice", label).doesNotHaveDuplicates();
      assertThat(visited).as("%s: every key that stayed from the first page to the last is visited", label)
          .containsAll(table.stream().map(ApiKey::id).filter(id -> !deleted.contains(id)).toList());
      assertThat(visited).as("%s: a key deleted before its page came is not visited", label)
          .doesNotContainAnyElementsOf(deleted);
    }

    @Test
    void aSearchMatchesNameSerialOrLabelIgnoringTheCaseOfAToZ() {
      assertThat(everyPage(KeyQuery.first(2).withSearch("LOBBY"))).as("search ignores the case of A-Z in names")
          .extracting(ApiKey::deviceName).containsExactlyInAnyOrder("Lobby", "lobby", "LOBBY", "Lobby");
      assertThat(everyPage(KeyQuery.first(100).withSearch("P-3"))).as("search matches serials, ignoring case")
          .extracting(ApiKey::deviceSerial).containsExactlyInAnyOrder("P-39", "P-38", "P-37", "P-36", "p-35",
              "P-34", "P-33", "P-32", "P-31", "p-30");
      assertThat(everyPage(KeyQuery.first(100).withSearch("wing"))).as("search matches labels, ignoring case")
          .hasSize(16);
      assertThat(everyPage(KeyQuery.first(100).withSearch("rth")))
          .as("search matches inside a label")
          .hasSize(8).allMatch(k -> k.label().equals("North wing"));
      assertThat(everyPage(KeyQuery.first(100).withSearch("\u00e4rger"))).as("letters outside A-Z match as written")
          .extracting(ApiKey::deviceName).containsExactly("\u00e4rger");
      assertThat(everyPage(KeyQuery.first(100).withSearch("%"))).as("a % in the search is a literal character")
          .extracting(ApiKey::deviceName).containsExactly("50% duty");
      assertThat(everyPage(KeyQuery.first(100).withSearch("_"))).as("an _ in the search is a literal character")
          .extracting(ApiKey::deviceName).containsExactlyInAnyOrder("\u00e4rger", "roof", "Roof", "_under",
              "50% duty", "zz", "Zz", "a");
      assertThat(everyPage(KeyQuery.first(100).withSearch("no such thing"))).as("no match: an empty page").isEmpty();
      assertThat(keys.keys(pat, paged, KeyQuery.first(5).withSearch("no such thing")))
          .as("no match: total 0, no cursor").isEqualTo(new KeyPage(List.of(), null, 0));
      assertThat(everyPage(KeyQuery.first(100).withSearch(" \t "))).as("a blank search is no search").hasSize(22);
    }

    @Test
    void unusedSinceKeepsKeysNeverUsedOrLastUsedBeforeTheInstant() {
      List<ApiKey> table = keys.keys(pat, paged);
      Instant since = table.get(0).lastUsedAt();
      assertThat(since).as("setup: the first key was used").isNotNull();
      List<ApiKey> expected = table.stream().filter(k -> k.lastUsedAt() == null || k.lastUsedAt().isBefore(since))
          .toList();
      KeyQuery q = KeyQuery.first(4).withUnusedSince(since);
      assertThat(everyPage(q)).as("never used or used before the instant; used at it is excluded")
          .containsExactlyElementsOf(expected);
      assertThat(expected).as("setup: one key used before, others at or after").hasSize(22 - 4);
      assertThat(keys.keys(pat, paged, q).total()).as("the total counts the filtered keys").isEqualTo(expected.size());
      assertThat(keys.keysUnusedSince(pat, paged, since)).as("keysUnusedSince is the same list")
          .containsExactlyElementsOf(expected);
      assertThat(everyPage(q.withSearch("wing").withSort(KeySort.LAST_USED, true)))
          .as("the filter combines with a search and a sort")
          .containsExactlyElementsOf(expected.stream().filter(k -> k.label().toLowerCase(java.util.Locale.ROOT)
              .contains("wing")).sorted(order(KeySort.LAST_USED, table).reversed()).toList());
    }

    @Test
    void thePageSizeIsBetween1And1000() {
      for (int limit : new int[] {0, -1, 1001}) {
        assertThatThrownBy(() -> KeyQuery.first(limit)).as("a page size of %s is refused", limit)
            .isInstanceOf(InvalidRequestException.class)
            .satisfies(e -> assertThat(fields((InvalidRequestException) e)).containsExactly("limit"));
      }
      KeyPage one = keys.keys(pat, paged, KeyQuery.first(1));
      assertThat(one.keys()).as("a page of 1 holds one key").hasSize(1);
      assertThat(one.next()).as("and a cursor to the next").isNotNull();
      assertThat(keys.keys(pat, paged, KeyQuery.first(KeyQuery.MAX_LIMIT)).keys()).as("a page of 1000 holds all 22")
          .hasSize(22);
    }

    @Test
    void aForeignOrGarbledCursorIsRefusedAsInvalid() {
      String byName = keys.keys(pat, paged, KeyQuery.first(2).withSort(KeySort.DEVICE_NAME, false)).next();
      String created = keys.keys(pat, paged, KeyQuery.first(2)).next();
      assertThat(byName).isNotNull();
      assertThat(created).isNotNull();
      String nameValue = java.util.Base64.getUrlEncoder().withoutPadding()
          .encodeToString("CREATED\u0000false\u0000not an instant\u0000key_x".getBytes(StandardCharsets.UTF_8));
      Map<String, KeyQuery> foreign = new java.util.LinkedHashMap<>();
      foreign.put("a cursor of another sort", KeyQuery.first(2).withSort(KeySort.SERIAL, false).withAfter(byName));
      foreign.put("a cursor of the other direction", KeyQuery.first(2).withSort(KeySort.DEVICE_NAME, true)
          .withAfter(byName));
      foreign.put("a cursor of a sort by name used for creation", KeyQuery.first(2).withAfter(byName));
      foreign.put("text that is not base64", KeyQuery.first(2).withAfter("not a cursor!"));
      foreign.put("base64 that is not a cursor", KeyQuery.first(2).withAfter("bm90IGEgY3Vyc29y"));
      foreign.put("a forged cursor with an unreadable position", KeyQuery.first(2).withAfter(nameValue));
      foreign.put("a truncated cursor", KeyQuery.first(2).withAfter(created.substring(0, created.length() / 2)));
      for (Map.Entry<String, KeyQuery> e : foreign.entrySet()) {
        InvalidRequestException refusal = refusedIn(paged, InvalidRequestException.class,
            () -> keys.keys(pat, paged, e.getValue()));
        assertThat(fields(refusal)).as("%s is refused, naming the cursor", e.getKey()).containsExactly("after");
      }
    }

    @Test
    void onlyAnAdminOfTheAccountMayReadAPage() { // R8
      for (Actor a : List.of(pia, pim, STRANGER, ADMIN, OPERATOR)) {
        AccessDeniedException e = refusedIn(paged, AccessDeniedException.class,
            () -> keys.keys(a, paged, KeyQuery.first(10)));
        assertThat(e.getMessage()).as("%s is refused the keys table, and told why", a).contains("may not");
        assertThat(audit(paged).get(0).action()).as("the refusal is audited as a listing").isEqualTo(Action.LIST_KEYS);
      }
    }
  }
}
