package dev.keyseat.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyId;
import dev.keyseat.KeyManager;
import dev.keyseat.KeyQuery;
import dev.keyseat.Keyseat;
import dev.keyseat.LastAdminException;
import dev.keyseat.LicensesInUseException;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.VaultKeyMismatchException;
import dev.keyseat.inmemory.InMemoryKeyStore;
import dev.keyseat.spring.security.KeyseatActors;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/**
 * The problem types that a healthy store cannot cause on demand (the store failing, the last
 * administrator, a conflicting state, a changed vault key, a bug), through the controller and
 * {@link ApiProblems} with a KeyManager that refuses as told.
 */
class ApiProblemsTest {
  private final KeyManager keys = mock(KeyManager.class);
  private MockMvc mvc;

  @BeforeEach
  void setUp() {
    KeyseatWebProperties properties = new Binder(new MapConfigurationPropertySource())
        .bindOrCreate("keyseat.web", KeyseatWebProperties.class); // the defaults
    Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    KeyseatApiController controller = new KeyseatApiController(keys, keyseat,
        new KeyseatActors("ROLE_KEYSEAT_OPERATOR"), properties);
    mvc = MockMvcBuilders.standaloneSetup(controller).setControllerAdvice(new ApiProblems()).build();
    SecurityContextHolder.getContext().setAuthentication(
        UsernamePasswordAuthenticationToken.authenticated("alice", null, List.of()));
  }

  @AfterEach
  void signOut() {
    SecurityContextHolder.clearContext();
  }

  @Test
  void aStoreFailureIs503StoreUnavailableWithoutItsCause() throws Exception {
    when(keys.keys(any(Actor.class), any(AccountId.class), any(KeyQuery.class))).thenThrow(
        new StoreUnavailableException("SELECT key_id FROM keyseat_api_key failed: 08001", new SQLException("down")));
    MvcResult r = problem("/keyseat/api/accounts/acme/keys", 503, "store-unavailable");
    assertThat(r.getResponse().getContentAsString()).doesNotContain("SELECT").doesNotContain("08001")
        .contains("Try again in a moment.");
  }

  @Test
  void theLastAdministratorIs409LastAdmin() throws Exception {
    when(keys.members(any(Actor.class), any(AccountId.class))).thenThrow(new LastAdminException("user:alice is the "
        + "last admin of acme"));
    MvcResult r = problem("/keyseat/api/accounts/acme/members", 409, "last-admin");
    assertThat(r.getResponse().getContentAsString()).doesNotContain("user:alice");
  }

  @Test
  void anyOtherRefusalIs409Conflict() throws Exception {
    when(keys.licenseUsage(any(Actor.class), any(AccountId.class))).thenThrow(new LicensesInUseException("in use", 2));
    problem("/keyseat/api/accounts/acme/usage", 409, "conflict");
  }

  @Test
  void aChangedVaultKeyIs409SecretNotRetained() throws Exception {
    when(keys.keyUsageDaily(any(Actor.class), any(AccountId.class), any(KeyId.class), any(int.class)))
        .thenThrow(new VaultKeyMismatchException(KeyId.of("key_0000000000000000")));
    problem("/keyseat/api/accounts/acme/keys/key_0000000000000000/usage", 409, "secret-not-retained");
  }

  @Test
  void aBugIs500WithoutItsMessage() throws Exception {
    when(keys.members(any(Actor.class), any(AccountId.class))).thenThrow(new IllegalStateException("internal detail"));
    MvcResult r = problem("/keyseat/api/accounts/acme/members", 500, "server-error");
    assertThat(r.getResponse().getContentAsString()).doesNotContain("internal detail")
        .doesNotContain("IllegalStateException");
  }

  @Test
  void nobodySignedInIs401Unauthenticated() throws Exception {
    SecurityContextHolder.clearContext();
    problem("/keyseat/api/accounts/acme/members", 401, "unauthenticated");
  }

  private MvcResult problem(String path, int status, String slug) throws Exception {
    return mvc.perform(get(path)).andExpect(status().is(status))
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.type").value("https://keyseat.dev/problems/" + slug))
        .andExpect(jsonPath("$.status").value(status))
        .andExpect(jsonPath("$.instance").value(path)).andReturn();
  }
}
