package dev.tokenvault.server.error;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * An RFC 9457 problem details object, with the vault's stable {@code code}, the request id and,
 * for validation failures, one entry per field. Details are written by the vault, never copied
 * from the request, so a submitted value is never echoed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record Problem(
    String type,
    String title,
    int status,
    String detail,
    String code,
    String requestId,
    List<FieldError> errors) {

  public static final String MEDIA_TYPE = "application/problem+json";
  static final String TYPE_PREFIX = "urn:tokenvault:problem:";

  /** One field's reason. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record FieldError(String field, String code, String detail) {}

  public static Problem of(int status, String code, String detail) {
    return new Problem(TYPE_PREFIX + code, title(status), status, detail, code,
        RequestIds.current(), null);
  }

  /** A problem for a request whose id is known (Vert.x handlers, outside the REST layer). */
  public static Problem ofRequest(String requestId, int status, String code, String detail) {
    return new Problem(TYPE_PREFIX + code, title(status), status, detail, code, requestId, null);
  }

  public static Problem validation(String code, List<FieldError> errors, String detail) {
    return new Problem(TYPE_PREFIX + code, title(400), 400, detail, code, RequestIds.current(),
        errors);
  }

  /** This problem for the request {@code id} (problems made outside the REST layer have none). */
  public Problem withRequestId(String id) {
    return new Problem(type, title, status, detail, code, id, errors);
  }

  public Response.ResponseBuilder toResponseBuilder() {
    return Response.status(status).type(MEDIA_TYPE).entity(this);
  }

  public Response toResponse() {
    return toResponseBuilder().build();
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 406 -> "Not Acceptable";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }
}
