package dev.keyseat.inmemory;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.DailyUsage;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.LicenseId;
import dev.keyseat.LicensePolicy;
import dev.keyseat.Member;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountSummary;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.SeatLedger;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KeyStore} in the JVM's heap. Writers of one account are serialized by a per-account
 * lock; each transaction works on copies of the maps it changes and publishes them at commit, so
 * a failing work leaves no trace and readers never see half a transaction. Device serials, key ids
 * and key hashes are unique across accounts. Thread-safe.
 */
public final class InMemoryKeyStore implements KeyStore {
  private final ConcurrentHashMap<AccountId, Holder> accounts = new ConcurrentHashMap<>();
  /** Serial → owning account, reserved when a transaction inserts the device. */
  private final ConcurrentHashMap<String, AccountId> serialOwners = new ConcurrentHashMap<>();
  /** Key id → owning account, reserved when a transaction inserts the key: ids are unique platform-wide. */
  private final ConcurrentHashMap<KeyId, AccountId> keyOwners = new ConcurrentHashMap<>();
  /** License grant id → owning account, reserved when a transaction inserts the grant. */
  private final ConcurrentHashMap<LicenseId, AccountId> licenseOwners = new ConcurrentHashMap<>();
  /** Every current and previous hash in use → key id, reserved when a transaction writes it. */
  private final ConcurrentHashMap<KeyHash, KeyId> hashOwners = new ConcurrentHashMap<>();
  /** Committed keys by current and previous hash: the validation path's index. */
  private final ConcurrentHashMap<KeyHash, StoredKey> byHash = new ConcurrentHashMap<>();
  /** Usage of committed keys; absent for keys that do not exist. */
  private final ConcurrentHashMap<KeyId, KeyUsage> usage = new ConcurrentHashMap<>();
  /**
   * Daily usage of committed keys (UTC day → count), written under {@link #usage}'s entry of the key
   * so that it goes with the key as usage does.
   */
  private final ConcurrentHashMap<KeyId, ConcurrentHashMap<LocalDate, Long>> dailyUsage = new ConcurrentHashMap<>();
  private final Object feedLock = new Object();
  /** The feed after its purged start: sequence {@code purged + i + 1} sits at index i. */
  private final ArrayList<ChangeEvent> feed = new ArrayList<>();
  private long purged;

  /** Creates an empty store. */
  public InMemoryKeyStore() {}

  /** Committed state of one account: immutable maps replaced whole at commit. */
  private record State(
      @Nullable Account account,
      Map<UserId, Member> members,
      Map<String, Device> devices,
      Map<KeyId, StoredKey> keys,
      Licensing licensing) {
    static final State EMPTY = new State(null, Map.of(), Map.of(), Map.of(), Licensing.EMPTY);
  }

  /** An account's license grants, license policy and seat ledger. */
  private record Licensing(Map<LicenseId, License> grants, LicensePolicy policy, SeatLedger ledger) {
    static final Licensing EMPTY = new Licensing(Map.of(), LicensePolicy.DEFAULT, SeatLedger.EMPTY);
  }

  private static final class Holder {
    final ReentrantLock lock = new ReentrantLock();
    volatile State state = State.EMPTY;
    /** Guarded by itself; sequence = index + 1. */
    final ArrayList<AuditEntry> audit = new ArrayList<>();
  }

  private Holder holder(AccountId id) {
    return accounts.computeIfAbsent(Objects.requireNonNull(id, "accountId"), k -> new Holder());
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    Holder h = holder(accountId);
    h.lock.lock();
    try {
      Tx tx = new Tx(accountId, h, true);
      T result;
      try {
        result = work.run(tx);
      } catch (Throwable e) {
        // Throwable, not only unchecked ones: a checked exception thrown sneakily must roll back too
        tx.rollback();
        throw e;
      } finally {
        tx.open = false;
      }
      tx.commit();
      return result;
    } finally {
      h.lock.unlock();
    }
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    // a read of an unknown account must not leave a holder behind
    Holder h = accounts.get(Objects.requireNonNull(accountId, "accountId"));
    Tx tx = new Tx(accountId, h == null ? new Holder() : h, false);
    try {
      return work.run(tx);
    } finally {
      tx.open = false;
    }
  }

