package dev.keyseat.examples.springportal;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.AlreadyExistsException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.NewLicense;
import dev.keyseat.UserId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The demo account, created on the first start (a store that already has it is left alone):
 * account {@code acme} with {@value #OPEN_ENDED_LICENSES} open-ended licenses and
 * {@value #TERM_LICENSES} that end in 60 days, the {@link DemoUsers} as members, {@value #DEVICES}
 * air monitors and keys for the first {@value #KEYS} of them (more than one page of the keys
 * table), a few of them used. {@code portal.demo-account=false} skips it.
 */
@Component
class DemoAccount implements ApplicationRunner {
  static final AccountId ID = AccountId.of("acme");
  static final String NAME = "Acme Air";
  static final int OPEN_ENDED_LICENSES = 30;
  static final int TERM_LICENSES = 5;
  static final int DEVICES = 40;
  static final int KEYS = 24;

  private static final String[] ROOMS = {
      "Lobby", "Meeting room", "Kitchen", "Warehouse", "Server room", "Rooftop", "Reception", "Library",
      "Gym", "Open office", "Lab", "Canteen"};

  private final Keyseat keyseat;
  private final DemoUsers users;
  private final Environment env;
  private final Clock clock;

  DemoAccount(Keyseat keyseat, DemoUsers users, Environment env) {
    this.keyseat = keyseat;
    this.users = users;
    this.env = env;
    this.clock = Clock.systemUTC();
  }

  @Override
  public void run(ApplicationArguments args) {
    if (env.getProperty("portal.demo-account", Boolean.class, true)) {
      seed(ID);
    }
  }

  /**
   * Creates a demo account unless it exists.
   *
   * @param id the account's id
   * @return whether it was created
   */
  boolean seed(AccountId id) {
    KeyManager keys = keyseat.manager();
    Actor operator = Actor.operator("portal-operator");
    DemoUsers.DemoUser first = users.all().get(0);
    Actor admin = Actor.user(first.name());
    try {
      keys.createAccount(operator, id, new NewAccount(NAME, UserId.of(first.name()), OPEN_ENDED_LICENSES));
    } catch (AlreadyExistsException e) {
      return false;
    }
    keys.grantLicenses(operator, id, NewLicense.term(TERM_LICENSES, clock.instant(),
        clock.instant().plus(Duration.ofDays(60)), "pilot extension"));
    for (DemoUsers.DemoUser u : users.all().subList(1, users.all().size())) {
      keys.addMember(admin, id, UserId.of(u.name()), u.role());
    }
    keys.associateDevices(admin, id, devices(id));
    List<String> withKeys = new ArrayList<>();
    for (int i = 1; i <= KEYS; i++) {
      withKeys.add(serial(id, i));
    }
    List<IssuedKey> issued = keys.createKeys(admin, id, NewKeys.forDevices(withKeys).withLabel("installed by the demo"));
    // A few keys are used (the secrets are then dropped): the table shows "last used", the charts a count.
    for (int i = 0; i < issued.size(); i += 3) {
      IssuedKey key = issued.get(i);
      for (int n = 0; n <= i % 5; n++) {
        keyseat.storeValidator().validate(key.secret().reveal(), key.key().deviceSerial());
      }
    }
    return true;
  }

  /**
   * @param id the account
   * @return its demo devices: serials {@code AQ-1001} to {@code AQ-1040} in the demo account, with
   *     the account's id for a prefix in others (serials are unique across accounts)
   */
  static List<NewDevice> devices(AccountId id) {
    List<NewDevice> devices = new ArrayList<>();
    for (int i = 1; i <= DEVICES; i++) {
      String room = ROOMS[(i - 1) % ROOMS.length] + ((i - 1) / ROOMS.length == 0 ? "" : " " + (1 + (i - 1) / ROOMS.length));
      devices.add(new NewDevice(serial(id, i), room, i % 4 == 0 ? "Outdoor Air Monitor" : "Indoor Air Monitor"));
    }
    return devices;
  }

  /**
   * @param id the account
   * @param i the device's number, from 1
   * @return its serial
   */
  static String serial(AccountId id, int i) {
    return (id.equals(ID) ? "AQ" : id.value().toUpperCase(java.util.Locale.ROOT)) + "-" + (1000 + i);
  }
}
