/**
 * Suites that prove a {@link dev.keyseat.spi.KeyStore}: extend the abstract JUnit 5 classes here
 * from your store's tests and supply a fresh store. Every store shipped with Keyseat passes them
 * unchanged.
 *
 * <p>{@link dev.keyseat.testkit.CachedValidatorContract} states what the cached validator promises
 * over a store. Its tools are usable on their own: {@link dev.keyseat.testkit.MutableClock} and
 * {@link dev.keyseat.testkit.ManualScheduler} move time and run a validator's background tasks by
 * hand; {@link dev.keyseat.testkit.InstrumentedKeyStore} (a {@link
 * dev.keyseat.testkit.ForwardingKeyStore}) counts store calls and fails them on demand;
 * {@link dev.keyseat.testkit.ForwardingKeyStore} passes every call through, the one base for tests
 * and benchmarks that change a few calls (or wrap every transaction);
 * {@link dev.keyseat.testkit.RecordingValidatorMetrics} keeps every metric;
 * {@link dev.keyseat.testkit.TestKeys} makes well-formed keys no store issued.
 */
package dev.keyseat.testkit;
