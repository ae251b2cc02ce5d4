package dev.keyseat.inmemory;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.License;
import dev.keyseat.LicensePolicy;
import dev.keyseat.Member;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.SeatLedger;
import dev.keyseat.spi.StoredKey;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * testkit's forwarding store that also wraps every transaction, for tests that plant a bug in one
 * transaction method.
 */
class ForwardingKeyStore extends dev.keyseat.testkit.ForwardingKeyStore {
  private final UnaryOperator<AccountTransaction> transactions;

  /**
   * @param delegate the real store
   * @param transactions wraps every transaction, e.g. in a {@link ForwardingTransaction} with a bug
   */
  ForwardingKeyStore(KeyStore delegate, UnaryOperator<AccountTransaction> transactions) {
    super(delegate);
    this.transactions = transactions;
  }

  @Override
  public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
    return delegate().inAccount(accountId, tx -> work.run(transactions.apply(tx)));
  }

  @Override
  public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
    return delegate().readAccount(accountId, tx -> work.run(transactions.apply(tx)));
  }

  /** A transaction that forwards every call. */
  static class ForwardingTransaction implements AccountTransaction {
    final AccountTransaction tx;

    ForwardingTransaction(AccountTransaction tx) {
      this.tx = tx;
    }

    @Override
    public Optional<Account> account() {
      return tx.account();
    }

    @Override
    public List<License> licenses() {
      return tx.licenses();
    }

    @Override
    public boolean insertLicense(License license) {
      return tx.insertLicense(license);
    }

    @Override
    public void updateLicense(License license) {
      tx.updateLicense(license);
    }

    @Override
    public LicensePolicy licensePolicy() {
      return tx.licensePolicy();
    }

    @Override
    public void putLicensePolicy(LicensePolicy policy) {
      tx.putLicensePolicy(policy);
    }

    @Override
    public SeatLedger seatLedger() {
      return tx.seatLedger();
    }

    @Override
    public void putSeatLedger(SeatLedger ledger) {
      tx.putSeatLedger(ledger);
    }

    @Override
    public boolean insertAccount(Account account) {
      return tx.insertAccount(account);
    }

    @Override
    public void updateAccount(Account account) {
      tx.updateAccount(account);
    }

    @Override
    public List<Member> members() {
      return tx.members();
    }

    @Override
    public Optional<Member> member(UserId userId) {
      return tx.member(userId);
    }

    @Override
    public void putMember(Member member) {
      tx.putMember(member);
    }

    @Override
    public void removeMember(UserId userId) {
      tx.removeMember(userId);
    }

    @Override
    public List<Device> devices() {
      return tx.devices();
    }

    @Override
    public Optional<Device> device(String serial) {
      return tx.device(serial);
    }

    @Override
    public boolean insertDevice(Device device) {
      return tx.insertDevice(device);
    }

    @Override
    public void updateDevice(Device device) {
      tx.updateDevice(device);
    }

    @Override
    public void deleteDevice(String serial) {
      tx.deleteDevice(serial);
    }

    @Override
    public List<StoredKey> keys() {
      return tx.keys();
    }

    @Override
    public int keyCount() {
      return tx.keyCount();
    }

    @Override
    public Optional<StoredKey> key(KeyId id) {
      return tx.key(id);
    }

    @Override
    public Optional<StoredKey> keyForDevice(String serial) {
      return tx.keyForDevice(serial);
    }

    @Override
    public boolean insertKey(StoredKey key) {
      return tx.insertKey(key);
    }

    @Override
    public boolean updateKey(StoredKey key) {
      return tx.updateKey(key);
    }

    @Override
    public void deleteKey(KeyId id) {
      tx.deleteKey(id);
    }

    @Override
    public KeyUsage usage(KeyId id) {
      return tx.usage(id);
    }

    @Override
    public void appendAudit(AuditEntry entry) {
      tx.appendAudit(entry);
    }

    @Override
    public List<AuditEntry> audit(long beforeSequence, int limit) {
      return tx.audit(beforeSequence, limit);
    }

    @Override
    public void appendChange(ChangeEvent event) {
      tx.appendChange(event);
    }
  }
}
