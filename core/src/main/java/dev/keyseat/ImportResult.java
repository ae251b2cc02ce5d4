package dev.keyseat;

import java.util.List;
import java.util.Objects;

/**
 * What {@link KeyManager#importKeys} did with one batch.
 *
 * @param imported the records imported now, in the order of the request
 * @param alreadyImported the records whose device already had exactly this key (an earlier run
 *     imported it): reported, not duplicated
 * @param devicesAssociated how many devices the import associated with the account
 */
public record ImportResult(List<ImportedKey> imported, List<ImportedKey> alreadyImported, int devicesAssociated) {
  /**
   * Copies the lists.
   *
   * @param imported the records imported now, in the order of the request
   * @param alreadyImported the records whose device already had exactly this key (an earlier run
   *     imported it): reported, not duplicated
   * @param devicesAssociated how many devices the import associated with the account
   */
  public ImportResult {
    imported = List.copyOf(Objects.requireNonNull(imported, "imported"));
    alreadyImported = List.copyOf(Objects.requireNonNull(alreadyImported, "alreadyImported"));
  }

  /**
   * One record of the batch and the key it is.
   *
   * @param index the record's position in the request, from 0
   * @param serial the device
   * @param keyId the key
   */
  public record ImportedKey(int index, String serial, KeyId keyId) {
    /**
     * Checks the components.
     *
     * @param index the record's position in the request, from 0
     * @param keyId the key
     * @param serial the device
     */
    public ImportedKey {
      Objects.requireNonNull(serial, "serial");
      Objects.requireNonNull(keyId, "keyId");
    }
  }
}
