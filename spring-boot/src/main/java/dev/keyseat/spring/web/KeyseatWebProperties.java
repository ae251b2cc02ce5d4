package dev.keyseat.spring.web;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The REST API and "API Keys" page under {@code keyseat.web.*}; see {@link KeyseatWeb}.
 */
@ConfigurationProperties("keyseat.web")
public class KeyseatWebProperties {

  /** Whether to serve the REST API and the "API Keys" page (opt-in). */
  private boolean enabled;

  /** Path under which the page ({base}/) and the API ({base}/api/...) are served; starts with a slash. */
  private String basePath = "/keyseat";

  /**
   * Host names (the Host header, without port) the API and page answer to; requests addressed to
   * any other name are refused, so that a DNS-rebinding page cannot drive the API. Add the names
   * the portal is reached by.
   */
  private List<String> allowedHosts = new ArrayList<>(List.of("localhost", "127.0.0.1", "[::1]"));

  /** Largest JSON request body; larger bodies are refused with 413. */
  private DataSize maxBodySize = DataSize.ofKilobytes(128);

  /** Most devices one create (or preview) request may name; more are refused with 400. */
  private int maxBatchSize = 1000;

  /** Largest page of the keys table, devices list and audit log a request may ask for. */
  private int maxPageSize = 200;

  /** @return whether the API and page are served */
  public boolean isEnabled() {
    return enabled;
  }

  /** @param enabled whether the API and page are served */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** @return the base path, e.g. {@code /keyseat} */
  public String getBasePath() {
    return basePath;
  }

  /** @param basePath the base path, e.g. {@code /keyseat} */
  public void setBasePath(String basePath) {
    this.basePath = basePath;
  }

  /** @return the host names the API answers to */
  public List<String> getAllowedHosts() {
    return allowedHosts;
  }

  /** @param allowedHosts the host names the API answers to */
  public void setAllowedHosts(List<String> allowedHosts) {
    this.allowedHosts = allowedHosts;
  }

  /** @return the largest request body */
  public DataSize getMaxBodySize() {
    return maxBodySize;
  }

  /** @param maxBodySize the largest request body */
  public void setMaxBodySize(DataSize maxBodySize) {
    this.maxBodySize = maxBodySize;
  }

  /** @return the most devices per create request */
  public int getMaxBatchSize() {
    return maxBatchSize;
  }

  /** @param maxBatchSize the most devices per create request */
  public void setMaxBatchSize(int maxBatchSize) {
    this.maxBatchSize = maxBatchSize;
  }

  /** @return the largest page size */
  public int getMaxPageSize() {
    return maxPageSize;
  }

  /** @param maxPageSize the largest page size */
  public void setMaxPageSize(int maxPageSize) {
    this.maxPageSize = maxPageSize;
  }
}
