package dev.keyseat.spring.web;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The REST API and "API Keys" page under {@code keyseat.web.*}, bound once through the constructor
 * and immutable after; see {@link KeyseatWeb}. The {@code @param} descriptions below are the ones
 * the configuration metadata (and so the IDE) shows.
 *
 * @param enabled Whether to serve the REST API and the "API Keys" page (opt-in).
 * @param basePath Path under which the page ({base}/) and the API ({base}/api/...) are served;
 *     starts with a slash.
 * @param allowedHosts Host names (the Host header, without port) the API and page answer to;
 *     requests addressed to any other name are refused, so that a DNS-rebinding page cannot drive
 *     the API. Add the names the portal is reached by.
 * @param maxBodySize Largest JSON request body; larger bodies are refused with 413.
 * @param maxBatchSize Most devices one create (or preview) request may name; more are refused with
 *     400.
 * @param maxPageSize Largest page of the keys table, devices list and audit log a request may ask
 *     for.
 */
@ConfigurationProperties("keyseat.web")
public record KeyseatWebProperties(
    @DefaultValue("false") boolean enabled,
    @DefaultValue("/keyseat") String basePath,
    @DefaultValue({"localhost", "127.0.0.1", "[::1]"}) List<String> allowedHosts,
    @DefaultValue("128KB") DataSize maxBodySize,
    @DefaultValue("1000") int maxBatchSize,
    @DefaultValue("200") int maxPageSize) {

  /**
   * Keeps its own copy of the host names, so that the bound value cannot change under the API.
   *
   * @param enabled whether to serve the API and the page
   * @param basePath the path both are served under
   * @param allowedHosts the host names answered to
   * @param maxBodySize the largest JSON request body
   * @param maxBatchSize the most devices one create request may name
   * @param maxPageSize the largest page a request may ask for
   */
  public KeyseatWebProperties {
    allowedHosts = List.copyOf(allowedHosts);
  }
}
