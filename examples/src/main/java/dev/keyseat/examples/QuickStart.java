package dev.keyseat.examples;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.io.PrintStream;
import java.util.List;

/**
 * The "API Keys" page as a story: an account contracts 3 licenses, associates 4 air monitors,
 * creates keys for 2 of them, validates, regenerates, and frees a license by deleting a key.
 */
public final class QuickStart {
  private QuickStart() {}

  /** Runs the story on the in-memory store and prints it. */
  public static void main(String[] args) {
    run(Keyseat.builder(new InMemoryKeyStore()).build(), System.out);
  }

  /** Runs the story on any Keyseat and prints it to {@code out}. */
  public static void run(Keyseat keyseat, PrintStream out) {
    KeyManager keys = keyseat.manager();
    KeyValidator validator = keyseat.storeValidator();

    Actor operator = Actor.operator("ops");
    Actor admin = Actor.user("alice");
    Actor manager = Actor.user("bob");
    AccountId acme = AccountId.of("acme");

    keys.createAccount(operator, acme, new NewAccount("Acme Air", UserId.of("alice"), 0));
    keys.contractLicenses(operator, acme, 3);
    keys.addMember(admin, acme, UserId.of("bob"), Role.MANAGER);
    out.println("1. Operator contracted 3 API licenses for Acme Air; alice is ADMIN, bob is MANAGER.");

    keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1002", "Meeting room", "Indoor Air Monitor"));
    keys.associateDevice(manager, acme, new NewDevice("AQ-1003", "Kitchen", "Indoor Air Monitor"));
    keys.associateDevice(manager, acme, new NewDevice("AQ-1004", "Warehouse", "Outdoor Air Monitor"));
    out.println("2. Associated 4 devices: AQ-1001 Lobby, AQ-1002 Meeting room, AQ-1003 Kitchen, AQ-1004 Warehouse.");

    List<IssuedKey> issued = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001", "AQ-1002"));
    out.println("3. Created keys for 2 selected devices (each secret is shown once):");
    for (IssuedKey k : issued) {
      out.printf("     %s  %-8s  %s%n", k.key().id(), k.key().deviceSerial(), k.secret().reveal());
    }

    out.println("4. The keys table:");
    printTable(keys.keys(admin, acme), out);
    out.println("5. License usage: " + keys.licenseUsage(admin, acme));

    try {
      keys.createKeys(manager, acme, NewKeys.forDevices("AQ-1003"));
    } catch (AccessDeniedException e) {
      out.println("6. Manager refused: " + e.getMessage());
    }

    String lobbyKey = issued.get(0).secret().reveal();
    out.println("7. Validate the lobby key for AQ-1001: " + validator.validate(lobbyKey, "AQ-1001").status()
        + "; for AQ-1002: " + validator.validate(lobbyKey, "AQ-1002").status()
        + "; a typo: " + validator.validate(lobbyKey.substring(0, lobbyKey.length() - 1) + "x").status());

    IssuedKey regenerated = keys.regenerateKey(admin, acme, issued.get(0).key().id());
    out.println("8. Regenerated " + regenerated.key().id() + ": old secret "
        + validator.validate(lobbyKey).status() + ", new secret "
        + validator.validate(regenerated.secret().reveal()).status());

    keys.deleteKey(admin, acme, issued.get(1).key().id());
    out.println("9. Deleted the meeting-room key: " + keys.licenseUsage(admin, acme) + "; its secret is now "
        + validator.validate(issued.get(1).secret().reveal()).status());
    List<IssuedKey> reused = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1003", "AQ-1004"));
    out.println("10. The freed license went to the kitchen and warehouse monitors: "
        + reused.stream().map(k -> k.key().deviceSerial()).toList() + "; " + keys.licenseUsage(admin, acme));
    printTable(keys.keys(admin, acme), out);
  }

  private static void printTable(List<ApiKey> rows, PrintStream out) {
    out.printf("     %-14s %-9s %-22s %-9s %-12s %s%n", "DEVICE", "SERIAL", "CREATED", "STATUS", "HINT", "LAST USED");
    for (ApiKey k : rows) {
      out.printf("     %-14s %-9s %-22s %-9s %-12s %s%n", k.deviceName(), k.deviceSerial(),
          k.createdAt().toString().substring(0, 19) + "Z", k.status(), k.hint(),
          k.lastUsedAt() == null ? "never" : k.lastUsedAt().toString().substring(0, 19) + "Z");
    }
  }
}
