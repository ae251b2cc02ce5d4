package dev.keyseat.testkit;

import static org.quicktheories.api.Pair.of;

import dev.keyseat.OverLimitStrategy;
import dev.keyseat.Role;
import dev.keyseat.testkit.QuotaCommand.AddMember;
import dev.keyseat.testkit.QuotaCommand.AdvanceClock;
import dev.keyseat.testkit.QuotaCommand.ApplyLicenseEnds;
import dev.keyseat.testkit.QuotaCommand.AssociateDevice;
import dev.keyseat.testkit.QuotaCommand.CancelLicenses;
import dev.keyseat.testkit.QuotaCommand.ChangeLicenseTerm;
import dev.keyseat.testkit.QuotaCommand.ChangeRole;
import dev.keyseat.testkit.QuotaCommand.ContractLicenses;
import dev.keyseat.testkit.QuotaCommand.CreateKeys;
import dev.keyseat.testkit.QuotaCommand.DeleteKey;
import dev.keyseat.testkit.QuotaCommand.DissociateDevice;
import dev.keyseat.testkit.QuotaCommand.Edit;
import dev.keyseat.testkit.QuotaCommand.EditKey;
import dev.keyseat.testkit.QuotaCommand.EndLicense;
import dev.keyseat.testkit.QuotaCommand.GrantLicenses;
import dev.keyseat.testkit.QuotaCommand.GrantRef;
import dev.keyseat.testkit.QuotaCommand.KeyRef;
import dev.keyseat.testkit.QuotaCommand.Presentation;
import dev.keyseat.testkit.QuotaCommand.Read;
import dev.keyseat.testkit.QuotaCommand.RegenerateKey;
import dev.keyseat.testkit.QuotaCommand.RemoveMember;
import dev.keyseat.testkit.QuotaCommand.RenameDevice;
import dev.keyseat.testkit.QuotaCommand.RevealSecret;
import dev.keyseat.testkit.QuotaCommand.SecretRef;
import dev.keyseat.testkit.QuotaCommand.SetLicensePolicy;
import dev.keyseat.testkit.QuotaCommand.Validate;
import dev.keyseat.testkit.QuotaCommand.View;
import dev.keyseat.testkit.QuotaCommand.Who;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators for Keyseat: command sequences for model-based tests of the quota rules
 * (see {@link QuotaCommand} for the cast of users and devices).
 *
 * <p>Every command is drawn from the same fixed number of random values, whatever its kind, so
 * that when QuickTheories shrinks one command the commands after it keep their meaning; a command
 * can also shrink into nothing and vanish from the sequence. Shrinking therefore shortens a
 * failing sequence from the end, drops commands from the middle and simplifies the rest towards
 * {@code alice} acting on {@code D0} and the newest key.
 */
public final class KeyseatGenerators {
  /** The most commands in a scenario. */
  public static final int MAX_COMMANDS = 200;

  /** The devices commands name: D0–D7 of acme, X0 of account other, N0 of no account, an invalid serial. */
  public static final List<String> SERIALS =
      List.of("D0", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "X0", "N0", "bad serial");

  private static final Duration[] ADVANCES = {
      Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofHours(1),
      Duration.ofHours(6), Duration.ofHours(12), Duration.ofDays(1), Duration.ofDays(1),
      Duration.ofDays(2), Duration.ofDays(3), Duration.ofDays(7), Duration.ofDays(7),
      Duration.ofDays(8), Duration.ofDays(30), Duration.ofMinutes(30), Duration.ofDays(1)};

  private static final String LONG_LABEL = "x".repeat(201);

  private KeyseatGenerators() {}

  /** Kinds of command, in shrinking order (a command shrinks towards the first kinds). */
  private enum Kind {
    DROP, VALIDATE, ADVANCE, READ, REVEAL, CREATE, CONTRACT, DELETE, REGENERATE, EDIT, CANCEL, ASSOCIATE,
    DISSOCIATE, RENAME, ADD_MEMBER, CHANGE_ROLE, REMOVE_MEMBER, GRANT, CHANGE_TERM, END_LICENSE, APPLY_ENDS,
    SET_POLICY
  }

  /** @return scenarios of 1–{@value #MAX_COMMANDS} commands, starting with 0–5 licenses */
  public static Gen<QuotaScenario> scenarios() {
    return scenarios(1, MAX_COMMANDS);
  }

