package dev.keyseat.spring.web;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.AuditEntry;
import dev.keyseat.Device;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyPage;
import dev.keyseat.KeyQuery;
import dev.keyseat.KeySort;
import dev.keyseat.Keyseat;
import dev.keyseat.LicenseUsage;
import dev.keyseat.Member;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.Role;
import dev.keyseat.UserId;
import dev.keyseat.spring.security.KeyseatActors;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of the "API Keys" page under {@code {base}/api} (WEB-API contract): a thin
 * translation of JSON to {@link KeyManager} calls, with the signed-in user as the {@link Actor}.
 * Every rule (R1–R13) stays in the manager; refusals become problem details in {@link ApiProblems}.
 */
@RestController
@RequestMapping("${keyseat.web.base-path:/keyseat}/api/accounts/{a}")
class KeyseatApiController {
  private static final int DEFAULT_KEYS_PAGE = 20;
  private static final int DEFAULT_DEVICES_PAGE = 50;
  private static final int MAX_STALE_DAYS = 3650;

  private final KeyManager keys;
  private final Keyseat keyseat;
  private final KeyseatActors actors;
  private final KeyseatWebProperties properties;

  KeyseatApiController(KeyManager keys, Keyseat keyseat, KeyseatActors actors, KeyseatWebProperties properties) {
    this.keys = keys;
    this.keyseat = keyseat;
    this.actors = actors;
    this.properties = properties;
  }

  // ---------------------------------------------------------------- account

  @GetMapping("/me")
  @Attempt("use this account")
  ApiJson.Me me(@PathVariable("a") String a) {
    Actor actor = actors.current();
    AccountId account = account(a);
    String role;
    if (actor.isOperator()) {
      keys.licenseUsage(actor, account); // the account exists (else not found)
      role = "OPERATOR";
    } else {
      UserId me = actor.userId();
      role = keys.members(actor, account).stream().filter(m -> m.userId().equals(me)).map(m -> m.role().name())
          .findFirst().orElse(Role.VIEWER.name());
    }
    return new ApiJson.Me(actor.id(), role, account.value(), keyseat.retainsSecrets());
  }

  @GetMapping("/usage")
  @Attempt("see the license usage of this account")
  ApiJson.Usage usage(@PathVariable("a") String a) {
    LicenseUsage u = keys.licenseUsage(actors.current(), account(a));
    return ApiJson.Usage.of(u);
  }

  @GetMapping("/usage/daily")
  @Attempt("see the usage of this account's API keys")
  ApiJson.Days accountUsageDaily(@PathVariable("a") String a, @RequestParam(name = "days", defaultValue = "30") int days) {
    return new ApiJson.Days(keys.accountUsageDaily(actors.current(), account(a), days).stream()
        .map(ApiJson.Day::of).toList());
  }

  @GetMapping("/members")
  @Attempt("see the members of this account")
  ApiJson.Members members(@PathVariable("a") String a) {
    List<Member> members = keys.members(actors.current(), account(a));
    return new ApiJson.Members(members.stream().map(ApiJson.MemberJson::of).toList());
  }

  @GetMapping("/audit")
  @Attempt("read the audit log of this account")
  ApiJson.AuditPage audit(@PathVariable("a") String a, @RequestParam(name = "before", required = false) @Nullable Long before,
      @RequestParam(name = "size", defaultValue = "50") int size) {
    checkSize(size);
    if (before != null && before < 1) {
      throw InvalidRequestException.of("before", "must be a positive sequence number from an earlier page");
    }
    List<AuditEntry> page = keys.auditLog(actors.current(), account(a), before == null ? Long.MAX_VALUE : before, size);
    Long next = page.size() == size && page.get(page.size() - 1).sequence() > 1
        ? page.get(page.size() - 1).sequence() : null;
    return new ApiJson.AuditPage(page.stream().map(ApiJson.AuditJson::of).toList(), next);
  }

  // ---------------------------------------------------------------- keys

