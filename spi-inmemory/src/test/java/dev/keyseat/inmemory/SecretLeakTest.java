package dev.keyseat.inmemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.keyseat.AccessDeniedException;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.AuditEntry;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NotFoundException;
import dev.keyseat.Role;
import dev.keyseat.Secret;
import dev.keyseat.SecretNotRetainedException;
import dev.keyseat.SecretVault;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import dev.keyseat.spi.KeyHash;
import dev.keyseat.spi.KeyStore;
import dev.keyseat.spi.StoredKey;
import dev.keyseat.testkit.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.KeyGenerator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * R13: secrets never appear in logs (at TRACE), exception messages or stack traces, {@code
 * toString()} of anything returned, audit entries, or the store's memory. A full scenario is
 * driven and every text it produces is searched for every secret it issued.
 */
class SecretLeakTest {
  private static final Actor OPERATOR = Actor.operator("ops");
  private static final Actor ADMIN = Actor.user("alice");
  private static final Actor MANAGER = Actor.user("mona");
  private static final AccountId ACME = AccountId.of("acme");

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private Logger keyseatLogger;
  private final MutableClock clock = new MutableClock();
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  /** Every plaintext secret the scenario saw. */
  private final Set<String> secrets = new LinkedHashSet<>();
  /** Every text the scenario produced other than logs. */
  private final List<String> texts = new ArrayList<>();
  private int exceptions;

