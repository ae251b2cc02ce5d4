package dev.keyseat.testkit;

import dev.keyseat.Account;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.Member;
import dev.keyseat.UserId;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyUsage;
import dev.keyseat.spi.StoredKey;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link AccountTransaction} that passes every call to another. Extend it to plant a bug in one
 * method, and hand it to a {@link ForwardingKeyStore}:
 *
 * <pre>{@code
 * KeyStore undercounting = new ForwardingKeyStore(store, tx -> new ForwardingTransaction(tx) {
 *   @Override
 *   public int keyCount() {
 *     return Math.max(0, tx.keyCount() - 1);
 *   }
 * });
 * }</pre>
 */
public class ForwardingTransaction implements AccountTransaction {
  private final AccountTransaction delegate;

  /** @param delegate the transaction that does the work */
  public ForwardingTransaction(AccountTransaction delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** @return the transaction that does the work */
  protected AccountTransaction delegate() {
    return delegate;
  }

  @Override
  public Optional<Account> account() {
    return delegate.account();
  }

  @Override
  public boolean insertAccount(Account account) {
    return delegate.insertAccount(account);
  }

  @Override
  public void updateAccount(Account account) {
    delegate.updateAccount(account);
  }

  @Override
  public List<Member> members() {
    return delegate.members();
  }

  @Override
  public Optional<Member> member(UserId userId) {
    return delegate.member(userId);
  }

  @Override
  public void putMember(Member member) {
    delegate.putMember(member);
  }

  @Override
  public void removeMember(UserId userId) {
    delegate.removeMember(userId);
  }

  @Override
  public List<Device> devices() {
    return delegate.devices();
  }

  @Override
  public Optional<Device> device(String serial) {
    return delegate.device(serial);
  }

  @Override
  public boolean insertDevice(Device device) {
    return delegate.insertDevice(device);
  }

  @Override
  public void updateDevice(Device device) {
    delegate.updateDevice(device);
  }

  @Override
  public void deleteDevice(String serial) {
    delegate.deleteDevice(serial);
  }

  @Override
  public List<StoredKey> keys() {
    return delegate.keys();
  }

  @Override
  public int keyCount() {
    return delegate.keyCount();
  }

  @Override
  public Optional<StoredKey> key(KeyId id) {
    return delegate.key(id);
  }

  @Override
  public Optional<StoredKey> keyForDevice(String serial) {
    return delegate.keyForDevice(serial);
  }

  @Override
  public boolean insertKey(StoredKey key) {
    return delegate.insertKey(key);
  }

  @Override
  public boolean updateKey(StoredKey key) {
    return delegate.updateKey(key);
  }

  @Override
  public void deleteKey(KeyId id) {
    delegate.deleteKey(id);
  }

  @Override
  public KeyUsage usage(KeyId id) {
    return delegate.usage(id);
  }

  @Override
  public void appendAudit(AuditEntry entry) {
    delegate.appendAudit(entry);
  }

  @Override
  public List<AuditEntry> audit(long beforeSequence, int limit) {
    return delegate.audit(beforeSequence, limit);
  }

  @Override
  public void appendChange(ChangeEvent event) {
    delegate.appendChange(event);
  }
}
