package dev.keyseat.internal.validation;

import dev.keyseat.validation.CachedKeyValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cached validators one {@code Keyseat} built and that are still open, so that closing the
 * {@code Keyseat} closes each. A validator closed on its own is forgotten at once, so that a
 * long-lived {@code Keyseat} holds no closed validators. Thread-safe.
 */
public final class OpenValidators {
  private static final Logger log = LoggerFactory.getLogger(OpenValidators.class);
  private final Set<CachedKeyValidator> open = ConcurrentHashMap.newKeySet();
  private boolean closed; // guarded by this

  /** Creates an empty set, open for new validators. */
  public OpenValidators() {}

  /**
   * Tracks a validator just built.
   *
   * @param validator the running validator
   * @throws IllegalStateException if {@link #closeAll()} ran already; the validator is then closed
   */
  void add(CachedKeyValidator validator) {
    synchronized (this) {
      if (!closed) {
        open.add(validator);
        return;
      }
    }
    quietlyClose(validator);
    throw new IllegalStateException("this Keyseat is closed: it builds no more validators");
  }

  /** @param validator a validator that closed itself, no longer tracked */
  void forget(CachedKeyValidator validator) {
    open.remove(validator);
  }

  /** @return the number of validators built and not closed yet */
  public int size() {
    return open.size();
  }

  /** Closes every tracked validator and refuses new ones. Idempotent; never throws. */
  public void closeAll() {
    List<CachedKeyValidator> toClose;
    synchronized (this) {
      closed = true;
      toClose = new ArrayList<>(open);
    }
    for (CachedKeyValidator v : toClose) {
      quietlyClose(v);
      open.remove(v);
    }
  }

  private static void quietlyClose(CachedKeyValidator v) {
    try {
      v.close();
    } catch (RuntimeException | Error e) {
      // CachedKeyValidator.close() never throws; a foreign failure must not stop the others closing
      log.warn("could not close a validator: {}", e.toString());
    }
  }
}
