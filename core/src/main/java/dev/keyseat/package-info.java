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
 * <p><b>Free text</b> (account, device and model names, key labels) must be <em>readable
 * text</em>, shown to an administrator as it reads: no bidirectional controls (U+202A–U+202E,
 * U+2066–U+2069, U+200E, U+200F, U+061C), no invisible characters (U+200B, U+200C, U+2060, U+FEFF;
 * the zero-width joiner U+200D only inside an emoji sequence such as 👩‍💻, between an emoji, skin
 * tone or U+FE0F and an emoji), no control characters except tab (so no ESC or newlines), no line
 * or paragraph separators (U+2028, U+2029), and not only spaces. Accents, CJK and emoji are kept.
 * Other text is refused with an {@link dev.keyseat.InvalidRequestException} naming the field and
 * the character.
 *
 * <p><b>Licenses</b>: an account may contract at most {@link dev.keyseat.Account#MAX_LICENSES}
 * (1,000,000) licenses in total; {@code createAccount} and {@code contractLicenses} refuse a total
 * above it.
 *
 * <p>Validating presented keys is the other path, in {@link dev.keyseat.validation}; the store SPI
 * is {@link dev.keyseat.spi}. Mechanisms live in the non-exported {@code dev.keyseat.internal}
 * packages.
 */
@NullMarked
package dev.keyseat;

import org.jspecify.annotations.NullMarked;
