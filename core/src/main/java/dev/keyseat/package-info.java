/**
 * Keyseat: API keys for devices under a contracted pool of API licenses.
 *
 * <p>{@link dev.keyseat.Keyseat} is the entry point. {@link dev.keyseat.KeyManager} is the
 * management API used by portals: accounts and licenses (operator), members, devices and keys
 * (administrators), with the domain rules R1–R13 enforced on every call (each check names its rule
 * in the code). Refusals are subtypes of {@link dev.keyseat.KeyseatException}. Secrets travel only
 * as {@link dev.keyseat.Secret}, whose {@code toString()} is redacted; {@link
 * dev.keyseat.SecretVault} seals them for "copy".
 *
 * <p>Validating presented keys is the other path, in {@link dev.keyseat.validation}; the store SPI
 * is {@link dev.keyseat.spi}. Mechanisms live in the non-exported {@code dev.keyseat.internal}
 * packages.
 */
@NullMarked
package dev.keyseat;

import org.jspecify.annotations.NullMarked;
