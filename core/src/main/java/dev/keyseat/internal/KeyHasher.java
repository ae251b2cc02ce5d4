package dev.keyseat.internal;

import dev.keyseat.spi.KeyHash;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * SHA-256 of a whole key, or HMAC-SHA256 under a host-supplied pepper. Thread-safe: each thread
 * keeps its own digest and buffers.
 */
public final class KeyHasher {
  private final byte @Nullable [] pepper;
  private final ThreadLocal<State> state;

  /** A digest for one thread: SHA-256, or HMAC-SHA256 under this hasher's pepper. Not thread-safe. */
  public static final class State {
    /** Exactly one of {@code sha} and {@code mac} is set. */
    private final @Nullable MessageDigest sha;
    private final @Nullable Mac mac;
    final byte[] input = new byte[64];

    State(byte @Nullable [] pepper) {
      try {
        if (pepper == null) {
          sha = MessageDigest.getInstance("SHA-256");
          mac = null;
        } else {
          sha = null;
          mac = Mac.getInstance("HmacSHA256");
          mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-256 / HmacSHA256 unavailable in this JVM", e);
      }
    }

    /** Hashes {@code in[offset..offset+n)} into {@code out[0..32)}. */
    void hash(byte[] in, int offset, int n, byte[] out) {
      try {
        if (sha != null) {
          sha.update(in, offset, n);
          sha.digest(out, 0, KeyHash.LENGTH);
        } else if (mac != null) {
          mac.update(in, offset, n);
          mac.doFinal(out, 0);
        } else {
          throw new IllegalStateException("a hasher state has neither digest");
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** @param pepper HMAC key of at least 16 bytes, or null for plain SHA-256 */
  public KeyHasher(byte @Nullable [] pepper) {
    if (pepper != null && pepper.length < 16) {
      throw new IllegalArgumentException("pepper must have at least 16 bytes");
    }
    this.pepper = pepper == null ? null : pepper.clone();
    this.state = ThreadLocal.withInitial(() -> new State(this.pepper));
  }

  /** @return whether a pepper is used */
  public boolean peppered() {
    return pepper != null;
  }

  /**
   * Hashes an ASCII key of at most 64 characters into {@code out[0..32)} without allocating.
   *
   * @param key a well-formed key
   * @param out at least 32 bytes
   */
  public void hashInto(CharSequence key, byte[] out) {
    State s = state.get();
    int n = key.length();
    if (n > s.input.length) {
      throw new IllegalArgumentException("key too long to hash");
    }
    for (int i = 0; i < n; i++) {
      s.input[i] = (byte) key.charAt(i);
    }
    s.hash(s.input, 0, n, out);
  }

  /**
   * @return a digest for the calling thread to keep and reuse, sparing the thread-local lookup of
   *     {@link #hashInto}
   */
  public State newState() {
    return new State(pepper);
  }

  /**
   * Hashes {@code in[offset..offset+n)} into {@code out[0..32)} without allocating.
   *
   * @param state a digest of this hasher, used by one thread only
   * @param in the key's ASCII bytes
   * @param offset where they start
   * @param n how many
   * @param out at least 32 bytes
   */
  public static void hashInto(State state, byte[] in, int offset, int n, byte[] out) {
    state.hash(in, offset, n, out);
  }

  /** @return the hash of a well-formed key */
  public KeyHash hash(CharSequence key) {
    byte[] out = new byte[KeyHash.LENGTH];
    hashInto(key, out);
    return KeyHash.of(out);
  }
}
