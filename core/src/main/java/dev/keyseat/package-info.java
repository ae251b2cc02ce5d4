/**
 * Keyseat: API keys for devices under a contracted pool of API licenses.
 *
 * <p>{@link dev.keyseat.Keyseat} is the entry point. {@link dev.keyseat.KeyManager} is the
 * management API used by portals: accounts and licenses (operator), members, devices and keys
 * (administrators), with the domain rules enforced on every call. {@link dev.keyseat.KeyValidator}
 * answers whether a presented key is good, as a {@link dev.keyseat.Verdict}. Refusals are
 * subtypes of {@link dev.keyseat.KeyseatException}. Secrets travel only as
 * {@link dev.keyseat.Secret}, whose {@code toString()} is redacted.
 */
@NullMarked
package dev.keyseat;

import org.jspecify.annotations.NullMarked;
