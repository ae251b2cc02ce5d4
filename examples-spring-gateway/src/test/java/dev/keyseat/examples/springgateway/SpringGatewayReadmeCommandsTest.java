package dev.keyseat.examples.springgateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.examples.ReadmeCommands;
import dev.keyseat.examples.ReadmeCommands.Child;
import dev.keyseat.examples.ReadmeCommands.ReadmeCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The README's "Examples" rows for {@code -pl examples-spring-gateway}, each started as a user
 * would start it, in a child JVM on this module's runtime class path (the table parser and the
 * child come from the examples module's {@link ReadmeCommands}).
 */
class SpringGatewayReadmeCommandsTest {
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration RUN_TO_END = Duration.ofSeconds(90);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();

  @TestFactory
  Stream<DynamicTest> everyGatewayCommandOfTheReadmeStartsAndAnswers() throws Exception {
    return ReadmeCommands.probeEach("examples-spring-gateway", Map.of(
        DeviceDataGatewayApplication.class.getName(), this::probeGateway,
        GatewayLoadDriver.class.getName(), this::probeLoadDriver));
  }

  /** The gateway on a free port: the printed key answers 200 in the path and in the header, a typo 401, another device 403. */
  private void probeGateway(ReadmeCommand command) throws Exception {
    List<String> args = ReadmeCommands.withFreePort(command, 2);
    try (Child child = Child.start(command.mainClass(), args)) {
      URI base = URI.create(child.awaitLine(Pattern.compile("gateway on (http://\\S+)"), STARTUP).group(1));
      String key = child.awaitLine(Pattern.compile("Demo key for AQ-1001 \\(shown once\\): (\\S+)"), STARTUP).group(1);

      HttpResponse<String> ok = get(URI.create(base + "/last-measurements/" + key + "/AQ-1001"), null);
      assertThat(ok.statusCode()).as("the printed key on its device, %s", child.describe()).isEqualTo(200);
      assertThat(ok.body()).contains("\"serial\":\"AQ-1001\"");
      assertThat(get(URI.create(base + "/last-measurements/AQ-1001"), key).statusCode()).as("key in the header")
          .isEqualTo(200);
      assertThat(get(URI.create(base + "/last-measurements/" + ReadmeCommands.typo(key) + "/AQ-1001"), null)
          .statusCode()).as("a mistyped key").isEqualTo(401);
      assertThat(get(URI.create(base + "/last-measurements/" + key + "/AQ-1002"), null).statusCode())
          .as("the key on another device").isEqualTo(403);
      child.stop();
    }
  }

  /** The load driver with 1 s phases: ends by itself with the comparison printed. */
  private void probeLoadDriver(ReadmeCommand command) throws Exception {
    assertThat(command.args()).as("`%s`: seconds per phase and client threads", command.text())
        .hasSizeLessThanOrEqualTo(2).allMatch(a -> a.matches("[1-9]\\d*"));
    try (Child child = Child.start(command.mainClass(), List.of("1", "2"))) {
      child.awaitExit(0, RUN_TO_END);
      assertThat(child.stdout()).as(child.describe())
          .containsPattern("(?m)^median: [\\d,]+ requests/s without, [\\d,]+ with");
    }
  }

  private HttpResponse<String> get(URI uri, String headerKey) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT).GET();
    if (headerKey != null) {
      b.header("X-API-Key", headerKey);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
