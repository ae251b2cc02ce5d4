package dev.keyseat.examples.springportal;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * An admin portal as a Spring Boot application on {@code keyseat-spring-boot-starter} with
 * Keyseat's "API Keys" page enabled ({@code keyseat.web.enabled=true}, served at
 * {@code /keyseat/}): Spring Security form sign-in for the demo users ({@link DemoUsers}), a
 * session cookie, CSRF tokens in the {@code XSRF-TOKEN} cookie, a server on 127.0.0.1 that
 * answers only to the allowed host names ({@link PortalSecurity}). The store is an embedded H2
 * database unless {@code spring.datasource.url} names another (the {@code postgres} profile reads
 * a PostgreSQL URL from the environment); the demo account is created on the first start
 * ({@link DemoAccount}).
 */
@SpringBootApplication
public class ApiKeysPortalApplication {

  /**
   * Starts the portal.
   *
   * @param args {@code [port]}, by default 8080
   */
  public static void main(String[] args) {
    List<String> properties = new ArrayList<>();
    if (args.length > 0) {
      properties.add("--server.port=" + Integer.parseInt(args[0]));
    }
    SpringApplication.run(ApiKeysPortalApplication.class, properties.toArray(String[]::new));
  }

  /** Prints where the page is and how to sign in, once the server is up. */
  @Bean
  ApplicationListener<ApplicationReadyEvent> announce(Environment env, DemoUsers users) {
    return event -> {
      String base = "http://" + env.getProperty("server.address", "127.0.0.1") + ":" + env.getProperty("local.server.port");
      System.out.println("Keyseat admin portal: " + base + "/ (the API Keys page; Ctrl+C stops it)");
      for (DemoUsers.DemoUser u : users.all()) {
        System.out.println("  sign in as " + u.name() + " (" + u.description() + ") with password " + u.password());
      }
    };
  }

  /** The portal's home is the API Keys page of the demo account. */
  @Controller
  static class Home {
    @GetMapping("/")
    String home() {
      return "redirect:/keyseat/?account=" + DemoAccount.ID.value();
    }
  }
}
