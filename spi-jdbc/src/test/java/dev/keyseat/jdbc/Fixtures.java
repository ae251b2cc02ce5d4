package dev.keyseat.jdbc;

import dev.keyseat.Account;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.StoredKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Domain values for store tests. Instants carry nanoseconds on purpose. */
final class Fixtures {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00.123456789Z");
  static final AccountId ACME = AccountId.of("acme");
  static final AccountId GLOBEX = AccountId.of("globex");
  /** The platform operator of the management tests. */
  static final Actor OPS = Actor.operator("ops");
  /** The admin of the accounts the management tests create. */
  static final Actor ALICE = Actor.user("alice");

  private Fixtures() {}

  static KeyHash hash(String seed) {
    try {
      return KeyHash.of(MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static Account account(AccountId id, int licenses) {
    return new Account(id, "Account " + id, licenses, T0);
  }

  static Device device(AccountId account, String serial) {
    return new Device(serial, account, "Monitor " + serial, "Indoor Air Monitor", T0.plusNanos(1));
  }

  static KeyId keyId(int n) {
    return KeyId.of(String.format("key_%08d", n));
  }

  /** A key whose hash is that of {@code "secret-" + n}. */
  static StoredKey key(int n, AccountId account, String serial) {
    return new StoredKey(keyId(n), account, serial, hash("secret-" + n), "ks_...h" + n, "label " + n,
        T0.plusSeconds(n), null, null, false, null, null, null);
  }

  static AuditEntry audit(AccountId account, String detail) {
    return new AuditEntry(0, account, T0, "user:alice", AuditEntry.Action.CREATE_KEYS, keyId(1), "AQ-1",
        AuditEntry.Outcome.SUCCESS, detail);
  }

  static ChangeEvent change(AccountId account, int key, ChangeEvent.Type type, KeyHash... hashes) {
    return new ChangeEvent(0, type, account, keyId(key), List.of(hashes), T0);
  }

  /**
   * Creates account {@code id} (by {@link #OPS}) with {@code licenses} and {@code admin} as its
   * admin, who associates devices {@code id-0} to {@code id-(devices-1)}, named "Monitor i".
   */
  static AccountId accountWithDevices(KeyManager keys, Actor admin, String id, int licenses, int devices) {
    AccountId account = AccountId.of(id);
    keys.createAccount(OPS, account, new NewAccount(id, admin.userId(), licenses));
    List<NewDevice> list = new ArrayList<>();
    for (int i = 0; i < devices; i++) {
      list.add(new NewDevice(id + "-" + i, "Monitor " + i));
    }
    if (!list.isEmpty()) {
      keys.associateDevices(admin, account, list);
    }
    return account;
  }
}
