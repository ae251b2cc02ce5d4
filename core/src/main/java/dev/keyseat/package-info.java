/**
 * Keyseat: API keys for devices under a contracted pool of API licenses.
 *
 * <p>{@link dev.keyseat.Keyseat} is the entry point. {@link dev.keyseat.KeyManager} is the
 * management API used by portals: accounts and licenses (operator), members, devices and keys
 * (administrators), with the domain rules enforced on every call. {@link dev.keyseat.KeyValidator}
 * answers whether a presented key is good, as a {@link dev.keyseat.Verdict}; gateways use the
 * {@link dev.keyseat.CachedKeyValidator} from {@link dev.keyseat.Keyseat#validator()}, which
 * answers from an in-process cache kept coherent through commits and the store's change feed,
 * fails closed when its view grows too stale, counts usage and optionally rate-limits each key.
 * Its seams for hosts and tests are small interfaces: {@link dev.keyseat.ValidatorMetrics},
 * {@link dev.keyseat.Ticker} and {@link dev.keyseat.ValidatorScheduler}. Refusals are
 * subtypes of {@link dev.keyseat.KeyseatException}. Secrets travel only as
 * {@link dev.keyseat.Secret}, whose {@code toString()} is redacted.
 */
@NullMarked
package dev.keyseat;

import org.jspecify.annotations.NullMarked;
