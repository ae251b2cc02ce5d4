package dev.keyseat.examples.springgateway;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The device-data gateway as a Spring Boot application on {@code keyseat-spring-boot-starter}: a
 * public API in the style of an air-quality platform's, every request's key validated in-process
 * by the auto-configured cached validator through Spring Security.
 *
 * <ul>
 *   <li>{@code GET /last-measurements/{apiKey}/{serial}} and, with the key in the
 *       {@code X-API-Key} header, {@code GET /last-measurements/{serial}}
 *   <li>{@code GET /measurements-by-time/{apiKey}/{serial}/{from}/{to}} and
 *       {@code GET /measurements-by-time/{serial}/{from}/{to}} (epoch seconds, at most 24 h)
 * </ul>
 *
 * <p>Arguments {@code [port [requestsPerHour]]}: by default 8081 and 6 requests per hour per key,
 * as the reference platform's public API allows. The store is an embedded H2 database; the demo
 * account, its devices and a key are created at start, and the key is printed once.
 */
@SpringBootApplication
public class DeviceDataGatewayApplication {

  /**
   * Starts the gateway.
   *
   * @param args {@code [port [requestsPerHour]]}
   */
  public static void main(String[] args) {
    List<String> properties = new ArrayList<>();
    if (args.length > 0) {
      properties.add("--server.port=" + Integer.parseInt(args[0]));
    }
    if (args.length > 1) {
      properties.add("--keyseat.validator.rate-limit.requests=" + Long.parseLong(args[1]));
    }
    SpringApplication.run(DeviceDataGatewayApplication.class, properties.toArray(String[]::new));
  }

  /** Creates the demo account when the server is up and prints a working key. */
  @Bean
  ApplicationListener<ApplicationReadyEvent> demoAccount(KeyManager keys, Environment env) {
    return event -> {
      if (!env.getProperty("gateway.demo-account", Boolean.class, true)) {
        return;
      }
      AccountId acme = AccountId.of("acme");
      Actor admin = Actor.user("alice");
      keys.createAccount(Actor.operator("ops"), acme, new NewAccount("Acme Air", UserId.of("alice"), 5));
      keys.associateDevice(admin, acme, new NewDevice("AQ-1001", "Lobby", "Indoor Air Monitor"));
      keys.associateDevice(admin, acme, new NewDevice("AQ-1002", "Kitchen", "Indoor Air Monitor"));
      String key = keys.createKeys(admin, acme, NewKeys.forDevices("AQ-1001")).get(0).secret().reveal();
      String base = "http://" + env.getProperty("server.address", "127.0.0.1") + ":"
          + env.getProperty("local.server.port");
      long now = Instant.now().getEpochSecond();
      System.out.println("Keyseat device-data gateway on " + base + " ("
          + env.getProperty("keyseat.validator.rate-limit.requests") + " requests per hour per key; Ctrl+C stops it)");
      System.out.println("Demo key for AQ-1001 (shown once): " + key);
      System.out.println("  curl " + base + "/last-measurements/" + key + "/AQ-1001");
      System.out.println("  curl -H 'X-API-Key: " + key + "' " + base + "/last-measurements/AQ-1001");
      System.out.println("  curl " + base + "/measurements-by-time/" + key + "/AQ-1001/" + (now - 3600) + "/" + now);
      System.out.println("  curl " + base + "/last-measurements/" + key + "/AQ-1002   (403: another device)");
      System.out.println("  curl " + base + "/actuator/health");
    };
  }
}
