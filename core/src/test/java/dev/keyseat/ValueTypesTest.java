package dev.keyseat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Function;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ValueTypesTest {

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "has space", "acme!", "é", "a\nb", "a.b",
      "12345678901234567890123456789012345678901234567890123456789012345"})
  void accountIdsRefuseBadInput(String value) {
    assertRefused(() -> AccountId.of(value), "accountId");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "acme", "ACME_2-x", "1234567890123456789012345678901234567890123456789012345678901234"})
  void accountIdsAcceptTheDocumentedShape(String value) {
    assertThat(AccountId.of(value).value()).isEqualTo(value);
    assertThat(AccountId.of(value).toString()).isEqualTo(value);
  }

  @Test
  void accountIdsOrderByValue() {
    assertThat(AccountId.of("a").compareTo(AccountId.of("b"))).isNegative();
    assertThat(AccountId.of("a")).isEqualTo(AccountId.of("a"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "key_", "key_short", "KEY_AAAAAAAAAAAAAAAA", "key_AAAAAAAA-AAAAAAA",
      "key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "ks_AAAAAAAAAAAAAAAA", "key_AAAAAAAAAAAAAAAA "})
  void keyIdsRefuseBadInput(String value) {
    assertRefused(() -> KeyId.of(value), "keyId");
  }

  /** Well-formed ids: a key id of the generated shape, a user id of printable characters. */
  static Stream<Arguments> wellFormedIds() {
    return Stream.of(
        Arguments.of("key_0123456789abcdef", (Function<String, Object>) KeyId::of),
        Arguments.of("alice@example.com", (Function<String, Object>) UserId::of));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wellFormedIds")
  void wellFormedIdsAreAcceptedAndKeepTheirText(String text, Function<String, Object> of) {
    assertThat(of.apply(text).toString()).isEqualTo(text);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "al ice", "alice\n", "\talice", "\u0000"})
  void userIdsRefuseBadInput(String value) {
    assertRefused(() -> UserId.of(value), "userId");
  }

  @Test
  void usersAreActorsWithAUserId() {
    Actor alice = Actor.user("alice");
    assertThat(alice.isOperator()).isFalse();
    assertThat(alice.userId()).isEqualTo(UserId.of("alice"));
    assertThat(alice).isEqualTo(Actor.user(UserId.of("alice")));
    assertThat(alice.toString()).isEqualTo("user:alice");
  }

  @Test
  void theOperatorIsAnActorWithoutUserId() {
    Actor ops = Actor.operator("ops team");
    assertThat(ops.isOperator()).isTrue();
    assertThat(ops.toString()).isEqualTo("operator:ops team");
    assertThatThrownBy(ops::userId).isInstanceOf(IllegalStateException.class);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "al ice", "alice\n"})
  void usersWithBadIdsAreRefused(String id) {
    assertRefused(() -> Actor.user(id), "userId");
  }

  @Test
  void aUserActorFromANullUserIdIsRefused() {
    assertThatThrownBy(() -> Actor.user((UserId) null)).isInstanceOf(InvalidRequestException.class);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "\t"})
  void operatorsWithoutANameAreRefused(String name) {
    assertRefused(() -> Actor.operator(name), "actor.id");
  }

  /** The texts limited to 200 characters: a user id and an operator's name. */
  static Stream<Arguments> textsLimitedTo200Characters() {
    return Stream.of(
        Arguments.of("user id", (Function<String, String>) u -> UserId.of(u).value()),
        Arguments.of("operator name", (Function<String, String>) o -> Actor.operator(o).id()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("textsLimitedTo200Characters")
  void textsAreLimitedTo200Characters(String what, Function<String, String> create) {
    assertThat(create.apply("x".repeat(200))).as(what).hasSize(200);
    assertThatThrownBy(() -> create.apply("x".repeat(201))).as(what).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void anActorNeedsAKind() {
    assertRefused(() -> new Actor(null, "alice"), "actor.kind");
  }

  @Test
  void anInvalidRequestNamesEveryViolationInItsMessage() {
    InvalidRequestException e = new InvalidRequestException(java.util.List.of(
        new InvalidRequestException.Violation("a", "must be x"),
        new InvalidRequestException.Violation("b", "must be y")));
    assertThat(e.getMessage()).isEqualTo("invalid request: a must be x; b must be y");
    assertThatThrownBy(() -> new InvalidRequestException(java.util.List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void licenseUsageKeepsConservation() {
    LicenseUsage u = LicenseUsage.of(3, 5);
    assertThat(u.available()).isEqualTo(2);
    assertThat(u.overLimit()).isFalse();
    LicenseUsage over = LicenseUsage.of(5, 3);
    assertThat(over.available()).isZero();
    assertThat(over.overLimit()).isTrue();
    assertThatThrownBy(() -> new LicenseUsage(3, 3, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Asserts that {@code call} is refused as an invalid request naming exactly {@code field}. */
  private static void assertRefused(ThrowingCallable call, String field) {
    assertThatThrownBy(call).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.violations()).extracting(InvalidRequestException.Violation::field).containsExactly(field));
  }
}
