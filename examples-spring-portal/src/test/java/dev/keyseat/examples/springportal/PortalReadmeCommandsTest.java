package dev.keyseat.examples.springportal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.examples.ReadmeCommands;
import dev.keyseat.examples.ReadmeCommands.Child;
import dev.keyseat.examples.ReadmeCommands.ReadmeCommand;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The README's "Examples" rows for {@code -pl examples-spring-portal}, each started as a user
 * would start it, in a child JVM on this module's runtime class path: the printed address serves
 * the sign-in form, the printed password signs alice in, and the API Keys page answers.
 */
class PortalReadmeCommandsTest {
  private static final Duration STARTUP = Duration.ofSeconds(90);

  @TestFactory
  Stream<DynamicTest> everyPortalCommandOfTheReadmeStartsAndAnswers() throws Exception {
    return ReadmeCommands.probeEach("examples-spring-portal",
        Map.of(ApiKeysPortalApplication.class.getName(), this::probePortal));
  }

  /** The portal on a free port: the printed address serves the sign-in form, alice signs in, the page answers. */
  private void probePortal(ReadmeCommand command) throws Exception {
    List<String> args = ReadmeCommands.withFreePort(command, 1);
    try (Child child = Child.start(command.mainClass(), args)) {
      URI base = URI.create(child.awaitLine(Pattern.compile("admin portal: (http://\\S+)"), STARTUP).group(1));
      String password = child.awaitLine(Pattern.compile("sign in as alice \\(.*\\) with password (\\S+)"), STARTUP)
          .group(1);
      Http http = new Http(base);
      assertThat(http.get("/login").statusCode()).as("the sign-in form, %s", child.describe()).isEqualTo(200);
      assertThat(http.signIn("alice", password).statusCode()).isEqualTo(302);
      HttpResponse<String> page = http.page("/keyseat/");
      assertThat(page.statusCode()).as("the page, %s", child.describe()).isEqualTo(200);
      assertThat(page.body()).contains("<title>API Keys</title>");
      assertThat(http.get("/keyseat/api/accounts/acme/me").body()).contains("\"role\":\"ADMIN\"");
      child.stop();
    }
  }
}