  @GetMapping("/keys")
  @Attempt("see the API keys of this account")
  ApiJson.KeyPage keys(@PathVariable("a") String a, @RequestParam(name = "q", required = false) @Nullable String q,
      @RequestParam(name = "sort", defaultValue = "created") String sort,
      @RequestParam(name = "dir", defaultValue = "asc") String dir,
      @RequestParam(name = "after", required = false) @Nullable String after,
      @RequestParam(name = "size", defaultValue = "" + DEFAULT_KEYS_PAGE) int size) {
    KeyQuery query = query(q, sort, dir, after, size);
    return page(keys.keys(actors.current(), account(a), query));
  }

  @GetMapping("/keys/stale")
  @Attempt("review the unused API keys of this account")
  ApiJson.KeyPage staleKeys(@PathVariable("a") String a, @RequestParam(name = "days", defaultValue = "90") int days,
      @RequestParam(name = "after", required = false) @Nullable String after,
      @RequestParam(name = "size", defaultValue = "" + DEFAULT_KEYS_PAGE) int size) {
    if (days < 1 || days > MAX_STALE_DAYS) {
      throw InvalidRequestException.of("days", "must be between 1 and " + MAX_STALE_DAYS);
    }
    Instant since = keyseat.clock().instant().minus(Duration.ofDays(days));
    KeyQuery query = query(null, "lastUsed", "asc", after, size).withUnusedSince(since);
    return page(keys.keys(actors.current(), account(a), query));
  }

  @PostMapping(path = "/keys")
  @ResponseStatus(HttpStatus.CREATED)
  @Attempt("create API keys")
  ApiJson.Created createKeys(@PathVariable("a") String a, @RequestBody ApiJson.CreateKeys body) {
    NewKeys command = newKeys(body);
    List<IssuedKey> issued = keys.createKeys(actors.current(), account(a), command);
    return new ApiJson.Created(issued.stream().map(ApiJson.KeyWithSecret::of).toList());
  }

  /**
   * What a create would do, without writing: the licenses it needs and has, and in words why it
   * would be refused. The page disables CREATE with the reason.
   */
  @PostMapping(path = "/keys/preview")
  @Attempt("create API keys")
  ApiJson.Preview preview(@PathVariable("a") String a, @RequestBody ApiJson.CreateKeys body) {
    Actor actor = actors.current();
    AccountId account = account(a);
    NewKeys command = newKeys(body);
    List<ApiKey> table = keys.keys(actor, account); // R8: administrators only, as the create itself
    LicenseUsage usage = keys.licenseUsage(actor, account);
    Set<String> inAccount = keys.devices(actor, account).stream().map(Device::serial).collect(Collectors.toSet());
    Set<String> withKey = table.stream().map(ApiKey::deviceSerial).collect(Collectors.toSet());
    Set<String> seen = new HashSet<>();
    List<String> missing = new ArrayList<>();
    List<String> keyed = new ArrayList<>();
    List<String> repeated = new ArrayList<>();
    for (String s : command.serials()) {
      if (!seen.add(s)) {
        repeated.add(s);
      } else if (!inAccount.contains(s)) {
        missing.add(s);
      } else if (withKey.contains(s)) {
        keyed.add(s);
      }
    }
    int needed = seen.size();
    int available = usage.available();
    String devices = needed == 1 ? "This device needs 1 license" : "These " + needed + " devices need " + needed
        + " licenses";
    String free = available == 1 ? "1 is free" : available + " are free";
    String reason;
    boolean allowed = false;
    if (!repeated.isEmpty()) {
      reason = "Each device can be selected once; " + list(repeated) + (repeated.size() == 1 ? " is" : " are")
          + " selected twice.";
    } else if (!missing.isEmpty()) {
      reason = (missing.size() == 1 ? "Device " : "Devices ") + list(missing) + (missing.size() == 1 ? " is" : " are")
          + " not in this account.";
    } else if (!keyed.isEmpty()) {
      reason = (keyed.size() == 1 ? "Device " + list(keyed) + " already has a key" : "Devices " + list(keyed)
          + " already have keys") + "; regenerate or delete the existing key instead.";
    } else if (usage.overLimit()) {
      reason = "The account uses more licenses than it has (" + usage.used() + " of " + usage.total()
          + "); delete keys or ask your provider for more licenses.";
    } else if (needed > available) {
      reason = devices + "; " + free + ". Delete unused keys or ask your provider for more licenses.";
    } else {
      allowed = true;
      reason = devices + "; " + free + ".";
    }
    return new ApiJson.Preview(needed, available, allowed, reason);
  }

