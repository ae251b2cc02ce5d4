package dev.keyseat.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.spring.boot.KeyseatProperties.Jdbc;
import dev.keyseat.spring.boot.KeyseatProperties.LicenseEndSweep;
import dev.keyseat.spring.boot.KeyseatProperties.RateLimit;
import dev.keyseat.spring.boot.KeyseatProperties.SchemaInitialization;
import dev.keyseat.spring.boot.KeyseatProperties.Security;
import dev.keyseat.spring.boot.KeyseatProperties.StoreType;
import dev.keyseat.spring.boot.KeyseatProperties.Validator;
import dev.keyseat.spring.boot.KeyseatProperties.Vault;
import dev.keyseat.spring.web.KeyseatWebProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link KeyseatProperties} and {@link KeyseatWebProperties}: immutable records bound through their
 * constructors, with the defaults the README and the configuration metadata give, and a description
 * of every property in the metadata the build writes (what an IDE completes and explains).
 */
class KeyseatPropertiesTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withUserConfiguration(Bound.class);

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({KeyseatProperties.class, KeyseatWebProperties.class})
  static class Bound {}

  @Test
  void nothingSetBindsTheDocumentedDefaults() {
    runner.run(context -> {
      assertThat(context.getBean(KeyseatProperties.class)).isEqualTo(new KeyseatProperties(StoreType.JDBC, "ks",
          null, Duration.ofDays(7), new Vault(null),
          new Jdbc(SchemaInitialization.EMBEDDED, Duration.ofDays(7), Duration.ofHours(1), 3),
          new Validator(true, 100_000, false, Duration.ofSeconds(1), Duration.ofSeconds(30), 1000,
              Duration.ofSeconds(10), new RateLimit(0, Duration.ofHours(1))),
          new Security("X-API-Key", "ROLE_KEYSEAT_OPERATOR"),
          new LicenseEndSweep(false, Duration.ofMinutes(5), "license-end-sweep")));
      assertThat(context.getBean(KeyseatWebProperties.class)).isEqualTo(new KeyseatWebProperties(false, "/keyseat",
          List.of("localhost", "127.0.0.1", "[::1]"), DataSize.ofKilobytes(128), 1000, 200));
    });
  }

  @Test
  void relaxedNamesBindIntoTheNestedRecordsAndLeaveTheirOtherDefaults() {
    runner.withPropertyValues("keyseat.store=in-memory", "keyseat.validator.rate-limit.requests=5",
        "keyseat.validator.maximumSize=10", "keyseat.jdbc.max-attempts=7", "keyseat.web.allowed-hosts=portal.example,localhost",
        "keyseat.web.max-body-size=2MB").run(context -> {
          KeyseatProperties p = context.getBean(KeyseatProperties.class);
          assertThat(p.store()).isEqualTo(StoreType.IN_MEMORY);
          assertThat(p.validator().rateLimit()).isEqualTo(new RateLimit(5, Duration.ofHours(1)));
          assertThat(p.validator().maximumSize()).isEqualTo(10);
          assertThat(p.validator().maxStaleness()).isEqualTo(Duration.ofSeconds(30));
          assertThat(p.jdbc().maxAttempts()).isEqualTo(7);
          KeyseatWebProperties web = context.getBean(KeyseatWebProperties.class);
          assertThat(web.allowedHosts()).containsExactly("portal.example", "localhost");
          assertThat(web.maxBodySize()).isEqualTo(DataSize.ofMegabytes(2));
        });
  }

  @Test
  void theBoundHostListCannotBeChangedAfterwards() {
    List<String> hosts = new ArrayList<>(List.of("localhost"));
    KeyseatWebProperties web = new KeyseatWebProperties(true, "/keyseat", hosts, DataSize.ofKilobytes(128), 10, 10);
    hosts.add("evil.example");
    assertThat(web.allowedHosts()).containsExactly("localhost");
    assertThat(web.allowedHosts()).isUnmodifiable();
  }

  @Test
  void toStringNeverShowsThePepperOrTheVaultKey() {
    String pepper = "c2VjcmV0LXBlcHBlci1vZi1hdC1sZWFzdC0zMi1ieXRlcyE=";
    String vaultKey = "MDEyMzQ1Njc4OWFiY2RlZg==";
    runner.withPropertyValues("keyseat.pepper=" + pepper, "keyseat.vault.key=" + vaultKey).run(context -> {
      KeyseatProperties p = context.getBean(KeyseatProperties.class);
      assertThat(p.pepper()).isEqualTo(pepper);
      assertThat(p.toString()).contains("pepper=<hidden>").doesNotContain(pepper);
      assertThat(p.vault().toString()).isEqualTo("Vault[key=<hidden>]").doesNotContain(vaultKey);
    });
  }

  @Test
  void everyPropertyInTheBuiltMetadataHasADescription() throws Exception {
    // target/classes, where the configuration processor wrote it (other jars carry their own copy)
    Path classes = Path.of(KeyseatProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    JsonNode metadata = JsonMapper.builder().build()
        .readTree(Files.readString(classes.resolve("META-INF/spring-configuration-metadata.json")));
    Map<String, String> descriptions = new TreeMap<>();
    for (JsonNode property : metadata.get("properties")) {
      JsonNode description = property.get("description");
      descriptions.put(property.get("name").asString(), description == null ? "" : description.asString());
    }
    assertThat(descriptions.keySet()).containsExactlyInAnyOrder("keyseat.store", "keyseat.key-prefix",
        "keyseat.pepper", "keyseat.max-regeneration-overlap", "keyseat.vault.key",
        "keyseat.jdbc.initialize-schema", "keyseat.jdbc.change-retention", "keyseat.jdbc.purge-interval",
        "keyseat.jdbc.max-attempts", "keyseat.validator.enabled", "keyseat.validator.maximum-size",
        "keyseat.validator.preload", "keyseat.validator.feed-poll-interval", "keyseat.validator.max-staleness",
        "keyseat.validator.store-lookups-per-second", "keyseat.validator.usage-flush-interval",
        "keyseat.validator.rate-limit.requests", "keyseat.validator.rate-limit.period", "keyseat.security.header",
        "keyseat.security.operator-authority", "keyseat.license-end-sweep.enabled",
        "keyseat.license-end-sweep.interval", "keyseat.license-end-sweep.operator", "keyseat.web.enabled",
        "keyseat.web.base-path", "keyseat.web.allowed-hosts", "keyseat.web.max-body-size",
        "keyseat.web.max-batch-size", "keyseat.web.max-page-size");
    assertThat(descriptions).allSatisfy((name, description) -> assertThat(description).as(name)
        .hasSizeGreaterThan(20).doesNotContain("@param").doesNotContain(" * ").endsWith("."));
    assertThat(descriptions.get("keyseat.jdbc.max-attempts"))
        .isEqualTo("Attempts of a transaction the database rolled back for a deadlock or serialization failure.");
  }
}
