/**
 * The REST API and "API Keys" page, opt-in with {@code keyseat.web.enabled=true}
 * ({@link dev.keyseat.spring.web.KeyseatWebAutoConfiguration}, settings in
 * {@link dev.keyseat.spring.web.KeyseatWebProperties}): JSON endpoints under
 * {@code {base}/api/accounts/{account}/…} for the keys table, create (with a preview that says why
 * a create would be refused), regenerate, edit, delete, reveal, usage charts, devices, members and
 * the audit log, each a thin call of the {@link dev.keyseat.KeyManager} as the signed-in user; every
 * refusal an RFC 9457 problem with a stable {@code type}; an OpenAPI 3 description; the page's
 * static files; and a guard that refuses foreign Host headers (DNS rebinding) and oversized bodies.
 * {@link dev.keyseat.spring.web.KeyseatWeb} shows the Spring Security configuration a portal adds.
 */
@NullMarked
package dev.keyseat.spring.web;

import org.jspecify.annotations.NullMarked;