  /**
   * @param minCommands fewest commands, at least 1
   * @param maxCommands most commands
   * @return scenarios whose length is uniform in the range (a few commands may shrink away)
   */
  public static Gen<QuotaScenario> scenarios(int minCommands, int maxCommands) {
    if (minCommands < 1 || maxCommands < minCommands) {
      throw new IllegalArgumentException("need 1 <= minCommands <= maxCommands");
    }
    Gen<Integer> licenses = Generate.range(0, 5);
    Gen<Integer> length = Generate.range(minCommands, maxCommands, minCommands);
    Gen<QuotaCommand> first = commands(false);
    Gen<QuotaCommand> rest = commands(true);
    Gen<QuotaScenario> gen = prng -> {
      int initial = licenses.generate(prng);
      int n = length.generate(prng);
      List<QuotaCommand> commands = new ArrayList<>(n);
      commands.add(first.generate(prng));
      for (int i = 1; i < n; i++) {
        QuotaCommand c = rest.generate(prng);
        if (c != null) {
          commands.add(c);
        }
      }
      return new QuotaScenario(initial, commands);
    };
    return gen.describedAs(QuotaScenario::toString);
  }

  /** @return single commands of every kind, weighted towards key management and validation */
  public static Gen<QuotaCommand> commands() {
    return commands(false);
  }

  /** @return a device serial: mostly D0–D7, sometimes X0, N0 or an invalid serial */
  public static Gen<String> serials() {
    return Generate.range(0, 19).map(KeyseatGenerators::serial);
  }

  /** @param droppable whether the command may be null (shrinks to null): a step left out */
  private static Gen<@Nullable QuotaCommand> commands(boolean droppable) {
    List<org.quicktheories.api.Pair<Integer, Gen<Kind>>> weights = new ArrayList<>();
    if (droppable) {
      weights.add(of(1, Generate.constant(Kind.DROP)));
    }
    weights.add(of(14, Generate.constant(Kind.VALIDATE)));
    weights.add(of(4, Generate.constant(Kind.ADVANCE)));
    weights.add(of(3, Generate.constant(Kind.READ)));
    weights.add(of(1, Generate.constant(Kind.REVEAL)));
    weights.add(of(16, Generate.constant(Kind.CREATE)));
    weights.add(of(5, Generate.constant(Kind.CONTRACT)));
    weights.add(of(6, Generate.constant(Kind.DELETE)));
    weights.add(of(5, Generate.constant(Kind.REGENERATE)));
    weights.add(of(8, Generate.constant(Kind.EDIT)));
    weights.add(of(5, Generate.constant(Kind.CANCEL)));
    weights.add(of(4, Generate.constant(Kind.ASSOCIATE)));
    weights.add(of(3, Generate.constant(Kind.DISSOCIATE)));
    weights.add(of(1, Generate.constant(Kind.RENAME)));
    weights.add(of(2, Generate.constant(Kind.ADD_MEMBER)));
    weights.add(of(3, Generate.constant(Kind.CHANGE_ROLE)));
    weights.add(of(2, Generate.constant(Kind.REMOVE_MEMBER)));
    weights.add(of(4, Generate.constant(Kind.GRANT)));
    weights.add(of(3, Generate.constant(Kind.CHANGE_TERM)));
    weights.add(of(2, Generate.constant(Kind.END_LICENSE)));
    weights.add(of(1, Generate.constant(Kind.APPLY_ENDS)));
    weights.add(of(2, Generate.constant(Kind.SET_POLICY)));
    Gen<Kind> kinds = Generate.frequency(weights);
    Gen<Integer> slot = Generate.range(0, 15);
    Gen<Integer> device = Generate.range(0, 19);
    // Always the same 14 values per command, whatever its kind.
    return prng -> {
      Kind kind = kinds.generate(prng);
      int who = slot.generate(prng);
      int[] devices = new int[6];
      for (int i = 0; i < devices.length; i++) {
        devices[i] = device.generate(prng);
      }
      int ref = slot.generate(prng);
      int o1 = slot.generate(prng);
      int o2 = slot.generate(prng);
      int o3 = slot.generate(prng);
      int fault = slot.generate(prng);
      int faultAt = slot.generate(prng);
      QuotaCommand c = build(kind, who, devices, ref, o1, o2, o3);
      // 1 write call in 16 fails inside its transaction, at one of its first four writes
      return fault == 15 && c instanceof QuotaCommand.Performed p && !(c instanceof Read)
          ? new QuotaCommand.FailingWrite(1 + faultAt % 4, p) : c;
    };
  }

  private static final int[] BATCH_SIZES = {1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6};

