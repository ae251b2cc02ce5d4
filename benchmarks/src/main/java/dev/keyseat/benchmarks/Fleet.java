package dev.keyseat.benchmarks;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.inmemory.InMemoryKeyStore;
import dev.keyseat.spi.KeyStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A store with {@code n} keys made through the public management API: accounts of up to 100
 * devices, each device with one key. Keeps the plaintext secrets for the benchmarks to present.
 */
final class Fleet {
  static final int DEVICES_PER_ACCOUNT = 100;
  static final Actor OPERATOR = Actor.operator("ops");
  static final Actor ADMIN = Actor.user("admin");

  final InMemoryKeyStore store = new InMemoryKeyStore();
  final Keyseat keyseat;
  final String[] secrets;
  final String[] serials;

  Fleet(int n) {
    this(n, null);
  }

  /** @param wrap the store the Keyseat uses, around the in-memory one (null for none) */
  Fleet(int n, java.util.function.UnaryOperator<KeyStore> wrap) {
    keyseat = Keyseat.builder(wrap == null ? store : wrap.apply(store)).build();
    KeyManager keys = keyseat.manager();
    secrets = new String[n];
    serials = new String[n];
    int made = 0;
    for (int a = 0; made < n; a++) {
      AccountId account = AccountId.of("acct-" + a);
      int size = Math.min(DEVICES_PER_ACCOUNT, n - made);
      keys.createAccount(OPERATOR, account, new NewAccount("Account " + a, UserId.of("admin"), size));
      List<String> batch = new ArrayList<>(size);
      for (int d = 0; d < size; d++) {
        String serial = String.format("AQ-%07d", made + d);
        keys.associateDevice(ADMIN, account, new NewDevice(serial, "Monitor " + serial, "Indoor Air Monitor"));
        batch.add(serial);
      }
      List<IssuedKey> issued = keys.createKeys(ADMIN, account, NewKeys.forDevices(batch));
      for (IssuedKey k : issued) {
        serials[made] = k.key().deviceSerial();
        secrets[made++] = k.secret().reveal();
      }
    }
  }

  /** @return a well-formed key this fleet's store does not know (issued by another store) */
  static String foreignKey() {
    Fleet other = new Fleet(1);
    return other.secrets[0];
  }

  /** @return {@code key} with its last character changed: full length, wrong checksum */
  static String withTypo(String key) {
    char last = key.charAt(key.length() - 1);
    return key.substring(0, key.length() - 1) + (last == 'A' ? 'B' : 'A');
  }
}
