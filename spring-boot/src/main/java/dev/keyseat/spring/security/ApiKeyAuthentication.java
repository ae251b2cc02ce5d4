package dev.keyseat.spring.security;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A request authenticated by a valid API key. It holds no credentials: the key is dropped as soon
 * as it is validated.
 */
public final class ApiKeyAuthentication extends AbstractAuthenticationToken {
  private static final long serialVersionUID = 1L;

  /** The authority every key-authenticated request has. */
  public static final String AUTHORITY = "KEYSEAT_API_KEY";

  /** The key's account, device and id; never the key. */
  private final ApiKeyPrincipal principal;

  /** @param principal the key's account, device and id */
  public ApiKeyAuthentication(ApiKeyPrincipal principal) {
    super(List.of(new SimpleGrantedAuthority(AUTHORITY)));
    this.principal = principal;
    setAuthenticated(true);
  }

  /** @return always null: the key is not kept */
  @Override
  public @Nullable Object getCredentials() {
    return null;
  }

  /** @return the {@link ApiKeyPrincipal} */
  @Override
  public ApiKeyPrincipal getPrincipal() {
    return principal;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ApiKeyAuthentication a && a.principal.equals(principal);
  }

  @Override
  public int hashCode() {
    return principal.hashCode();
  }
}
