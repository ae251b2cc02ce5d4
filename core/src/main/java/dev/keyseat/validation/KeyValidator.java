package dev.keyseat.validation;

/**
 * Answers whether a presented API key is good. Never throws, whatever the input: null, empty,
 * huge, non-ASCII and control characters are {@link Verdict.Status#MALFORMED}.
 */
public interface KeyValidator {

  /**
   * @param key the presented key, any string or null
   * @return the verdict
   */
  Verdict validate(String key);

  /**
   * @param key the presented key
   * @param deviceSerial the device the request is about; a key bound to another device is
   *     {@link Verdict.Status#DEVICE_MISMATCH}
   * @return the verdict
   */
  Verdict validate(String key, String deviceSerial);
}
