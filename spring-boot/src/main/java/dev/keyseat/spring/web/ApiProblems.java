package dev.keyseat.spring.web;

import dev.keyseat.AccessDeniedException;
import dev.keyseat.AlreadyExistsException;
import dev.keyseat.DeviceAlreadyHasKeyException;
import dev.keyseat.InvalidRequestException;
import dev.keyseat.KeyseatException;
import dev.keyseat.LastAdminException;
import dev.keyseat.LicenseLimitException;
import dev.keyseat.NotFoundException;
import dev.keyseat.SeatReuseLimitException;
import dev.keyseat.SecretNotRetainedException;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.VaultKeyMismatchException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * Every refusal of the REST API as an RFC 9457 problem ({@code application/problem+json}) with
 * the stable {@code type} of {@link ApiProblem} and a detail an administrator can act on. Details
 * never name internal classes, never echo a secret, and hold the client's text only as JSON string
 * data. Applies to Keyseat's controllers only, before any advice of the host.
 */
@RestControllerAdvice(assignableTypes = {KeyseatApiController.class, OpenApiController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
class ApiProblems {
  private static final Logger log = LoggerFactory.getLogger(ApiProblems.class);
  private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

  @ExceptionHandler(LicenseLimitException.class)
  ResponseEntity<ProblemDetail> licenseLimit(LicenseLimitException e, HttpServletRequest request) {
    int needed = e.needed();
    String devices = needed == 1 ? "This device needs 1 license" : "These " + needed + " devices need " + needed
        + " licenses";
    String free = e.available() == 1 ? "1 is free" : e.available() + " are free";
    return problem(ApiProblem.LICENSE_LIMIT, devices + "; " + free
        + ". Delete unused keys or ask your provider for more licenses.", request);
  }

  @ExceptionHandler(DeviceAlreadyHasKeyException.class)
  ResponseEntity<ProblemDetail> deviceHasKey(DeviceAlreadyHasKeyException e, HttpServletRequest request) {
    List<String> s = e.deviceSerials();
    String detail = s.size() == 1 ? "Device " + s.get(0) + " already has a key" : "Devices " + String.join(", ", s)
        + " already have keys";
    return problem(ApiProblem.DEVICE_HAS_KEY, detail
        + "; regenerate or delete the existing key instead. No key was created.", request, "devices", s);
  }

  @ExceptionHandler(NotFoundException.class)
  ResponseEntity<ProblemDetail> notFound(NotFoundException e, HttpServletRequest request) {
    String kind = e.kind();
    String what = kind.isEmpty() ? "Item" : kind.substring(0, 1).toUpperCase(Locale.ROOT) + kind.substring(1);
    String detail = what + (e.ids().size() == 1 ? " " + e.ids().get(0) + " was not found" : "s "
        + String.join(", ", e.ids()) + " were not found") + ". It may have been deleted meanwhile; reload the page.";
    return problem(ApiProblem.NOT_FOUND, detail, request);
  }

  @ExceptionHandler(AccessDeniedException.class)
  ResponseEntity<ProblemDetail> accessDenied(HttpServletRequest request, @Nullable HandlerMethod handler) {
    Attempt attempt = handler == null ? null : handler.getMethodAnnotation(Attempt.class);
    String what = attempt == null ? "do this" : attempt.value();
    return problem(ApiProblem.ACCESS_DENIED, "Your role in this account does not allow you to " + what
        + ". Ask an administrator of the account if you need it.", request);
  }

  @ExceptionHandler(InvalidRequestException.class)
  ResponseEntity<ProblemDetail> invalid(InvalidRequestException e, HttpServletRequest request) {
    List<ApiJson.FieldError> errors = e.violations().stream()
        .map(v -> new ApiJson.FieldError(field(v.field()), v.message())).toList();
    String detail = errors.size() == 1
        ? "The request was refused: " + errors.get(0).field() + " " + errors.get(0).message() + "."
        : "The request was refused for " + errors.size() + " reasons; see the fields listed.";
    return problem(ApiProblem.INVALID_REQUEST, detail, request, "errors", errors);
  }

  @ExceptionHandler(SeatReuseLimitException.class)
  ResponseEntity<ProblemDetail> seatReuse(SeatReuseLimitException e, HttpServletRequest request) {
    return problem(ApiProblem.SEAT_REUSE_LIMIT, "A freed license cannot be given to a new key again yet; it can be "
        + "reused from " + e.nextReassignmentAt() + " (UTC). Your provider's license policy sets this limit.", request);
  }

  @ExceptionHandler(AlreadyExistsException.class)
  ResponseEntity<ProblemDetail> alreadyExists(AlreadyExistsException e, HttpServletRequest request) {
    String detail = e.ids().isEmpty() ? "It exists already." : (e.ids().size() == 1 ? "Device " + e.ids().get(0)
        + " is" : "Devices " + String.join(", ", e.ids()) + " are") + " already registered, in this or another account.";
    return problem(ApiProblem.ALREADY_EXISTS, detail, request);
  }

  @ExceptionHandler(LastAdminException.class)
  ResponseEntity<ProblemDetail> lastAdmin(HttpServletRequest request) {
    return problem(ApiProblem.LAST_ADMIN, request);
  }

  @ExceptionHandler({SecretNotRetainedException.class, VaultKeyMismatchException.class})
  ResponseEntity<ProblemDetail> notRetained(KeyseatException e, HttpServletRequest request) {
    String detail = e instanceof VaultKeyMismatchException
        ? "This key's kept secret cannot be opened any more (the server's vault key changed). Regenerate the key to "
            + "get a new secret."
        : "This server shows each secret once, when the key is created or regenerated, and does not keep it. "
            + "Regenerate the key to get a new secret.";
    return problem(ApiProblem.SECRET_NOT_RETAINED, detail, request);
  }

  @ExceptionHandler(StoreUnavailableException.class)
  ResponseEntity<ProblemDetail> unavailable(StoreUnavailableException e, HttpServletRequest request) {
    log.warn("Keyseat store unavailable for {} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
    return problem(ApiProblem.STORE_UNAVAILABLE, request);
  }

  /** Any other refusal of the manager: a change that conflicts with the account's state now. */
  @ExceptionHandler(KeyseatException.class)
  ResponseEntity<ProblemDetail> conflict(KeyseatException e, HttpServletRequest request) {
    log.info("Keyseat refused {} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
    return problem(ApiProblem.CONFLICT, request);
  }

  @ExceptionHandler(AuthenticationException.class)
  ResponseEntity<ProblemDetail> unauthenticated(HttpServletRequest request) {
    return problem(ApiProblem.UNAUTHENTICATED, request);
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e, HttpServletRequest request) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApiGuardFilter.BodyTooLargeException) {
        return problem(ApiProblem.TOO_LARGE, "The request body is too large; send fewer devices per request.", request);
      }
    }
    return problem(ApiProblem.INVALID_REQUEST, "The request body is not JSON of the expected shape; check the "
        + "names and types of its members.", request);
  }

  @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
  ResponseEntity<ProblemDetail> mediaType(HttpServletRequest request) {
    return problem(ApiProblem.UNSUPPORTED_MEDIA_TYPE, request);
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
    return problem(ApiProblem.INVALID_REQUEST, "The request was refused: " + e.getName() + " must be a whole number.",
        request, "errors", List.of(new ApiJson.FieldError(e.getName(), "must be a whole number")));
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<ProblemDetail> missing(MissingServletRequestParameterException e, HttpServletRequest request) {
    return problem(ApiProblem.INVALID_REQUEST, "The request was refused: " + e.getParameterName() + " is missing.",
        request, "errors", List.of(new ApiJson.FieldError(e.getParameterName(), "is missing")));
  }

  /** A failure of the server itself: logged with its cause, answered without it. */
  @ExceptionHandler(RuntimeException.class)
  ResponseEntity<ProblemDetail> failure(RuntimeException e, HttpServletRequest request) {
    log.error("Keyseat API failed on {} {}", request.getMethod(), request.getRequestURI(), e);
    return problem(ApiProblem.SERVER_ERROR, request);
  }

  /**
   * The manager's field paths without the command's parameter name, as the JSON body names them:
   * {@code command.serials[0]} → {@code serials[0]}, {@code edit.label} → {@code label}.
   */
  private static String field(String f) {
    for (String command : new String[] {"command.", "edit."}) {
      if (f.startsWith(command)) {
        return f.substring(command.length());
      }
    }
    return f;
  }

  /** A problem whose type's {@linkplain ApiProblem#standingDetail standing detail} says it all. */
  private static ResponseEntity<ProblemDetail> problem(ApiProblem type, HttpServletRequest request) {
    return problem(type, Objects.requireNonNull(type.standingDetail, "a problem type with a standing detail"), request);
  }

  private static ResponseEntity<ProblemDetail> problem(ApiProblem type, String detail, HttpServletRequest request) {
    return problem(type, detail, request, Map.of());
  }

  /** A problem with one more member, e.g. {@code errors}. */
  private static ResponseEntity<ProblemDetail> problem(ApiProblem type, String detail, HttpServletRequest request,
      String name, Object value) {
    return problem(type, detail, request, Map.of(name, value));
  }

  /** The one place a problem response is built: its type, detail, instance and any more members. */
  private static ResponseEntity<ProblemDetail> problem(ApiProblem type, String detail, HttpServletRequest request,
      Map<String, Object> members) {
    ProblemDetail p = type.detail(detail, request.getRequestURI());
    members.forEach(p::setProperty);
    return ResponseEntity.status(type.status).contentType(PROBLEM).body(p);
  }
}
