/**
 * Validating presented keys: {@link dev.keyseat.validation.KeyValidator} answers whether a key is
 * good for a request, as a {@link dev.keyseat.validation.Verdict}, and never throws. Gateways use
 * the {@link dev.keyseat.validation.CachedKeyValidator}, configured by the
 * {@link dev.keyseat.validation.CachedKeyValidatorBuilder} that {@link
 * dev.keyseat.Keyseat#validator()} returns: it answers from an in-process cache kept coherent
 * through this JVM's commits and the store's change feed, fails closed when its view grows too
 * stale, counts usage and optionally rate-limits each key. Its seams for hosts and tests are small
 * interfaces: {@link dev.keyseat.validation.ValidatorMetrics}, {@link
 * dev.keyseat.validation.Ticker} and {@link dev.keyseat.validation.ValidatorScheduler}.
 *
 * <p>This package never calls the management API ({@link dev.keyseat.KeyManager}) and the
 * management API never calls it; {@link dev.keyseat.Keyseat} joins the two.
 */
@NullMarked
package dev.keyseat.validation;

import org.jspecify.annotations.NullMarked;
