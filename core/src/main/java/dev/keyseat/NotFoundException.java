package dev.keyseat;

import java.util.List;

/** An account, member, device or key named in the request does not exist (in that account). */
public final class NotFoundException extends KeyseatException {
  private static final long serialVersionUID = 1L;
  /** What was not found, e.g. "device". */
  private final String kind;
  /** The ids that were not found. */
  private final List<String> ids;

  /**
   * @param kind what was looked for, e.g. "device"
   * @param ids the ids that were not found
   */
  public NotFoundException(String kind, List<String> ids) {
    super(kind + (ids.size() == 1 ? " not found: " : "s not found: ") + String.join(", ", ids));
    this.kind = kind;
    this.ids = List.copyOf(ids);
  }

  /**
   * One missing thing.
   *
   * @param kind what was not found, e.g. "device"
   * @param id the id that was looked up
   * @return the exception
   */
  public static NotFoundException of(String kind, Object id) {
    return new NotFoundException(kind, List.of(String.valueOf(id)));
  }

  /** @return what was looked for */
  public String kind() {
    return kind;
  }

  /** @return the ids not found */
  public List<String> ids() {
    return ids;
  }
}
