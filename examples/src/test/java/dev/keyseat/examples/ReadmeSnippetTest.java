package dev.keyseat.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.LicenseUsage;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.validation.Verdict;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's quick-start snippet, kept here so that it always compiles and runs. */
class ReadmeSnippetTest {

  @Test
  void readmeQuickStartSnippetWorks() {
    // --- README snippet start
    Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    KeyManager keys = keyseat.manager();
    Actor operator = Actor.operator("ops");
    Actor admin = Actor.user("alice");
    AccountId acme = AccountId.of("acme");

    keys.createAccount(operator, acme, new NewAccount("Acme Air", UserId.of("alice"), 3));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
    keys.associateDevice(admin, acme, new NewDevice("AQ-1002", "Meeting room", "Indoor Air Monitor"));

    List<IssuedKey> issued = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001", "AQ-1002"));
    String secret = issued.get(0).secret().reveal();      // shown once: hand it to the device owner

    KeyValidator validator = keyseat.storeValidator();
    Verdict verdict = validator.validate(secret, "AQ-1001"); // VALID, with account, device and key id
    LicenseUsage usage = keys.licenseUsage(admin, acme);     // 2 of 3 licenses used, 1 available
    // --- README snippet end

    assertThat(verdict.isValid()).isTrue();
    assertThat(verdict.deviceSerial()).isEqualTo("AQ-1001");
    assertThat(usage).isEqualTo(new LicenseUsage(2, 1, 3));
  }
}
