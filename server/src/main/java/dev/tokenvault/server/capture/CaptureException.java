package dev.tokenvault.server.capture;

import dev.tokenvault.server.error.Problem;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * Why a capture was refused, with its HTTP status and stable problem code. Details are written
 * here, never copied from the request: nothing of the card, the JWE or the session is echoed.
 */
final class CaptureException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** The session is a bearer credential carried in the body (RFC 6750 §2.2 in spirit). */
  static final String CHALLENGE = "Bearer realm=\"tokenvault-capture\", error=\"invalid_token\"";

  final int status;
  final String code;
  final transient List<Problem.FieldError> errors;

  private CaptureException(int status, String code, String detail, List<Problem.FieldError> errors) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  static CaptureException invalidJwe(String detail) {
    return new CaptureException(400, "invalid_jwe", detail, null);
  }

  static CaptureException unknownKid() {
    return new CaptureException(400, "unknown_kid",
        "the JWE's kid is not a current or previous capture encryption key: fetch a new session",
        null);
  }

  static CaptureException invalidPayload(String detail) {
    return new CaptureException(400, "invalid_payload", detail, null);
  }

  static CaptureException invalidCard(List<Problem.FieldError> errors) {
    return new CaptureException(400, "invalid_card", "the card details are invalid", errors);
  }

  static CaptureException invalidSession(String detail) {
    return new CaptureException(401, "invalid_capture_session", detail, null);
  }

  static CaptureException expired() {
    return new CaptureException(401, "capture_session_expired",
        "the capture session has expired: fetch a new one", null);
  }

  static CaptureException replayed() {
    return new CaptureException(409, "capture_session_replayed",
        "this capture session was already used: fetch a new one", null);
  }

  static CaptureException busy() {
    return new CaptureException(503, "capture_busy",
        "too many capture sessions in flight; retry later", null);
  }

  static CaptureException unsupportedMediaType() {
    return new CaptureException(415, "unsupported_media_type",
        "send the card data as application/jose (a compact JWE)", null);
  }

  static CaptureException tooLarge(int limit) {
    return new CaptureException(413, "request_too_large",
        "the JWE is longer than " + limit + " characters", null);
  }

  Problem problem() {
    if (errors != null) {
      return Problem.validation(code, errors, getMessage());
    }
    return Problem.of(status, code, getMessage());
  }

  Response toResponse() {
    Response.ResponseBuilder b = problem().toResponseBuilder();
    if (status == 401) {
      b.header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE);
    }
    return b.build();
  }
}
