package dev.keyseat.spring.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Serves the OpenAPI 3 description of the REST API at {@code {base}/api/openapi.json}: the file
 * {@code dev/keyseat/spring/web/openapi.json} shipped in this jar, with the base path filled in.
 * A test keeps it and the controller's mappings in step.
 */
@RestController
class OpenApiController {
  /** The shipped description. */
  static final String RESOURCE = "/dev/keyseat/spring/web/openapi.json";
  private final String json;

  OpenApiController(KeyseatWebProperties properties) {
    try (InputStream in = OpenApiController.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing " + RESOURCE + " in keyseat-spring-boot");
      }
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("{{basePath}}", ApiProblem.escape(properties.basePath()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @GetMapping("${keyseat.web.base-path:/keyseat}/api/openapi.json")
  @Attempt("read the API description")
  ResponseEntity<String> openApi() {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json);
  }
}
