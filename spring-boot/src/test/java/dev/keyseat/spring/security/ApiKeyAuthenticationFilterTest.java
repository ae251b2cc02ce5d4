package dev.keyseat.spring.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.validation.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.util.pattern.PathPatternParser;

/** Every verdict through the filter, with a validator that answers what the test says. */
class ApiKeyAuthenticationFilterTest {
  private static final String KEY = "ks_presentedKeyThatMustNeverBeEchoed";
  private final List<String> seen = new ArrayList<>();
  private Verdict answer;

  private final KeyValidator stub = new KeyValidator() {
    @Override
    public Verdict validate(String key) {
      seen.add(key + "|");
      return answer;
    }

    @Override
    public Verdict validate(String key, String deviceSerial) {
      seen.add(key + "|" + deviceSerial);
      return answer;
    }
  };

  private final ApiKeyAuthenticationFilter filter = new ApiKeyAuthenticationFilter(stub,
      SecurityContextHolder.getContextHolderStrategy(), "X-API-Key", true,
      List.of(PathPatternParser.defaultInstance.parse("/last-measurements/{apiKey}/{serial}")),
      List.of(PathPatternParser.defaultInstance.parse("/v2/last-measurements/{serial}")), "apiKey", "serial");

  @ParameterizedTest
  @EnumSource(value = Verdict.Status.class, names = "VALID", mode = EnumSource.Mode.EXCLUDE)
  void everyRefusalIsAProblemWithItsStatusAndNeverTheKey(Verdict.Status status) throws Exception {
    answer = status == Verdict.Status.RATE_LIMITED
        ? new Verdict(status, AccountId.of("acme"), "AQ-1", KeyId.of("key_abcdefgh12"), Duration.ofMillis(1500))
        : new Verdict(status, null, null, null, null);
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/anything");
    request.addHeader("X-API-Key", KEY);
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();

    filter.doFilter(request, response, chain);

    int expected = switch (status) {
      case MALFORMED, UNKNOWN, REVOKED -> 401;
      case SUSPENDED, EXPIRED, DEVICE_MISMATCH -> 403;
      case RATE_LIMITED -> 429;
      case UNAVAILABLE -> 503;
      case VALID -> 200;
    };
    assertThat(response.getStatus()).isEqualTo(expected);
    assertThat(response.getContentType()).startsWith("application/problem+json");
    assertThat(response.getContentAsString()).contains("\"status\":" + expected)
        .contains("\"verdict\":\"" + status + "\"").doesNotContain(KEY).doesNotContain("ks_");
    assertThat(chain.getRequest()).as("the request does not go on").isNull();
    if (status == Verdict.Status.RATE_LIMITED) {
      assertThat(response.getHeader("Retry-After")).isEqualTo("2");
    }
  }

  @Test
  void aValidKeyAuthenticatesWithAccountDeviceAndKeyIdAndKeepsNoCredentials() throws Exception {
    answer = Verdict.of(Verdict.Status.VALID, AccountId.of("acme"), "AQ-1", KeyId.of("key_abcdefgh12"));
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/last-measurements/" + KEY + "/AQ-1");
    request.setRequestURI("/last-measurements/" + KEY + "/AQ-1");
    MockHttpServletResponse response = new MockHttpServletResponse();
    var principal = new ApiKeyPrincipal[1];
    filter.doFilter(request, response, (req, res) -> {
      var auth = (ApiKeyAuthentication) SecurityContextHolder.getContext().getAuthentication();
      principal[0] = auth.getPrincipal();
      assertThat(auth.getCredentials()).isNull();
      assertThat(auth.toString()).doesNotContain(KEY);
    });
    SecurityContextHolder.clearContext();

    assertThat(principal[0]).isEqualTo(new ApiKeyPrincipal(AccountId.of("acme"), "AQ-1", KeyId.of("key_abcdefgh12")));
    assertThat(seen).containsExactly(KEY + "|AQ-1");
  }

  @Test
  void theDeviceOfAHeaderKeyComesFromTheDevicePathAndABearerTokenIsRead() throws Exception {
    answer = Verdict.of(Verdict.Status.VALID, AccountId.of("acme"), "AQ-9", KeyId.of("key_abcdefgh12"));
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v2/last-measurements/AQ-9");
    request.addHeader("Authorization", "Bearer " + KEY);
    filter.doFilter(request, new MockHttpServletResponse(), new MockFilterChain());
    SecurityContextHolder.clearContext();

    assertThat(seen).containsExactly(KEY + "|AQ-9");
  }

  @Test
  void aRequestWithoutAKeyGoesOnUnauthenticated() throws Exception {
    MockFilterChain chain = new MockFilterChain();
    filter.doFilter(new MockHttpServletRequest("GET", "/actuator/health"), new MockHttpServletResponse(), chain);

    assertThat(chain.getRequest()).isNotNull();
    assertThat(seen).isEmpty();
    assertThat(SecurityContextHolder.getContext().getAuthentication()).isNull();
  }
}
