/**
 * {@link dev.keyseat.inmemory.InMemoryKeyStore}: a thread-safe {@link dev.keyseat.spi.KeyStore}
 * in the JVM's heap, writers serialized per account, all or nothing. For tests, demos and single
 * nodes; state is lost when the JVM ends.
 */
@NullMarked
package dev.keyseat.inmemory;

import org.jspecify.annotations.NullMarked;