  @Override
  public Optional<StoredKey> findKeyByHash(KeyHash hash) {
    return Optional.ofNullable(byHash.get(Objects.requireNonNull(hash, "hash")));
  }

  @Override
  public void forEachKey(Consumer<? super StoredKey> action) {
    Objects.requireNonNull(action, "action");
    for (Holder h : accounts.values()) {
      for (StoredKey key : h.state.keys().values()) {
        action.accept(key);
      }
    }
  }

  @Override
  public List<ChangeEvent> changesSince(long afterSequence, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive");
    }
    synchronized (feedLock) {
      // sequence n sits at index n - purged - 1
      int from = (int) Math.min(Math.max(afterSequence - purged, 0), feed.size());
      int to = (int) Math.min((long) from + max, feed.size());
      return List.copyOf(feed.subList(from, to));
    }
  }

  @Override
  public long latestChangeSequence() {
    synchronized (feedLock) {
      return purged + feed.size();
    }
  }

  /**
   * Deletes the entries at the start of the feed whose {@link ChangeEvent#at()} is before {@code
   * cutoff}, up to the first one that is not: the rest stays gapless.
   */
  @Override
  public int purgeChanges(Instant cutoff) {
    Objects.requireNonNull(cutoff, "cutoff");
    synchronized (feedLock) {
      int n = 0;
      while (n < feed.size() && feed.get(n).at().isBefore(cutoff)) {
        n++;
      }
      feed.subList(0, n).clear();
      purged += n;
      return n;
    }
  }

  @Override
  public void recordUsage(Collection<UsageDelta> batch) {
    for (UsageDelta d : batch) {
      usage.computeIfPresent(d.keyId(), (id, u) -> {
        recordDailyUsage(d);
        return new KeyUsage(
            u.lastUsedAt() == null || d.lastUsedAt().isAfter(u.lastUsedAt()) ? d.lastUsedAt() : u.lastUsedAt(),
            u.useCount() + d.count());
      });
    }
  }

  /** Adds a delta to its key's day; called while the key's usage entry is held, so never for a deleted key. */
  private void recordDailyUsage(UsageDelta d) {
    dailyUsage.computeIfAbsent(d.keyId(), id -> new ConcurrentHashMap<>())
        .merge(LocalDate.ofInstant(d.lastUsedAt(), ZoneOffset.UTC), d.count(), Long::sum);
  }

  /** Reads the committed keys of the account (or the one key) and sums their days in the range. */
  @Override
  public List<DailyUsage> dailyUsage(AccountId accountId, @Nullable KeyId keyId, LocalDate from, LocalDate to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (to.isBefore(from)) {
      throw new IllegalArgumentException("to " + to + " is before from " + from);
    }
    Holder h = accounts.get(Objects.requireNonNull(accountId, "accountId"));
    if (h == null) {
      return List.of();
    }
    Map<KeyId, StoredKey> keys = h.state.keys;
    Collection<KeyId> ids = keyId == null ? keys.keySet() : keys.containsKey(keyId) ? List.of(keyId) : List.of();
    TreeMap<LocalDate, Long> days = new TreeMap<>();
    for (KeyId id : ids) {
      Map<LocalDate, Long> perDay = dailyUsage.getOrDefault(id, new ConcurrentHashMap<>());
      perDay.forEach((day, count) -> {
        if (!day.isBefore(from) && !day.isAfter(to)) {
          days.merge(day, count, Long::sum);
        }
      });
    }
    List<DailyUsage> result = new ArrayList<>(days.size());
    days.forEach((day, count) -> result.add(new DailyUsage(day, count)));
    return List.copyOf(result);
  }

  /**
   * Lists the committed accounts after {@code after} in id order: each account's row and key
   * count come from one committed state, so they agree with each other.
   */
  @Override
  public List<AccountSummary> accounts(@Nullable AccountId after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    return accounts.entrySet().stream()
        .filter(e -> after == null || e.getKey().value().compareTo(after.value()) > 0)
        .map(e -> e.getValue().state)
        .filter(st -> st.account() != null)
        // requireNonNull: the filter above already dropped the states without an account
        .sorted(Comparator.comparing(st -> Objects.requireNonNull(st.account()).id().value()))
        .limit(limit)
        .map(st -> new AccountSummary(Objects.requireNonNull(st.account()), st.keys().size()))
        .toList();
  }

  @Override
  public String toString() {
    return "InMemoryKeyStore[accounts=" + accounts.size() + "]";
  }

  /** A transaction: copy-on-first-write maps over the committed state, published at commit. */
  private final class Tx implements AccountTransaction {
    final AccountId accountId;
    final Holder holder;
    final boolean writable;
    final State base;
    boolean open = true;
    @Nullable Account account;
    Map<UserId, Member> members;
    Map<String, Device> devices;
    Map<KeyId, StoredKey> keys;
    Licensing licensing;
    final List<LicenseId> reservedLicenseIds = new ArrayList<>();
    boolean membersCopied;
    boolean devicesCopied;
    boolean keysCopied;
    boolean accountChanged;
    final List<String> reservedSerials = new ArrayList<>();
    final List<KeyId> reservedKeyIds = new ArrayList<>();
    final List<KeyHash> reservedHashes = new ArrayList<>();
    final List<AuditEntry> auditAppended = new ArrayList<>();
    final List<ChangeEvent> changesAppended = new ArrayList<>();

    Tx(AccountId accountId, Holder holder, boolean writable) {
      this.accountId = accountId;
      this.holder = holder;
      this.writable = writable;
      this.base = holder.state;
      this.account = base.account();
      this.members = base.members();
      this.devices = base.devices();
      this.keys = base.keys();
      this.licensing = base.licensing();
    }

    /** A write of a row of {@code owner}: in a writable transaction, of an existing account, its own. */
    private void writingOwn(AccountId owner) {
      writing();
      requireAccount();
      requireOwn(owner);
    }

    private void writing() {
      if (!open) {
        throw new IllegalStateException("transaction is over");
      }
      if (!writable) {
        throw new UnsupportedOperationException("read-only transaction");
      }
    }

    private void reading() {
      if (!open) {
        throw new IllegalStateException("transaction is over");
      }
    }

    private Map<UserId, Member> membersW() {
      if (!membersCopied) {
        members = new TreeMap<>(Comparator.comparing(UserId::value));
        members.putAll(base.members());
        membersCopied = true;
      }
      return members;
    }

    private Map<String, Device> devicesW() {
      if (!devicesCopied) {
        devices = new TreeMap<>(base.devices());
        devicesCopied = true;
      }
      return devices;
    }

    /**
     * Reserves {@code id} platform-wide for this account until commit (released at rollback); false
     * if another account holds it. Held by this account but not listed means deleted earlier in
     * this transaction, so free for it.
     */
    private <K> boolean reserve(ConcurrentHashMap<K, AccountId> owners, K id, List<K> reserved) {
      AccountId owner = owners.putIfAbsent(id, accountId);
      if (owner == null) {
        reserved.add(id);
        return true;
      }
      return owner.equals(accountId);
    }

    private Map<KeyId, StoredKey> keysW() {
      if (!keysCopied) {
        keys = new HashMap<>(base.keys());
        keysCopied = true;
      }
      return keys;
    }

    // accounts

    @Override
    public Optional<Account> account() {
      reading();
      return Optional.ofNullable(account);
    }

    @Override
    public boolean insertAccount(Account a) {
      return putAccount(a, true);
    }

    @Override
    public void updateAccount(Account a) {
      putAccount(a, false);
    }

    /** Creates (false if it exists) or replaces (it must exist) this transaction's account row. */
    private boolean putAccount(Account a, boolean create) {
      writing();
      requireOwn(a.id());
      if ((account == null) != create) {
        if (create) {
          return false;
        }
        throw new IllegalStateException("account " + accountId + " does not exist");
      }
      account = a;
      accountChanged = true;
      return true;
    }

    private void requireOwn(AccountId id) {
      if (!accountId.equals(id)) {
        throw new IllegalArgumentException(id + " is not this transaction's account " + accountId);
      }
    }

    private void requireAccount() {
      if (account == null) {
        throw new IllegalStateException("account " + accountId + " does not exist");
      }
    }

    // members

    @Override
    public List<Member> members() {
      reading();
      return members.values().stream().sorted(Comparator.comparing(m -> m.userId().value())).toList();
    }

    @Override
    public Optional<Member> member(UserId userId) {
      reading();
      return Optional.ofNullable(members.get(userId));
    }

    @Override
    public void putMember(Member member) {
      writingOwn(member.accountId());
      membersW().put(member.userId(), member);
    }

    @Override
    public void removeMember(UserId userId) {
      writing();
      membersW().remove(userId);
    }

    // devices

    @Override
    public List<Device> devices() {
      reading();
      return devices.values().stream().sorted(Comparator.comparing(Device::serial)).toList();
    }

    @Override
    public Optional<Device> device(String serial) {
      reading();
      return Optional.ofNullable(devices.get(serial));
    }

    @Override
    public boolean insertDevice(Device device) {
      writingOwn(device.accountId());
      if (devices.containsKey(device.serial())) {
        return false;
      }
      if (!reserve(serialOwners, device.serial(), reservedSerials)) {
        return false;
      }
      devicesW().put(device.serial(), device);
      return true;
    }

    @Override
    public void updateDevice(Device device) {
      writing();
      requireOwn(device.accountId());
      if (!devices.containsKey(device.serial())) {
        throw new IllegalStateException("device " + device.serial() + " is not in account " + accountId);
      }
      devicesW().put(device.serial(), device);
    }

    @Override
    public void deleteDevice(String serial) {
      writing();
      if (keys.values().stream().anyMatch(k -> k.deviceSerial().equals(serial))) {
        throw new IllegalStateException("device " + serial + " still has a key");
      }
      devicesW().remove(serial);
    }

    // keys

    @Override
    public List<StoredKey> keys() {
      reading();
      return keys.values().stream().sorted(StoredKey.CREATION_ORDER).toList();
    }

    @Override
    public int keyCount() {
      reading();
      return keys.size();
    }

    @Override
    public Optional<StoredKey> key(KeyId id) {
      reading();
      return Optional.ofNullable(keys.get(id));
    }

    @Override
    public Optional<StoredKey> keyForDevice(String serial) {
      reading();
      return keys.values().stream().filter(k -> k.deviceSerial().equals(serial)).findFirst();
    }

    @Override
    public boolean insertKey(StoredKey key) {
      writingOwn(key.accountId());
      if (keys.containsKey(key.id()) || !devices.containsKey(key.deviceSerial())
          || keyForDevice(key.deviceSerial()).isPresent()) {
        return false;
      }
      boolean reservedBefore = accountId.equals(keyOwners.get(key.id()));
      if (!reserve(keyOwners, key.id(), reservedKeyIds)) {
        return false;
      }
      if (!reserveHashes(key, null)) {
        if (!reservedBefore) {
          reservedKeyIds.remove(key.id());
          keyOwners.remove(key.id(), accountId);
        }
        return false;
      }
      keysW().put(key.id(), key);
      return true;
    }

    @Override
    public boolean updateKey(StoredKey key) {
      writing();
      requireOwn(key.accountId());
      StoredKey old = keys.get(key.id());
      if (old == null) {
        throw new IllegalStateException("key " + key.id() + " is not in account " + accountId);
      }
      if (!devices.containsKey(key.deviceSerial())) {
        return false;
      }
      Optional<StoredKey> other = keyForDevice(key.deviceSerial());
      if (other.isPresent() && !other.get().id().equals(key.id())) {
        return false;
      }
      if (!reserveHashes(key, old)) {
        return false;
      }
      keysW().put(key.id(), key);
      return true;
    }

    /** Reserves the key's hashes that {@code old} did not already hold; false if one is taken. */
    private boolean reserveHashes(StoredKey key, @Nullable StoredKey old) {
      List<KeyHash> taken = new ArrayList<>(2);
      for (KeyHash h : key.hashes()) {
        if (old != null && old.hashes().contains(h)) {
          continue;
        }
        KeyId owner = hashOwners.putIfAbsent(h, key.id());
        if (owner != null && !owner.equals(key.id())) {
          taken.forEach(hashOwners::remove);
          return false;
        }
        if (owner == null) {
          taken.add(h);
        }
      }
      reservedHashes.addAll(taken);
      return true;
    }

    @Override
    public void deleteKey(KeyId id) {
      writing();
      if (keys.containsKey(id)) {
        keysW().remove(id);
      }
    }

    @Override
    public KeyUsage usage(KeyId id) {
      reading();
      // only a key of this account: another account's key id reads as unused from here
      return keys.containsKey(id) ? usage.getOrDefault(id, KeyUsage.NONE) : KeyUsage.NONE;
    }

    // audit and change feed

    @Override
    public void appendAudit(AuditEntry entry) {
      writingOwn(entry.accountId());
      auditAppended.add(entry);
    }

    @Override
    public List<AuditEntry> audit(long beforeSequence, int limit) {
      reading();
      synchronized (holder.audit) {
        List<AuditEntry> page = new ArrayList<>(Math.min(limit, holder.audit.size()));
        int from = (int) Math.min(holder.audit.size(), Math.max(0, beforeSequence - 1));
        for (int i = from - 1; i >= 0 && page.size() < limit; i--) {
          page.add(holder.audit.get(i));
        }
        return page;
      }
    }

    // licenses

    @Override
    public List<License> licenses() {
      reading();
      return licensing.grants().values().stream().sorted(License.ORDER).toList();
    }

    @Override
    public boolean insertLicense(License license) {
      writingOwn(license.accountId());
      if (licensing.grants().containsKey(license.id())
          || !reserve(licenseOwners, license.id(), reservedLicenseIds)) {
        return false;
      }
      putGrant(license);
      return true;
    }

    @Override
    public void updateLicense(License license) {
      writing();
      requireOwn(license.accountId());
      if (!licensing.grants().containsKey(license.id())) {
        throw new IllegalStateException("license grant " + license.id() + " does not exist in account " + accountId);
      }
      putGrant(license);
    }

    private void putGrant(License license) {
      Map<LicenseId, License> grants = new HashMap<>(licensing.grants());
      grants.put(license.id(), license);
      licensing = new Licensing(Map.copyOf(grants), licensing.policy(), licensing.ledger());
    }

    @Override
    public LicensePolicy licensePolicy() {
      reading();
      return licensing.policy();
    }

    @Override
    public void putLicensePolicy(LicensePolicy policy) {
      writing();
      requireAccount();
      licensing = new Licensing(licensing.grants(), Objects.requireNonNull(policy, "policy"), licensing.ledger());
    }

    @Override
    public SeatLedger seatLedger() {
      reading();
      return licensing.ledger();
    }

    @Override
    public void putSeatLedger(SeatLedger ledger) {
      writing();
      requireAccount();
      licensing = new Licensing(licensing.grants(), licensing.policy(), Objects.requireNonNull(ledger, "ledger"));
    }

    @Override
    public void appendChange(ChangeEvent event) {
      writing();
      requireOwn(event.accountId());
      changesAppended.add(event);
    }

    // commit and rollback

    void rollback() {
      for (String serial : reservedSerials) {
        serialOwners.remove(serial, accountId);
      }
      for (KeyId id : reservedKeyIds) {
        keyOwners.remove(id, accountId);
      }
      for (KeyHash h : reservedHashes) {
        hashOwners.remove(h);
      }
      for (LicenseId id : reservedLicenseIds) {
        licenseOwners.remove(id, accountId);
      }
    }

    // licensing == base.licensing(): by identity, on purpose: unchanged unless a write replaced it
    @SuppressWarnings("ReferenceEquality")
    void commit() {
      if (!accountChanged && !membersCopied && !devicesCopied && !keysCopied && licensing == base.licensing()
          && auditAppended.isEmpty() && changesAppended.isEmpty()) {
        return;
      }
      Map<KeyId, StoredKey> before = base.keys();
      holder.state = new State(account,
          membersCopied ? Map.copyOf(members) : base.members(),
          devicesCopied ? Map.copyOf(devices) : base.devices(),
          keysCopied ? Map.copyOf(keys) : base.keys(),
          licensing);
      if (devicesCopied) {
        for (String serial : base.devices().keySet()) {
          if (!devices.containsKey(serial)) {
            serialOwners.remove(serial, accountId);
          }
        }
      }
      // reserved here but gone by commit: inserted and deleted (or replaced) in this transaction
      for (String serial : reservedSerials) {
        if (!devices.containsKey(serial)) {
          serialOwners.remove(serial, accountId);
        }
      }
      if (keysCopied) {
        publishKeys(before, keys);
        releaseUnused();
      }
      if (!auditAppended.isEmpty()) {
        synchronized (holder.audit) {
          for (AuditEntry e : auditAppended) {
            holder.audit.add(e.withSequence(holder.audit.size() + 1L));
          }
        }
      }
      if (!changesAppended.isEmpty()) {
        synchronized (feedLock) {
          for (ChangeEvent e : changesAppended) {
            feed.add(e.withSequence(purged + feed.size() + 1L));
          }
        }
      }
    }

    /** Releases ids and hashes this transaction reserved that no committed key holds. */
    private void releaseUnused() {
      for (KeyId id : reservedKeyIds) {
        if (!keys.containsKey(id)) {
          keyOwners.remove(id, accountId);
        }
      }
      if (!reservedHashes.isEmpty()) {
        Set<KeyHash> held = new HashSet<>();
        keys.values().forEach(k -> held.addAll(k.hashes()));
        for (KeyHash h : reservedHashes) {
          if (!held.contains(h)) {
            hashOwners.remove(h);
          }
        }
      }
    }

    // Identity on purpose: a record this transaction did not replace is the same object, and only
    // replaced records need their hashes republished.
    @SuppressWarnings("ReferenceEquality")
    private void publishKeys(Map<KeyId, StoredKey> before, Map<KeyId, StoredKey> after) {
      for (StoredKey old : before.values()) {
        StoredKey now = after.get(old.id());
        List<KeyHash> keep = now == null ? List.of() : now.hashes();
        for (KeyHash h : old.hashes()) {
          if (!keep.contains(h)) {
            byHash.remove(h);
            hashOwners.remove(h, old.id());
          }
        }
        if (now == null) {
          usage.remove(old.id());
          dailyUsage.remove(old.id());
          keyOwners.remove(old.id(), accountId);
        }
      }
      for (StoredKey now : after.values()) {
        if (before.get(now.id()) != now) {
          for (KeyHash h : now.hashes()) {
            byHash.put(h, now);
          }
          usage.putIfAbsent(now.id(), KeyUsage.NONE);
        }
      }
    }
  }
}
