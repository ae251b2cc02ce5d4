package dev.keyseat.examples.springgateway;

import dev.keyseat.spring.security.ApiKeyPrincipal;
import java.time.Instant;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * The measurement endpoints. They run only for a valid key of the path's device: Spring
 * Security's filter (Keyseat's configurer) has checked it, so the principal's device is the
 * path's.
 */
@RestController
class MeasurementsController {

  @GetMapping(path = {"/last-measurements/{apiKey}/{serial}", "/last-measurements/{serial}"},
      produces = MediaType.APPLICATION_JSON_VALUE)
  String last(@AuthenticationPrincipal ApiKeyPrincipal device) {
    return Measurements.latest(device.deviceSerial(), Instant.now().getEpochSecond());
  }

  @GetMapping(path = {"/measurements-by-time/{apiKey}/{serial}/{from}/{to}", "/measurements-by-time/{serial}/{from}/{to}"},
      produces = MediaType.APPLICATION_JSON_VALUE)
  String byTime(@AuthenticationPrincipal ApiKeyPrincipal device, @PathVariable("from") String from,
      @PathVariable("to") String to) {
    return Measurements.range(device.deviceSerial(), from, to);
  }
}
