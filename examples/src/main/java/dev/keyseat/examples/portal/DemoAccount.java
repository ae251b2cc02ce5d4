package dev.keyseat.examples.portal;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import java.util.List;
import java.util.Optional;

/**
 * The portal's seed data: one account with 5 licenses, three demo users (one per role) and six air
 * monitors, one of which already has a key that has been used once.
 */
public final class DemoAccount {
  /** The demo account's id. */
  public static final AccountId ID = AccountId.of("acme");
  /** The demo account's display name. */
  public static final String NAME = "Acme Air";
  /** Licenses the demo account contracts. */
  public static final int LICENSES = 5;

  /**
   * A user offered by the sign-in picker. Its role here is only the picker's label: the portal
   * asks Keyseat for the role on every request.
   *
   * @param id user id, the value of the sign-in cookie
   * @param name display name
   * @param role the role the seed gives the user
   */
  public record DemoUser(String id, String name, Role role) {}

  /** The demo users, one per role. */
  public static final List<DemoUser> USERS = List.of(
      new DemoUser("alice", "Alice", Role.ADMIN),
      new DemoUser("bob", "Bob", Role.MANAGER),
      new DemoUser("carol", "Carol", Role.VIEWER));

  /** The demo devices, as serial, name and model. */
  static final List<NewDevice> DEVICES = List.of(
      new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"),
      new NewDevice("AQ-1002", "Meeting room", "Indoor Air Monitor"),
      new NewDevice("AQ-1003", "Kitchen", "Indoor Air Monitor"),
      new NewDevice("AQ-1004", "Warehouse", "Outdoor Air Monitor"),
      new NewDevice("AQ-1005", "Server room", "Indoor Air Monitor"),
      new NewDevice("AQ-1006", "Rooftop", "Outdoor Air Monitor"));

  /** The device whose key exists from the start. */
  static final String SEEDED_KEY_DEVICE = "AQ-1001";

  private DemoAccount() {}

  /**
   * Creates the demo account in the Keyseat's store: account {@link #ID} with {@link #LICENSES}
   * licenses, {@link #USERS} as members, {@link #DEVICES}, and a key for {@link
   * #SEEDED_KEY_DEVICE} that is validated once so that the table shows a "last used" time. The
   * seeded key's secret is discarded.
   *
   * @param keyseat a Keyseat whose store has no account {@link #ID} yet
   */
  public static void seed(Keyseat keyseat) {
    KeyManager keys = keyseat.manager();
    Actor operator = Actor.operator("demo-operator");
    Actor admin = Actor.user(USERS.get(0).id());
    keys.createAccount(operator, ID, new NewAccount(NAME, UserId.of(USERS.get(0).id()), LICENSES));
    for (DemoUser u : USERS.subList(1, USERS.size())) {
      keys.addMember(admin, ID, UserId.of(u.id()), u.role());
    }
    for (NewDevice d : DEVICES) {
      keys.associateDevice(admin, ID, d);
    }
    IssuedKey lobby = keys.createKeys(admin, ID, NewKeys.forDevices(SEEDED_KEY_DEVICE).withLabel("front desk display"))
        .get(0);
    keyseat.storeValidator().validate(lobby.secret().reveal(), SEEDED_KEY_DEVICE);
  }

  /** @return the demo user with this id, if any */
  static Optional<DemoUser> user(String id) {
    return USERS.stream().filter(u -> u.id().equals(id)).findFirst();
  }
}