  @PostMapping("/keys/{k}/regenerate")
  @Attempt("regenerate API keys")
  ApiJson.KeyWithSecret regenerate(@PathVariable("a") String a, @PathVariable("k") String k,
      @RequestBody(required = false) ApiJson.@Nullable Regenerate body) {
    long seconds = body == null ? 0 : body.overlapSeconds();
    if (seconds < 0) {
      throw InvalidRequestException.of("overlapSeconds", "must be 0 (the old secret stops at once) or more");
    }
    IssuedKey issued = keys.regenerateKey(actors.current(), account(a), key(k), Duration.ofSeconds(seconds));
    return ApiJson.KeyWithSecret.of(issued);
  }

  @PatchMapping(path = "/keys/{k}")
  @Attempt("edit API keys")
  ApiJson.Key edit(@PathVariable("a") String a, @PathVariable("k") String k, @RequestBody ApiJson.EditKey body) {
    KeyEdit edit = new KeyEdit(body.label(), body.expiresAt(), Boolean.TRUE.equals(body.clearExpiry()),
        body.suspended(), body.rebindTo());
    if (edit.isEmpty()) {
      throw InvalidRequestException.of("body", "names nothing to change: send label, expiresAt, clearExpiry, "
          + "suspended or rebindTo");
    }
    return ApiJson.Key.of(keys.editKey(actors.current(), account(a), key(k), edit));
  }

  @DeleteMapping("/keys/{k}")
  @Attempt("delete API keys")
  ResponseEntity<Void> delete(@PathVariable("a") String a, @PathVariable("k") String k) {
    keys.deleteKey(actors.current(), account(a), key(k));
    return ResponseEntity.noContent().build();
  }

  @PostMapping("/keys/{k}/reveal")
  @Attempt("copy API keys")
  ApiJson.Revealed reveal(@PathVariable("a") String a, @PathVariable("k") String k) {
    return new ApiJson.Revealed(keys.revealSecret(actors.current(), account(a), key(k)).reveal());
  }

  @GetMapping("/keys/{k}/usage")
  @Attempt("see the usage of API keys")
  ApiJson.Days keyUsageDaily(@PathVariable("a") String a, @PathVariable("k") String k,
      @RequestParam(name = "days", defaultValue = "30") int days) {
    return new ApiJson.Days(keys.keyUsageDaily(actors.current(), account(a), key(k), days).stream()
        .map(ApiJson.Day::of).toList());
  }

  // ---------------------------------------------------------------- devices

  @GetMapping("/devices")
  @Attempt("see the devices of this account")
  ApiJson.DevicePage devices(@PathVariable("a") String a, @RequestParam(name = "q", required = false) @Nullable String q,
      @RequestParam(name = "page", defaultValue = "0") int page,
      @RequestParam(name = "size", defaultValue = "" + DEFAULT_DEVICES_PAGE) int size) {
    checkSize(size);
    if (page < 0) {
      throw InvalidRequestException.of("page", "must be 0 or more");
    }
    Actor actor = actors.current();
    AccountId account = account(a);
    List<Device> all = keys.devices(actor, account);
    String needle = q == null || q.isBlank() ? null : q.strip().toLowerCase(Locale.ROOT);
    List<Device> matching = needle == null ? all : all.stream().filter(d -> d.serial().toLowerCase(Locale.ROOT)
        .contains(needle) || d.name().toLowerCase(Locale.ROOT).contains(needle)
        || d.model().toLowerCase(Locale.ROOT).contains(needle)).toList();
    @Nullable Set<String> withKey = null;
    if (isAdmin(actor, account)) {
      withKey = keys.keys(actor, account).stream().map(ApiKey::deviceSerial).collect(Collectors.toSet());
    }
    long from = Math.min((long) page * size, matching.size());
    List<ApiJson.DeviceJson> items = new ArrayList<>();
    for (Device d : matching.subList((int) from, (int) Math.min(from + size, matching.size()))) {
      items.add(ApiJson.DeviceJson.of(d, withKey == null ? null : withKey.contains(d.serial())));
    }
    return new ApiJson.DevicePage(items, page, size, matching.size());
  }

