package dev.keyseat.examples.springgateway;

import dev.keyseat.spring.security.Problems;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Every failure as a problem detail that never repeats the request (whose path may hold a key):
 * refused ranges 400, unknown paths 404, other methods 405 with {@code Allow}, and whatever
 * reaches the servlet container's error page.
 */
@RestControllerAdvice
@RestController
class GatewayErrors implements ErrorController {
  private static final MediaType PROBLEM = MediaType.parseMediaType(Problems.MEDIA_TYPE);

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<String> badRange(IllegalArgumentException e) {
    // messages of Measurements, written for the client; they hold no part of the request
    return problem(400, e.getMessage(), new HttpHeaders());
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<String> other(Exception e) {
    if (e instanceof ErrorResponse r) {
      int status = r.getStatusCode().value();
      HttpHeaders headers = new HttpHeaders();
      headers.addAll(r.getHeaders()); // Allow on 405
      return problem(status, describe(status), headers);
    }
    return problem(500, describe(500), new HttpHeaders());
  }

  /** The container's error page: errors outside Spring MVC (rejected requests, filters). */
  @RequestMapping("/error")
  ResponseEntity<String> error(HttpServletRequest request) {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = code instanceof Integer i && i >= 400 ? i : 500;
    return problem(status, describe(status), new HttpHeaders());
  }

  static String describe(int status) {
    return switch (status) {
      case 400 -> "The request is malformed.";
      case 404 -> "No such resource: see /last-measurements and /measurements-by-time.";
      case 405 -> "Only GET is allowed here.";
      case 406 -> "Only application/json is served.";
      case 413 -> "The request is too large.";
      case 415 -> "Requests have no body here.";
      default -> HttpStatusCode.valueOf(status).is5xxServerError() ? "The gateway failed; retry later."
          : "The request was refused.";
    };
  }

  static ResponseEntity<String> problem(int status, String detail, HttpHeaders headers) {
    headers.setContentType(PROBLEM);
    return ResponseEntity.status(status).headers(headers).body(Problems.json(status, detail, null));
  }
}
