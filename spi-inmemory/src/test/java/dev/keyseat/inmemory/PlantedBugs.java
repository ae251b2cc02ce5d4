package dev.keyseat.inmemory;

import dev.keyseat.AccountId;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.spi.AccountTransaction;
import dev.keyseat.spi.AccountWork;
import dev.keyseat.spi.ChangeEvent;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.spi.UsageDelta;
import dev.keyseat.testkit.ForwardingKeyStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Broken stores, each the in-memory store with one bug planted, as examples of what the kit's
 * suites catch (see {@link KitCatchesPlantedBugsTest}). A store author can read each as "the
 * mistake this suite would have found in my store".
 */
final class PlantedBugs {

  private PlantedBugs() {}

  /** What a planted bug does instead of one method of the real transaction. */
  @FunctionalInterface
  interface Bug {
    Object instead(AccountTransaction real, Object[] args);
  }

  /** @return the in-memory store whose transactions run {@code bug} instead of {@code method} */
  static KeyStore withBug(String method, Bug bug) {
    return new ForwardingKeyStore(new InMemoryKeyStore(), planting(method, bug));
  }

  /**
   * @return a wrapper of transactions that passes every call to the real transaction except those
   *     of {@code method}, which {@code bug} answers
   */
  static UnaryOperator<AccountTransaction> planting(String method, Bug bug) {
    if (Arrays.stream(AccountTransaction.class.getMethods()).noneMatch(m -> m.getName().equals(method))) {
      throw new IllegalArgumentException("AccountTransaction has no method " + method);
    }
    return tx -> (AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
        new Class<?>[] {AccountTransaction.class}, (proxy, m, args) -> {
          if (m.getName().equals(method)) {
            return bug.instead(tx, args);
          }
          // A default the store does not override (a batch read or write built on the per-row
          // methods) runs on this proxy, so that it meets the bug planted in a per-row method.
          if (m.isDefault() && tx.getClass().getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass()
              == AccountTransaction.class) {
            return java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args);
          }
          return forward(m, tx, args);
        });
  }

  /** Commits what the work wrote before it threw, then throws: a batch half created stays. */
  static KeyStore nonAtomicBatch() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        Throwable[] failed = new Throwable[1];
        T result = super.inAccount(accountId, tx -> {
          try {
            return work.run(tx);
          } catch (RuntimeException | Error e) {
            failed[0] = e;
            return null;
          }
        });
        if (failed[0] instanceof RuntimeException e) {
          throw e;
        }
        if (failed[0] instanceof Error e) {
          throw e;
        }
        return result;
      }
    };
  }

  private static final Set<String> READS = Set.of("account", "members", "member", "devices", "device", "keys",
      "keyCount", "lastKeyOrdinal", "key", "keyForDevice", "usage", "audit");

  /**
   * Reads from a snapshot taken before the writers' lock, writes under it: two writers of one
   * account both read the same state and the later commit overwrites the earlier.
   */
  static KeyStore noSerialization() {
    KeyStore real = new InMemoryKeyStore();
    return new ForwardingKeyStore(real) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        return real.readAccount(accountId, snapshot -> real.inAccount(accountId, tx ->
            work.run((AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
                new Class<?>[] {AccountTransaction.class}, (proxy, m, args) -> {
                  try {
                    return m.invoke(READS.contains(m.getName()) ? snapshot : tx, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                }))));
      }
    };
  }

  /**
   * A feed of its own, numbered when an event is appended ({@code atAppend}: insertion order, so a
   * transaction that commits late lands under a number a poller already passed) or at commit with
   * a number lost to every rolled-back transaction ({@code !atAppend}: gaps).
   */
  static KeyStore ownFeed(boolean atAppend) {
    AtomicLong counter = new AtomicLong();
    TreeMap<Long, ChangeEvent> feed = new TreeMap<>();
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        List<ChangeEvent> pending = new ArrayList<>();
        boolean committed = false;
        try {
          T result = super.inAccount(accountId, tx -> {
            pending.clear();
            return work.run(planting("appendChange", (real, args) -> {
              ChangeEvent e = (ChangeEvent) args[0];
              pending.add(atAppend ? e.withSequence(counter.incrementAndGet()) : e);
              return null;
            }).apply(tx));
          });
          committed = true;
          return result;
        } finally {
          synchronized (feed) {
            if (committed) {
              for (ChangeEvent e : pending) {
                ChangeEvent numbered = atAppend ? e : e.withSequence(counter.incrementAndGet());
                feed.put(numbered.sequence(), numbered);
              }
            } else if (!atAppend) {
              counter.incrementAndGet(); // the rolled-back transaction's number is lost
            }
          }
        }
      }

      @Override
      public List<ChangeEvent> changesSince(long afterSequence, int max) {
        if (max < 1) {
          throw new IllegalArgumentException("max must be positive");
        }
        synchronized (feed) {
          return feed.tailMap(afterSequence, false).values().stream().limit(max).toList();
        }
      }

      @Override
      public long latestChangeSequence() {
        synchronized (feed) {
          return feed.isEmpty() ? 0 : feed.lastKey();
        }
      }

      @Override
      public int purgeChanges(Instant cutoff) {
        throw new UnsupportedOperationException("no purge");
      }

      @Override
      public Set<Capability> capabilities() {
        return Set.of(Capability.LISTS_KEYS);
      }
    };
  }

  /** Finds a key by its current hash only: the previous hash, valid during the overlap, is lost. */
  static KeyStore lostOverlapHash() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public Optional<StoredKey> findKeyByHash(KeyHash hash) {
        return super.findKeyByHash(hash).filter(k -> k.hash().equals(hash));
      }
    };
  }

  /** Keeps only the last delta of each key in a batch instead of summing them. */
  static KeyStore overwrittenUsage() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public void recordUsage(Collection<UsageDelta> batch) {
        Map<dev.keyseat.KeyId, UsageDelta> last = new LinkedHashMap<>();
        batch.forEach(d -> last.put(d.keyId(), d));
        super.recordUsage(last.values());
      }
    };
  }

  /**
   * Keeps the audit entries of a transaction that rolled back: they are appended again in a
   * transaction of their own.
   */
  static KeyStore auditSurvivingRollback() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        List<AuditEntry> appended = new ArrayList<>();
        try {
          return super.inAccount(accountId, tx -> work.run(planting("appendAudit", (real, args) -> {
            appended.add((AuditEntry) args[0]);
            real.appendAudit((AuditEntry) args[0]);
            return null;
          }).apply(tx)));
        } catch (RuntimeException | Error e) {
          if (!appended.isEmpty()) {
            try {
              super.inAccount(accountId, tx -> {
                if (tx.account().isPresent()) {
                  appended.forEach(tx::appendAudit);
                }
                return null;
              });
            } catch (RuntimeException ignored) {
              // the planted bug only keeps what it can
            }
          }
          throw e;
        }
      }
    };
  }

  /** Drops the change event of a deleted key: other nodes never hear of the delete. */
  static KeyStore missingDeleteEvent() {
    return withBug("appendChange", (tx, args) -> {
      ChangeEvent e = (ChangeEvent) args[0];
      if (e.type() != ChangeEvent.Type.DELETED) {
        tx.appendChange(e);
      }
      return null;
    });
  }

  /** Purges an hour more than asked: entries younger than the retention go. */
  static KeyStore purgeLosingYoungEntries() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public int purgeChanges(Instant cutoff) {
        return super.purgeChanges(cutoff.plusSeconds(3600));
      }
    };
  }

  /** Lists an account's keys by id, newest id first, not by creation time and ordinal. */
  static KeyStore unstableOrdering() {
    return withBug("keys", (tx, args) -> tx.keys().stream()
        .sorted(Comparator.comparing((StoredKey k) -> k.id().value()).reversed()).toList());
  }

  /**
   * Treats device serials as unique per account instead of platform-wide (R2): a serial another
   * account holds is inserted again, as a unique index on (account, serial) would allow. The
   * in-memory store refuses such a row, so this store keeps those devices beside it, per account,
   * committed with the transaction that inserted them.
   */
  static KeyStore perAccountSerials() {
    Map<AccountId, Map<String, Device>> shadows = new ConcurrentHashMap<>();
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public <T> T inAccount(AccountId accountId, AccountWork<T> work) {
        Map<String, Device> working = new TreeMap<>(shadows.getOrDefault(accountId, Map.of()));
        T result = super.inAccount(accountId, tx -> work.run(withShadow(tx, working)));
        shadows.put(accountId, Map.copyOf(working)); // committed: the work returned
        return result;
      }

      @Override
      public <T> T readAccount(AccountId accountId, AccountWork<T> work) {
        Map<String, Device> snapshot = new TreeMap<>(shadows.getOrDefault(accountId, Map.of()));
        return super.readAccount(accountId, tx -> work.run(withShadow(tx, snapshot)));
      }
    };
  }

  /** The account's devices are the real ones and those of {@code shadow}, which only this account sees. */
  private static AccountTransaction withShadow(AccountTransaction tx, Map<String, Device> shadow) {
    return (AccountTransaction) Proxy.newProxyInstance(AccountTransaction.class.getClassLoader(),
        new Class<?>[] {AccountTransaction.class}, (proxy, m, args) -> {
          switch (m.getName()) {
            case "insertDevice" -> {
              Device d = (Device) args[0];
              if (tx.device(d.serial()).isPresent() || shadow.containsKey(d.serial())) {
                return false; // the bug: only this account's serials are looked at
              }
              if (!tx.insertDevice(d)) {
                shadow.put(d.serial(), d);
              }
              return true;
            }
            case "device" -> {
              String serial = (String) args[0];
              return tx.device(serial).or(() -> Optional.ofNullable(shadow.get(serial)));
            }
            case "devices" -> {
              List<Device> all = new ArrayList<>(tx.devices());
              all.addAll(shadow.values());
              all.sort(Comparator.comparing(Device::serial));
              return List.copyOf(all);
            }
            case "updateDevice" -> {
              Device d = (Device) args[0];
              if (shadow.containsKey(d.serial())) {
                shadow.put(d.serial(), d);
              } else {
                tx.updateDevice(d);
              }
              return null;
            }
            case "deleteDevice" -> {
              if (shadow.remove((String) args[0]) == null) {
                tx.deleteDevice((String) args[0]);
              }
              return null;
            }
            default -> {
              return forward(m, tx, args);
            }
          }
        });
  }

  /** A correct store that cannot list its keys, and says so. */
  static KeyStore noKeyListing() {
    return new ForwardingKeyStore(new InMemoryKeyStore()) {
      @Override
      public void forEachKey(Consumer<? super StoredKey> action) {
        throw new UnsupportedOperationException("this store cannot list its keys");
      }

      @Override
      public Set<Capability> capabilities() {
        return Set.of(Capability.PURGES_CHANGES);
      }
    };
  }

  /** Calls {@code m} on the real transaction, throwing what it throws rather than its wrapper. */
  private static Object forward(Method m, AccountTransaction tx, Object[] args) throws Throwable {
    try {
      return m.invoke(tx, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
