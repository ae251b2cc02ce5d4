package dev.keyseat.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Well-formed keys that no store issued: right prefix, body and checksum, so a validator must hash
 * and look them up. For flood and negative-cache tests.
 */
public final class TestKeys {
  private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final int BODY = 27;
  private static final int CHECKSUM = 6;

  private TestKeys() {}

  /**
   * @param prefix the key prefix (Keyseat's default is {@code ks})
   * @param random the source of the body
   * @return {@code <prefix>_<27 base62><6 base62 CRC32 of prefix+body>}
   */
  public static String wellFormed(String prefix, Random random) {
    StringBuilder body = new StringBuilder(BODY);
    for (int i = 0; i < BODY; i++) {
      body.append(BASE62.charAt(random.nextInt(62)));
    }
    CRC32 crc = new CRC32();
    crc.update((prefix + body).getBytes(StandardCharsets.US_ASCII));
    long value = crc.getValue();
    char[] checksum = new char[CHECKSUM];
    for (int i = CHECKSUM - 1; i >= 0; i--) {
      checksum[i] = BASE62.charAt((int) (value % 62));
      value /= 62;
    }
    return prefix + "_" + body + new String(checksum);
  }
}
