package dev.keyseat.validation;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The answer to "is this key good for this request?". {@link Status#VALID} carries the account,
 * device and key id; {@link Status#RATE_LIMITED} carries the time to wait.
 *
 * @param status the verdict
 * @param accountId the key's account, for VALID (and, where known, other verdicts about a known key)
 * @param deviceSerial the key's device, likewise
 * @param keyId the key's public id, likewise
 * @param retryAfter for RATE_LIMITED: how long until a request may succeed
 */
public record Verdict(
    Status status,
    @Nullable AccountId accountId,
    @Nullable String deviceSerial,
    @Nullable KeyId keyId,
    @Nullable Duration retryAfter) {

  /** Kinds of verdict. */
  public enum Status {
    /** The key is good for the request. */
    VALID,
    /** Not a key of this format: wrong shape or checksum. Decided without hashing or lookup. */
    MALFORMED,
    /** Well-formed but not a current key. */
    UNKNOWN,
    /** A secret replaced by a regeneration. */
    REVOKED,
    /** The key is suspended. */
    SUSPENDED,
    /** The key is past its expiry. */
    EXPIRED,
    /** The key is bound to another device than the one the request names. */
    DEVICE_MISMATCH,
    /** The key's rate limit is exhausted; see {@link Verdict#retryAfter()}. */
    RATE_LIMITED,
    /** The store could not be consulted within the staleness bound; fail closed. */
    UNAVAILABLE
  }

  /** Shared verdict without key details. */
  public static final Verdict MALFORMED = new Verdict(Status.MALFORMED, null, null, null, null);
  /** Shared verdict without key details. */
  public static final Verdict UNKNOWN = new Verdict(Status.UNKNOWN, null, null, null, null);
  /** Shared verdict without key details. */
  public static final Verdict UNAVAILABLE = new Verdict(Status.UNAVAILABLE, null, null, null, null);

  /**
   * Checks that the status is present.
   *
   * @param status the verdict
   * @param accountId the key's account, for VALID (and, where known, other verdicts about a known key)
   * @param deviceSerial the key's device, likewise
   * @param keyId the key's public id, likewise
   * @param retryAfter for RATE_LIMITED: how long until a request may succeed
   */
  public Verdict {
    Objects.requireNonNull(status, "status");
  }

  /**
   * @param status the status
   * @param accountId the account
   * @param deviceSerial the device's serial number
   * @param keyId the key
   * @return a verdict of {@code status} about a known key
   */
  public static Verdict of(Status status, AccountId accountId, String deviceSerial, KeyId keyId) {
    return new Verdict(status, accountId, deviceSerial, keyId, null);
  }

  /** @return whether the key is good for the request */
  public boolean isValid() {
    return status == Status.VALID;
  }

  /**
   * @param other the other hash
   * @return this verdict with another status, keeping the key details
   */
  public Verdict withStatus(Status other) {
    return new Verdict(other, accountId, deviceSerial, keyId, null);
  }
}