  @BeforeEach
  void captureLogs() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    keyseatLogger = context.getLogger("dev.keyseat");
    assertThat(keyseatLogger.getEffectiveLevel()).as("logback-test.xml sets dev.keyseat to TRACE")
        .isEqualTo(Level.TRACE);
    logs.setContext(context);
    logs.start();
    keyseatLogger.addAppender(logs);
  }

  @AfterEach
  void stopCapturing() {
    keyseatLogger.detachAppender(logs);
    logs.stop();
  }

  /** @return Keyseat over the store with a secret vault under a fresh AES key of {@code bits} */
  private Keyseat withVault(int bits) throws NoSuchAlgorithmException {
    KeyGenerator aes = KeyGenerator.getInstance("AES");
    aes.init(bits);
    return Keyseat.builder(store).clock(clock).secretVault(SecretVault.aesGcm(aes.generateKey())).build();
  }

  @Test
  void noSecretAppearsInLogsExceptionsToStringsOrAuditEntries() throws Exception {
    Keyseat keyseat = withVault(256);
    KeyManager keys = keyseat.manager();
    KeyValidator validator = keyseat.storeValidator();
    KeyManager noVault = Keyseat.builder(store).clock(clock).build().manager();

    keys.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 4));
    keys.addMember(ADMIN, ACME, UserId.of("mona"), Role.MANAGER);
    for (int i = 1; i <= 6; i++) {
      see(keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-" + i, "Monitor " + i, "Indoor Air Monitor")));
    }

    // create
    List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3").withLabel("batch"));
    issued.forEach(this::issued);
    IssuedKey a = issued.get(0);
    IssuedKey b = issued.get(1);
    IssuedKey c = issued.get(2);

    // validate good keys, for the right and the wrong device
    see(validator.validate(a.secret().reveal()));
    see(validator.validate(a.secret().reveal(), "AQ-1"));
    see(validator.validate(a.secret().reveal(), "AQ-2"));

    // validate bad keys that are close to real ones: a typo and a truncation
    String s = b.secret().reveal();
    see(validator.validate(s.substring(0, s.length() - 1) + (s.endsWith("a") ? "b" : "a")));
    see(validator.validate(s.substring(0, s.length() - 1)));
    see(validator.validate(s + s));

    // regenerate without and with overlap; old secrets revoked or still valid
    IssuedKey a2 = issued(keys.regenerateKey(ADMIN, ACME, a.key().id()));
    see(validator.validate(a.secret().reveal()));
    see(validator.validate(a2.secret().reveal()));
    IssuedKey b2 = issued(keys.regenerateKey(ADMIN, ACME, b.key().id(), Duration.ofHours(1)));
    see(validator.validate(b.secret().reveal()));
    clock.advance(Duration.ofHours(2));
    see(validator.validate(b.secret().reveal()));
    see(validator.validate(b2.secret().reveal()));

    // edit
    see(keys.editKey(ADMIN, ACME, c.key().id(), KeyEdit.label("kitchen")));
    see(keys.editKey(ADMIN, ACME, c.key().id(), KeyEdit.suspend()));
    see(validator.validate(c.secret().reveal()));
    see(keys.editKey(ADMIN, ACME, c.key().id(), KeyEdit.resume()));
    see(keys.editKey(ADMIN, ACME, c.key().id(), KeyEdit.expiresAt(clock.instant().plusSeconds(60))));
    see(keys.editKey(ADMIN, ACME, c.key().id(), KeyEdit.rebindTo("AQ-4")));
    clock.advance(Duration.ofMinutes(2));
    see(validator.validate(c.secret().reveal(), "AQ-4"));

    // reveal with a vault, and without one
    Secret revealed = keys.revealSecret(ADMIN, ACME, a.key().id());
    assertThat(revealed).isEqualTo(a2.secret());
    see(revealed);
    refuse(SecretNotRetainedException.class, () -> noVault.revealSecret(ADMIN, ACME, a.key().id()));

    // refusals of every kind
    refuse(AccessDeniedException.class, () -> keys.createKeys(MANAGER, ACME, NewKeys.forDevices("AQ-5")));
    refuse(AccessDeniedException.class, () -> keys.revealSecret(MANAGER, ACME, a.key().id()));
    refuse(AccessDeniedException.class, () -> keys.regenerateKey(MANAGER, ACME, a.key().id()));
    refuse(DeviceAlreadyHasKeyException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1")));
    refuse(LicenseLimitException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-5", "AQ-6")));
    refuse(InvalidRequestException.class, () -> keys.regenerateKey(ADMIN, ACME, a.key().id(), Duration.ofDays(9)));
    refuse(InvalidRequestException.class, () -> keys.editKey(ADMIN, ACME, a.key().id(), KeyEdit.label("x".repeat(300))));
    refuse(NotFoundException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices("NOPE-1")));

    // a secret pasted where it does not belong is refused without being echoed
    String pasted = a2.secret().reveal();
    refuse(InvalidRequestException.class, () -> keys.createKeys(ADMIN, ACME, NewKeys.forDevices(pasted)));
    refuse(InvalidRequestException.class, () -> keys.renameDevice(ADMIN, ACME, pasted, "x"));
    refuse(InvalidRequestException.class, () -> keys.dissociateDevice(ADMIN, ACME, pasted));
    refuse(InvalidRequestException.class, () -> keys.editKey(ADMIN, ACME, a.key().id(), KeyEdit.rebindTo(pasted)));

    // the store fails while validating
    KeyValidator failing = Keyseat.builder(failingLookups(store)).clock(clock).build().storeValidator();
    Verdict unavailable = see(failing.validate(a2.secret().reveal()));
    assertThat(unavailable.status()).isEqualTo(Verdict.Status.UNAVAILABLE);

    // a new key on a freed license, then delete and dissociate
    keys.deleteKey(ADMIN, ACME, b.key().id());
    issued(keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-5")).get(0));
    keys.dissociateDevice(ADMIN, ACME, "AQ-4");
    see(validator.validate(b2.secret().reveal()));
    see(validator.validate(c.secret().reveal()));

    // everything the scenario can read back
    keys.keys(ADMIN, ACME).forEach(this::see);
    see(keys.keysUnusedSince(ADMIN, ACME, clock.instant()));
    see(keys.licenseUsage(ADMIN, ACME));
    see(keys.devices(ADMIN, ACME));
    see(keys.members(ADMIN, ACME));
    List<AuditEntry> audit = keys.auditLog(ADMIN, ACME, Long.MAX_VALUE, 1000);
    audit.forEach(this::see);
    store.changesSince(0, 1000).forEach(this::see);
    for (String secret : secrets) {
      see(store.findKeyByHash(sha256(secret)));
    }
    see(keyseat);
    see(keys);
    see(store);

    // not vacuous: the scenario issued and saw secrets, logged at every level, threw and audited
    assertThat(secrets).as("3 created, 2 regenerated, 1 on a freed license").hasSize(6);
    assertThat(exceptions).isEqualTo(13);
    assertThat(audit).hasSizeGreaterThan(30);
    assertThat(audit).anyMatch(e -> e.outcome() == AuditEntry.Outcome.REFUSED);
    assertThat(logs.list).extracting(ILoggingEvent::getLevel).contains(Level.DEBUG, Level.INFO, Level.WARN);
    assertThat(texts).anyMatch(t -> t.contains("StoredKey[")).anyMatch(t -> t.contains("Secret[redacted]"));
    assertThat(leaksIn(List.of("a log line with " + pasted + " in it"))).as("the detector works").isNotEmpty();
    assertThat(leaksIn(List.of("a log line with " + pasted.substring(3, 20)))).as("fragments count").isNotEmpty();

    List<String> all = new ArrayList<>(texts);
    for (ILoggingEvent e : logs.list) {
      all.add(e.getFormattedMessage());
      all.add(e.getMessage());
      if (e.getArgumentArray() != null) {
        for (Object arg : e.getArgumentArray()) {
          all.add(String.valueOf(arg));
        }
      }
      if (e.getThrowableProxy() != null) {
        all.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
      all.add(String.valueOf(e.getMDCPropertyMap()));
      all.add(String.valueOf(e.getKeyValuePairs()));
    }
    assertThat(leaksIn(all)).as("texts containing a secret").isEmpty();
  }

  @Test
  void theStoreHoldsNoPlaintextSecretAnywhereInItsMemory() throws Exception {
    Keyseat keyseat = withVault(128);
    KeyManager keys = keyseat.manager();
    keys.createAccount(OPERATOR, ACME, new NewAccount("Acme Air", UserId.of("alice"), 3));
    for (int i = 1; i <= 3; i++) {
      keys.associateDevice(ADMIN, ACME, new NewDevice("AQ-" + i, "Monitor " + i));
    }
    List<IssuedKey> issued = keys.createKeys(ADMIN, ACME, NewKeys.forDevices("AQ-1", "AQ-2", "AQ-3"));
    issued.forEach(this::issued);
    issued(keys.regenerateKey(ADMIN, ACME, issued.get(0).key().id(), Duration.ofHours(1)));
    issued(keys.regenerateKey(ADMIN, ACME, issued.get(1).key().id()));
    keyseat.storeValidator().validate(issued.get(2).secret().reveal());

    List<String> found = new ArrayList<>();
    int storedKeys = walk(store, found);
    assertThat(storedKeys).as("the walk reached the stored keys").isGreaterThanOrEqualTo(3);
    assertThat(found).as("the walk read the store's strings").anyMatch(t -> t.contains("AQ-1"));
    assertThat(leaksIn(found)).isEmpty();
  }

  // ------------------------------------------------------------------ helpers

  private IssuedKey issued(IssuedKey key) {
    secrets.add(key.secret().reveal());
    see(key);
    see(key.key());
    see(key.secret());
    return key;
  }

  private <T> T see(T object) {
    texts.add(String.valueOf(object));
    return object;
  }

  private void refuse(Class<? extends Throwable> type, ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    assertThat(t).isInstanceOf(type);
    exceptions++;
    for (Throwable x = t; x != null; x = x.getCause()) {
      texts.add(String.valueOf(x.getMessage()));
      texts.add(x.toString());
      texts.add(x.getLocalizedMessage());
      for (Throwable suppressed : x.getSuppressed()) {
        texts.add(suppressed.toString());
      }
    }
    if (t instanceof InvalidRequestException e) {
      e.violations().forEach(v -> texts.add(v.toString()));
    }
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    texts.add(trace.toString());
  }

  /**
   * @return the texts containing a secret, its random part, or any 12 consecutive characters of
   *     its random part and checksum (a hint shows 4, which is allowed)
   */
  private List<String> leaksIn(Collection<String> candidates) {
    List<String> leaks = new ArrayList<>();
    for (String text : candidates) {
      if (text == null) {
        continue;
      }
      for (String secret : secrets) {
        String tail = secret.substring(secret.indexOf('_') + 1);
        boolean leak = false;
        for (int i = 0; i + 12 <= tail.length() && !leak; i++) {
          leak = text.contains(tail.substring(i, i + 12));
        }
        if (leak) {
          leaks.add(text.length() > 300 ? text.substring(0, 300) + "..." : text);
          break;
        }
      }
    }
    return leaks;
  }

  private static KeyHash sha256(String key) throws Exception {
    return KeyHash.of(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A store whose validation lookups fail, as when the database is down. */
  private static KeyStore failingLookups(KeyStore real) {
    return (KeyStore) Proxy.newProxyInstance(SecretLeakTest.class.getClassLoader(), new Class<?>[] {KeyStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("findKeyByHash")) {
            throw new IllegalStateException("connection refused");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /**
   * Walks the object graph under {@code root}: Keyseat's own objects field by field, JDK maps,
   * collections and arrays through their public API, collecting every string and byte array (as
   * text). @return how many {@link StoredKey}s were reached
   */
  private static int walk(Object root, List<String> out) throws IllegalAccessException {
    Map<Object, Boolean> seen = new IdentityHashMap<>();
    List<Object> todo = new ArrayList<>();
    todo.add(root);
    int storedKeys = 0;
    while (!todo.isEmpty()) {
      Object o = todo.remove(todo.size() - 1);
      if (o == null || seen.put(o, Boolean.TRUE) != null) {
        continue;
      }
      if (o instanceof StoredKey) {
        storedKeys++;
      }
      if (o instanceof String str) {
        out.add(str);
      } else if (o instanceof byte[] bytes) {
        out.add(new String(bytes, StandardCharsets.ISO_8859_1));
      } else if (o instanceof char[] chars) {
        out.add(new String(chars));
      } else if (o instanceof Object[] array) {
        Collections.addAll(todo, array);
      } else if (o instanceof Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          todo.add(e.getKey());
          todo.add(e.getValue());
        }
      } else if (o instanceof Collection<?> collection) {
        synchronized (collection) {
          todo.addAll(new ArrayList<>(collection));
        }
      } else if (o instanceof Optional<?> optional) {
        optional.ifPresent(todo::add);
      } else if (o.getClass().getName().startsWith("dev.keyseat.")) {
        for (Class<?> c = o.getClass(); c != null && c.getName().startsWith("dev.keyseat."); c = c.getSuperclass()) {
          for (Field f : c.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
              continue;
            }
            f.setAccessible(true);
            todo.add(f.get(o));
          }
        }
      }
    }
    return storedKeys;
  }
}
