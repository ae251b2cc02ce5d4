/**
 * Spring Security integration: {@link dev.keyseat.spring.security.KeyseatApiKeyConfigurer}
 * ({@code http.with(keyseat(), …)}) authenticates requests by API key into an
 * {@link dev.keyseat.spring.security.ApiKeyAuthentication} whose principal is an
 * {@link dev.keyseat.spring.security.ApiKeyPrincipal}, answering refusals as problem details
 * ({@link dev.keyseat.spring.security.Problems}); {@link dev.keyseat.spring.security.KeyseatActors}
 * gives portals the management {@link dev.keyseat.Actor} of the signed-in user.
 */
@NullMarked
package dev.keyseat.spring.security;

import org.jspecify.annotations.NullMarked;
