/**
 * Suites that prove a {@link dev.keyseat.spi.KeyStore}: extend the abstract JUnit 5 classes here
 * from your store's tests and supply a fresh store. Every store shipped with Keyseat passes them
 * unchanged.
 */
package dev.keyseat.testkit;
