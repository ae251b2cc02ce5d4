package dev.keyseat.spring.web;

import dev.keyseat.ApiKey;
import dev.keyseat.AuditEntry;
import dev.keyseat.DailyUsage;
import dev.keyseat.Device;
import dev.keyseat.IssuedKey;
import dev.keyseat.LicenseUsage;
import dev.keyseat.Member;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON bodies of the REST API (WEB-API contract), as records that Jackson writes and reads.
 * Bodies that carry a secret hide it from {@code toString()}, which frameworks log at debug level.
 */
final class ApiJson {
  private ApiJson() {}

  /** A row of the keys table; {@code hint} is the non-secret prefix and last characters. */
  record Key(String id, String deviceSerial, String deviceName, String label, String hint, Instant createdAt,
      @Nullable Instant regeneratedAt, @Nullable Instant expiresAt, @Nullable Instant lastUsedAt, long useCount,
      String status) {
    static Key of(ApiKey k) {
      return new Key(k.id().value(), k.deviceSerial(), k.deviceName(), k.label(), k.hint(), k.createdAt(),
          k.regeneratedAt(), k.expiresAt(), k.lastUsedAt(), k.useCount(), k.status().name());
    }
  }

  /** A page of the keys table. */
  record KeyPage(List<Key> items, @Nullable String next, long total) {}

  /** A key with its secret: only in create, regenerate (and, as {@link Revealed}, reveal) responses. */
  record KeyWithSecret(Key key, String secret) {
    static KeyWithSecret of(IssuedKey issued) {
      return new KeyWithSecret(Key.of(issued.key()), issued.secret().reveal());
    }

    @Override
    public String toString() {
      return "KeyWithSecret[key=" + key.id() + ", secret=<hidden>]";
    }
  }

  /** The response of a create. */
  record Created(List<KeyWithSecret> keys) {}

  /** The response of a reveal. */
  record Revealed(String secret) {
    @Override
    public String toString() {
      return "Revealed[secret=<hidden>]";
    }
  }

  /** The request of a create or its preview. */
  record CreateKeys(@Nullable List<String> serials, @Nullable String label, @Nullable Instant expiresAt) {}

  /** The answer of a preview: whether the create would be allowed, and why not. */
  record Preview(int needed, int available, boolean allowed, String reason) {}

  /** The request of a regenerate; no body is an overlap of 0. */
  record Regenerate(long overlapSeconds) {}

  /** The request of an edit: each member present changes that part of the key. */
  record EditKey(@Nullable String label, @Nullable Instant expiresAt, @Nullable Boolean clearExpiry,
      @Nullable Boolean suspended, @Nullable String rebindTo) {}

  /** Who is signed in, and what they may do in the account. */
  record Me(String user, String role, String account, boolean vault) {}

  /** License usage (R3). */
  record Usage(int used, int available, int total, int ending, @Nullable Instant nextEnd) {
    static Usage of(LicenseUsage u) {
      return new Usage(u.used(), u.available(), u.total(), u.ending(), u.nextEnd());
    }
  }

  /** One day of a usage chart. */
  record Day(LocalDate date, long count) {
    static Day of(DailyUsage d) {
      return new Day(d.date(), d.count());
    }
  }

  /** A usage chart: exactly the days asked for, oldest first. */
  record Days(List<Day> days) {}

  /** A device; {@code hasKey} is null for members who may not see keys. */
  record DeviceJson(String serial, String name, String model, Instant associatedAt, @Nullable Boolean hasKey) {
    static DeviceJson of(Device d, @Nullable Boolean hasKey) {
      return new DeviceJson(d.serial(), d.name(), d.model(), d.associatedAt(), hasKey);
    }
  }

  /** A page of devices. */
  record DevicePage(List<DeviceJson> items, int page, int size, long total) {}

  /** The request of an associate. */
  record NewDeviceJson(@Nullable String serial, @Nullable String name, @Nullable String model) {}

  /** The request of a rename. */
  record Rename(@Nullable String name) {}

  /** A member. */
  record MemberJson(String user, String role) {
    static MemberJson of(Member m) {
      return new MemberJson(m.userId().value(), m.role().name());
    }
  }

  /** The members. */
  record Members(List<MemberJson> items) {}

  /** An audit entry (R12); never holds a secret. */
  record AuditJson(long sequence, Instant at, String actor, String action, @Nullable String keyId,
      @Nullable String deviceSerial, String outcome, String detail) {
    static AuditJson of(AuditEntry e) {
      return new AuditJson(e.sequence(), e.at(), e.actor(), e.action().name(),
          e.keyId() == null ? null : e.keyId().value(), e.deviceSerial(), e.outcome().name(), e.detail());
    }
  }

  /** A page of the audit log, newest first; {@code next} is the {@code before} of the next page. */
  record AuditPage(List<AuditJson> items, @Nullable Long next) {}

  /** One refused field of an invalid request. */
  record FieldError(String field, String message) {}
}
