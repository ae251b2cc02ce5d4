package dev.keyseat.spring.security;

import dev.keyseat.AccountId;
import dev.keyseat.KeyId;
import dev.keyseat.validation.Verdict;
import java.security.Principal;
import java.util.Objects;

/**
 * Who a request authenticated by API key is: the key's account, device and public key id, never
 * the key itself. Inject it with {@code @AuthenticationPrincipal ApiKeyPrincipal principal}.
 *
 * @param accountId the key's account
 * @param deviceSerial the device the key is bound to
 * @param keyId the key's public id (safe to log)
 */
public record ApiKeyPrincipal(AccountId accountId, String deviceSerial, KeyId keyId) implements Principal {

  /**
   * Checks that every part is present.
   *
   * @param accountId the account
   * @param deviceSerial the device the key is bound to
   * @param keyId the key's public id (safe to log)
   */
  public ApiKeyPrincipal {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(deviceSerial, "deviceSerial");
    Objects.requireNonNull(keyId, "keyId");
  }

  /**
   * @param valid a valid verdict, which names the key's account, device and id
   * @return the principal of that key
   * @throws NullPointerException if the verdict lacks one of them (an invalid verdict)
   */
  static ApiKeyPrincipal of(Verdict valid) {
    return new ApiKeyPrincipal(Objects.requireNonNull(valid.accountId(), "accountId"),
        Objects.requireNonNull(valid.deviceSerial(), "deviceSerial"), Objects.requireNonNull(valid.keyId(), "keyId"));
  }

  /** @return the key id, which identifies the key without revealing it */
  @Override
  public String getName() {
    return keyId.value();
  }
}
