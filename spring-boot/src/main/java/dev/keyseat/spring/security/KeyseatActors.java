package dev.keyseat.spring.security;

import dev.keyseat.Actor;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The management {@link Actor} of an authenticated user, for portals that call the
 * {@link dev.keyseat.KeyManager}: {@code Actor.operator(name)} for a user with the operator
 * authority ({@code keyseat.security.operator-authority}, {@code ROLE_KEYSEAT_OPERATOR} by
 * default), otherwise {@code Actor.user(name)}, whose role Keyseat then reads from the store.
 * Controllers may also declare an {@code Actor} parameter, resolved the same way.
 */
public final class KeyseatActors {
  private final String operatorAuthority;

  /** @param operatorAuthority the authority that makes a user the operator */
  public KeyseatActors(String operatorAuthority) {
    this.operatorAuthority = Objects.requireNonNull(operatorAuthority, "operatorAuthority");
  }

  /**
   * @param authentication an authenticated user
   * @return the actor
   * @throws org.springframework.security.authentication.AuthenticationCredentialsNotFoundException
   *     if nobody (or an anonymous or API-key caller) is authenticated
   */
  public Actor of(@Nullable Authentication authentication) {
    if (authentication == null || !authentication.isAuthenticated()
        || authentication instanceof AnonymousAuthenticationToken || authentication instanceof ApiKeyAuthentication) {
      throw new org.springframework.security.authentication.AuthenticationCredentialsNotFoundException(
          "managing keys needs a signed-in user");
    }
    for (GrantedAuthority a : authentication.getAuthorities()) {
      if (operatorAuthority.equals(a.getAuthority())) {
        return Actor.operator(authentication.getName());
      }
    }
    return Actor.user(authentication.getName());
  }

  /** @return the actor of the current request's user */
  public Actor current() {
    return of(SecurityContextHolder.getContext().getAuthentication());
  }
}