  @PostMapping(path = "/devices")
  @SuppressWarnings("NullAway") // missing members become violations reported by the manager, with the others
  @ResponseStatus(HttpStatus.CREATED)
  @Attempt("add devices")
  ApiJson.DeviceJson associate(@PathVariable("a") String a, @RequestBody ApiJson.NewDeviceJson body) {
    Device d = keys.associateDevice(actors.current(), account(a),
        new NewDevice(body.serial(), body.name(), body.model() == null ? "" : body.model()));
    return ApiJson.DeviceJson.of(d, false);
  }

  @PatchMapping(path = "/devices/{s}")
  @SuppressWarnings("NullAway") // a missing name is a violation reported by the manager
  @Attempt("rename devices")
  ApiJson.DeviceJson rename(@PathVariable("a") String a, @PathVariable("s") String s, @RequestBody ApiJson.Rename body) {
    Device d = keys.renameDevice(actors.current(), account(a), s, body.name());
    return ApiJson.DeviceJson.of(d, null);
  }

  @DeleteMapping("/devices/{s}")
  @Attempt("remove devices")
  ResponseEntity<Void> dissociate(@PathVariable("a") String a, @PathVariable("s") String s) {
    keys.dissociateDevice(actors.current(), account(a), s);
    return ResponseEntity.noContent().build();
  }

  // ---------------------------------------------------------------- helpers

  private boolean isAdmin(Actor actor, AccountId account) {
    if (actor.isOperator()) {
      return false;
    }
    UserId me = actor.userId();
    return keys.members(actor, account).stream().anyMatch(m -> m.userId().equals(me) && m.role() == Role.ADMIN);
  }

  private NewKeys newKeys(ApiJson.CreateKeys body) {
    List<String> serials = body.serials();
    if (serials != null && serials.size() > properties.maxBatchSize()) {
      throw InvalidRequestException.of("serials", "names " + serials.size() + " devices; at most "
          + properties.maxBatchSize() + " can be sent at once");
    }
    // null members become violations of the command, reported together by the manager
    return new NewKeys(serials == null ? List.of() : serials, body.label() == null ? "" : body.label(),
        body.expiresAt());
  }

  private KeyQuery query(@Nullable String q, String sort, String dir, @Nullable String after, int size) {
    checkSize(size);
    KeySort column = switch (sort) {
      case "deviceName" -> KeySort.DEVICE_NAME;
      case "serial" -> KeySort.SERIAL;
      case "created" -> KeySort.CREATED;
      case "lastUsed" -> KeySort.LAST_USED;
      case "status" -> KeySort.STATUS;
      default -> throw InvalidRequestException.of("sort", "must be deviceName, serial, created, lastUsed or status");
    };
    boolean desc = switch (dir) {
      case "asc" -> false;
      case "desc" -> true;
      default -> throw InvalidRequestException.of("dir", "must be asc or desc");
    };
    return KeyQuery.first(size).withSearch(q).withSort(column, desc).withAfter(after == null || after.isEmpty()
        ? null : after);
  }

  private void checkSize(int size) {
    if (size < 1 || size > properties.maxPageSize()) {
      throw InvalidRequestException.of("size", "must be between 1 and " + properties.maxPageSize());
    }
  }

  private static ApiJson.KeyPage page(KeyPage page) {
    return new ApiJson.KeyPage(page.keys().stream().map(ApiJson.Key::of).toList(), page.next(), page.total());
  }

  private static String list(List<String> serials) {
    List<String> shown = serials.size() > 5 ? serials.subList(0, 5) : serials;
    return String.join(", ", new LinkedHashSet<>(shown)) + (serials.size() > 5 ? " and " + (serials.size() - 5)
        + " more" : "");
  }

  /** @throws InvalidRequestException naming {@code accountId} if malformed */
  private static AccountId account(String a) {
    return AccountId.of(a);
  }

  /** @throws InvalidRequestException naming {@code keyId} if malformed */
  private static KeyId key(String k) {
    return KeyId.of(k);
  }
}
