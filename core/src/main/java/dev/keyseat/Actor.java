package dev.keyseat;

/**
 * Who is calling the management API. A user's role is looked up in the store for every call and
 * never trusted from the caller; the operator is the platform provider's staff.
 *
 * @param kind user or operator
 * @param id the user id, or the operator's name
 */
public record Actor(Kind kind, String id) {

  /** The two kinds of caller. */
  public enum Kind {
    /** A user of a customer account. */
    USER,
    /** The platform provider's staff: creates accounts, contracts and cancels licenses. */
    OPERATOR
  }

  /**
   * @param kind user or operator
   * @param id the user id, or the operator's name
   * @throws InvalidRequestException if kind or id is missing
   */
  public Actor {
    if (kind == null) {
      throw InvalidRequestException.of("actor.kind", "must not be null");
    }
    if (kind == Kind.USER) {
      id = new UserId(id).value();
    } else if (id == null || id.isBlank() || id.length() > 200) {
      throw InvalidRequestException.of("actor.id", "must be 1-200 characters");
    } else if (Constraints.containsKey(id)) {
      throw InvalidRequestException.of("actor.id", Constraints.NO_KEY_MESSAGE);
    }
  }

  /**
   * A user of a customer account.
   *
   * @param userId the user's id
   * @return the actor
   */
  public static Actor user(String userId) {
    return new Actor(Kind.USER, userId);
  }

  /**
   * A user of a customer account.
   *
   * @param userId the user's id
   * @return the actor
   */
  // A null from a caller that NullAway does not check is refused by the constructor with an
  // InvalidRequestException (as for user(String)), not with a NullPointerException here.
  @SuppressWarnings("NullAway")
  public static Actor user(UserId userId) {
    return new Actor(Kind.USER, userId == null ? null : userId.value());
  }

  /**
   * The platform operator, named for the audit log.
   *
   * @param name the operator's name, for the audit log
   * @return the actor
   */
  public static Actor operator(String name) {
    return new Actor(Kind.OPERATOR, name);
  }

  /** @return whether this is the platform operator */
  public boolean isOperator() {
    return kind == Kind.OPERATOR;
  }

  /** @return the user id; only for {@link Kind#USER} */
  public UserId userId() {
    if (kind != Kind.USER) {
      throw new IllegalStateException("the operator has no user id");
    }
    return new UserId(id);
  }

  @Override
  public String toString() {
    return (kind == Kind.USER ? "user:" : "operator:") + id;
  }
}
