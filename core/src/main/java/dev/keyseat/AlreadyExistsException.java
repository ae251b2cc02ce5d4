package dev.keyseat;

import java.util.List;

/**
 * The account, member or device serial to be created exists already (device serials are unique
 * platform-wide).
 */
public final class AlreadyExistsException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** The ids that exist already. */
  private final List<String> ids;

  /** @param message what exists already */
  public AlreadyExistsException(String message) {
    this(message, List.of());
  }

  /**
   * @param message what exists already, naming each id
   * @param ids the ids that exist already, e.g. each device serial of a batch that is associated
   *     already
   */
  public AlreadyExistsException(String message, List<String> ids) {
    super(message);
    this.ids = List.copyOf(ids);
  }

  /**
   * @return the ids that exist already where the call names them one by one (as {@link
   *     KeyManager#associateDevices} does), else empty
   */
  public List<String> ids() {
    return ids;
  }
}