  private static @Nullable QuotaCommand build(Kind kind, int who, int[] devices, int ref, int o1, int o2, int o3) {
    String serial = serial(devices[0]);
    String keyable = keyable(devices[0]);
    return switch (kind) {
      case DROP -> null;
      case VALIDATE -> {
        Presentation how = o1 < 8 ? Presentation.PLAIN : o1 < 11 ? Presentation.FOR_OWN_DEVICE
            : o1 < 14 ? Presentation.FOR_DEVICE : Presentation.TYPO;
        SecretRef secret = ref >= 14 ? new SecretRef(true, 0)
            : new SecretRef(false, ref < 8 ? 0 : ref < 11 ? 1 : ref == 11 ? 2 : ref == 12 ? 3 : 6);
        yield new Validate(secret, how, how == Presentation.FOR_DEVICE ? serial : null);
      }
      case ADVANCE -> new AdvanceClock(ADVANCES[o1]);
      case READ -> new Read(user(who), View.values()[o1 % View.values().length]);
      case REVEAL -> new RevealSecret(user(who), key(ref));
      case CREATE -> {
        int n = BATCH_SIZES[o2];
        List<String> serials = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          serials.add(keyable(devices[i]));
        }
        if (o3 != 15) {
          serials = new ArrayList<>(new LinkedHashSet<>(serials));
        }
        Duration expiresIn = o1 < 12 ? null : o1 < 14 ? Duration.ofDays(1) : o1 == 14 ? Duration.ofHours(1)
            : o3 % 2 == 0 ? Duration.ofHours(-1) : Duration.ZERO;
        String label = o3 < 13 ? "" : o3 < 15 ? "lobby" : ref % 2 == 0 ? "kitchen" : LONG_LABEL;
        yield new CreateKeys(user(who), serials, label, expiresIn);
      }
      case CONTRACT -> new ContractLicenses(operator(who), o1 < 15 ? 1 + o1 % 4 : 0);
      case DELETE -> new DeleteKey(user(who), key(ref));
      case REGENERATE -> {
        Duration overlap = o1 < 8 ? Duration.ZERO : o1 < 10 ? Duration.ofHours(1) : o1 < 12 ? Duration.ofDays(1)
            : o1 < 15 ? Duration.ofDays(7) : o2 % 2 == 0 ? Duration.ofDays(7).plusSeconds(1) : Duration.ofHours(-1);
        yield new RegenerateKey(user(who), key(ref), overlap);
      }
      case EDIT -> new EditKey(user(who), key(ref), edit(o1, o2, keyable));
      case CANCEL -> {
        int quantity = o1 < 12 ? 1 + o1 % 3 : o1 == 12 ? 0 : o1 == 13 ? 6 : 1;
        OverLimitStrategy strategy = o2 < 5 ? OverLimitStrategy.REJECT : o2 < 10 ? OverLimitStrategy.MARK_OVER_LIMIT
            : o2 < 15 ? OverLimitStrategy.SUSPEND_NEWEST : null;
        yield new CancelLicenses(operator(who), quantity, strategy);
      }
      case ASSOCIATE -> new AssociateDevice(user(who), serial);
      case DISSOCIATE -> new DissociateDevice(user(who), serial);
      case RENAME -> new RenameDevice(user(who), serial, o1 < 14 ? "Room " + o1 : o1 == 14 ? " " : "");
      case ADD_MEMBER -> new AddMember(user(who), member(o1), role(o2));
      case CHANGE_ROLE -> new ChangeRole(user(who), member(o1), role(o2));
      case REMOVE_MEMBER -> new RemoveMember(user(who), member(o1));
      case GRANT -> {
        Duration startIn = o2 < 8 ? null : o2 < 11 ? Duration.ofDays(-1) : o2 < 14 ? Duration.ofDays(1)
            : Duration.ofDays(-3);
        Duration term = o3 < 4 ? null : o3 < 8 ? Duration.ofHours(1) : o3 < 11 ? Duration.ofDays(1)
            : o3 < 14 ? Duration.ofDays(7) : Duration.ofDays(30);
        yield new GrantLicenses(operator(who), o1 < 14 ? 1 + o1 % 3 : 0, startIn, term, ref < 12 ? "" : "order " + ref);
      }
      case CHANGE_TERM -> {
        Duration endIn = o1 < 3 ? null : o1 < 7 ? Duration.ofDays(1) : o1 < 10 ? Duration.ofDays(7)
            : o1 < 13 ? Duration.ofHours(1) : o1 == 13 ? Duration.ZERO : o1 == 14 ? Duration.ofHours(-1)
            : Duration.ofDays(30);
        yield new ChangeLicenseTerm(operator(who), grant(ref), endIn);
      }
      case END_LICENSE -> new EndLicense(operator(who), grant(ref), o2 < 6 ? OverLimitStrategy.REJECT
          : o2 < 11 ? OverLimitStrategy.MARK_OVER_LIMIT : OverLimitStrategy.SUSPEND_NEWEST);
      case APPLY_ENDS -> new ApplyLicenseEnds(operator(who));
      case SET_POLICY -> new SetLicensePolicy(operator(who),
          o1 < 8 ? OverLimitStrategy.MARK_OVER_LIMIT : OverLimitStrategy.SUSPEND_NEWEST,
          o2 < 5 ? 0 : o2 < 10 ? 1 : o2 < 14 ? 2 : 1,
          o2 < 5 ? null : o2 < 10 ? Duration.ofDays(1) : o2 < 14 ? Duration.ofDays(7) : Duration.ofHours(1));
    };
  }

  /** Mostly valid edits; {@code variant} 15 picks one of four invalid ones. */
  private static Edit edit(int variant, int invalid, String serial) {
    return switch (variant) {
      case 0 -> new Edit("renamed", null, false, null, null);
      case 1, 2 -> new Edit(null, null, false, true, null);
      case 3, 4 -> new Edit(null, null, false, false, null);
      case 5, 6, 7 -> new Edit(null, null, false, null, serial);
      case 8 -> new Edit(null, Duration.ofDays(1), false, null, null);
      case 9 -> new Edit(null, Duration.ofHours(1), false, null, null);
      case 10 -> new Edit(null, null, true, null, null);
      case 11 -> new Edit(null, null, false, true, serial);
      case 12 -> new Edit("back", null, false, false, null);
      case 13 -> new Edit(null, Duration.ofDays(2), false, false, serial);
      case 14 -> new Edit("moved", null, false, null, serial);
      default -> switch (invalid % 4) {
        case 0 -> new Edit(LONG_LABEL, null, false, null, null);
        case 1 -> new Edit(null, Duration.ofHours(-1), false, null, null);
        case 2 -> new Edit(null, null, false, null, null);
        default -> new Edit(null, Duration.ofDays(1), true, null, null);
      };
    };
  }

  private static KeyRef key(int ref) {
    return ref < 7 ? new KeyRef(KeyRef.Kind.EXISTING, 0)
        : ref < 10 ? new KeyRef(KeyRef.Kind.EXISTING, 1)
        : ref == 10 ? new KeyRef(KeyRef.Kind.EXISTING, 2)
        : ref == 11 ? new KeyRef(KeyRef.Kind.EXISTING, 4)
        : ref == 12 ? new KeyRef(KeyRef.Kind.LAST_DELETED, 0)
        : ref == 13 ? new KeyRef(KeyRef.Kind.EXISTING, 3)
        : ref == 14 ? new KeyRef(KeyRef.Kind.OTHER_ACCOUNT, 0)
        : new KeyRef(KeyRef.Kind.NEVER_ISSUED, 0);
  }

  private static GrantRef grant(int ref) {
    return ref < 8 ? new GrantRef(false, 0) : ref < 12 ? new GrantRef(false, 1) : ref < 14 ? new GrantRef(false, 2)
        : new GrantRef(ref == 15, 3);
  }

  private static Role role(int v) {
    return v < 6 ? Role.ADMIN : v < 11 ? Role.MANAGER : Role.VIEWER;
  }

  /** A device to create a key for or rebind a key to: mostly D0–D5, which start in acme. */
  private static String keyable(int v) {
    return v < 16 ? SERIALS.get(v % 6) : v == 16 ? "D6" : v == 17 ? "X0" : v == 18 ? "N0" : "bad serial";
  }

  /** Any device: D0–D7, sometimes X0, N0 or an invalid serial. */
  private static String serial(int v) {
    return v < 16 ? SERIALS.get(v % 8) : v < 18 ? "X0" : v == 18 ? "N0" : "bad serial";
  }

  /** A caller of a member's action: mostly alice. */
  private static Who user(int v) {
    return v < 11 ? Who.ALICE : Who.values()[v - 10];
  }

  /** A caller of an operator's action: mostly ops. */
  private static Who operator(int v) {
    return v < 12 ? Who.OPS : Who.values()[v - 12];
  }

  /** The subject of a membership change: rarely alice, never the operator. */
  private static Who member(int v) {
    return v < 4 ? Who.MONA : v < 8 ? Who.VIC : v < 11 ? Who.NORA : v < 15 ? Who.OLGA : Who.ALICE;
  }
}
