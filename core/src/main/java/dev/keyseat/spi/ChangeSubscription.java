package dev.keyseat.spi;

/**
 * A store's push notifications of committed changes, as returned by {@link
 * KeyStore#subscribeToChanges}. Closing it stops the notifications and releases what it holds (a
 * listening connection, a thread); it is idempotent.
 */
public interface ChangeSubscription extends AutoCloseable {

  /** Stops the notifications; idempotent, never throws. */
  @Override
  void close();
}
