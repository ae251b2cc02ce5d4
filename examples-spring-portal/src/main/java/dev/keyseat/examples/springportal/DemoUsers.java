package dev.keyseat.examples.springportal;

import dev.keyseat.Role;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.springframework.core.env.Environment;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;

/**
 * The portal's demo users, one per role of the demo account: alice (admin), bob (manager) and
 * carol (viewer). Each gets a random password at start, printed once, unless
 * {@code portal.demo-password} gives one for all of them (tests). Their role in the account lives
 * in Keyseat's store ({@link DemoAccount}); sign-in only proves who they are.
 */
@Component
public class DemoUsers {
  /**
   * A demo user.
   *
   * @param name user name, the Keyseat user id
   * @param role the role the demo account gives the user
   * @param description what the user does, for the start-up lines
   * @param password the password (plain, printed at start: a demo only)
   */
  public record DemoUser(String name, Role role, String description, String password) {}

  private final List<DemoUser> users;

  DemoUsers(Environment env) {
    String fixed = env.getProperty("portal.demo-password");
    SecureRandom random = new SecureRandom();
    users = List.of(
        new DemoUser("alice", Role.ADMIN, "administrator: manages API keys", password(fixed, random)),
        new DemoUser("bob", Role.MANAGER, "manager: associates and renames devices", password(fixed, random)),
        new DemoUser("carol", Role.VIEWER, "viewer: reads", password(fixed, random)));
  }

  private static String password(String fixed, SecureRandom random) {
    if (fixed != null && !fixed.isBlank()) {
      return fixed;
    }
    byte[] bytes = new byte[12];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** @return the demo users */
  public List<DemoUser> all() {
    return users;
  }

  /** @return the users for Spring Security, passwords hashed */
  List<UserDetails> userDetails() {
    PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
    return users.stream()
        .map(u -> User.withUsername(u.name()).password(encoder.encode(u.password())).roles("PORTAL_USER").build())
        .toList();
  }
}
