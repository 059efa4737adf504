package dev.tokenvault.server.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.vault.VaultException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure becomes an RFC 9457 problem with a stable code. The translation is by exception
 * type and kind only; messages are used as {@code detail} only when the vault wrote them
 * (core's exceptions promise never to contain a value). Jackson's messages quote the input and
 * are never passed through: only the JSON path of the offending field is reported.
 *
 * <p>A client fault (4xx) is never confused with a server fault: a store or key manager outage is
 * 503, an integrity failure 500, and both are logged (without values) for alarms.
 */
public class ProblemMappers {
  private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

  @ServerExceptionMapper
  public Response invalidValue(InvalidValueException e) {
    return fromInvalid(e).toResponse();
  }

  @ServerExceptionMapper
  public Response vault(VaultException e) {
    return fromVault(e).toResponse();
  }

  @ServerExceptionMapper
  public Response json(JsonProcessingException e) {
    return fromJson(e).toResponse();
  }

  /** More specific than the JSON mapper above, to win over quarkus-rest-jackson's built-in one. */
  @ServerExceptionMapper
  public Response mismatchedInput(MismatchedInputException e) {
    return fromJson(e).toResponse();
  }

  @ServerExceptionMapper
  public Response jsonParse(com.fasterxml.jackson.core.JsonParseException e) {
    return fromJson(e).toResponse();
  }

  @ServerExceptionMapper
  public Response jsonMapping(JsonMappingException e) {
    return fromJson(e).toResponse();
  }

  @ServerExceptionMapper
  public Response webApplication(WebApplicationException e) {
    Response original = e.getResponse();
    int status = original == null ? 500 : original.getStatus();
    if (e.getCause() instanceof JsonProcessingException jpe) {
      return fromJson(jpe).toResponse();
    }
    Problem p = switch (status) {
      case 400 -> Problem.of(400, "bad_request", "the request is malformed");
      case 404 -> Problem.of(404, "not_found", "no route serves this path");
      case 405 -> Problem.of(405, "method_not_allowed", "this path does not accept this method");
      case 406 -> Problem.of(406, "not_acceptable", "this route answers application/json only");
      case 413 -> Problem.of(413, "request_too_large", "the request body is too large");
      case 415 -> Problem.of(415, "unsupported_media_type",
          "send the request body as application/json");
      default -> status >= 500
          ? Problem.of(status, "internal_error", "the vault failed to answer")
          : Problem.of(status, "request_refused", "the request was refused");
    };
    Response.ResponseBuilder b = p.toResponseBuilder();
    if (e instanceof NotAllowedException && original != null) {
      String allow = original.getHeaderString(HttpHeaders.ALLOW);
      if (allow != null) {
        b.header(HttpHeaders.ALLOW, allow);
      }
    }
    return b.build();
  }

  @ServerExceptionMapper
  public Response completion(CompletionException e) {
    return toProblem(e).toResponse();
  }

  @ServerExceptionMapper
  public Response execution(ExecutionException e) {
    return toProblem(e).toResponse();
  }

  @ServerExceptionMapper
  public Response store(StoreException e) {
    return toProblem(e).toResponse();
  }

  @ServerExceptionMapper
  public Response keyManager(KeyManagerException e) {
    return toProblem(e).toResponse();
  }

  @ServerExceptionMapper(priority = 10_000)
  public Response anything(RuntimeException e) {
    return toProblem(e).toResponse();
  }

  /** The problem for any failure of a use case, unwrapping async wrappers. */
  public static Problem toProblem(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof InvalidValueException ive) {
      return fromInvalid(ive);
    }
    if (e instanceof VaultException ve) {
      return fromVault(ve);
    }
    if (e instanceof JsonProcessingException jpe) {
      return fromJson(jpe);
    }
    if (e instanceof KeyManagerException.IntegrityFailure) {
      LOG.error("key manager integrity failure: " + e.getClass().getSimpleName());
      return Problem.of(500, "integrity_failure", "stored data failed authentication");
    }
    if (e instanceof StoreException || e instanceof KeyManagerException) {
      LOG.warnf("dependency unavailable: %s", e.getClass().getName());
      return Problem.of(503, "service_unavailable", "the vault cannot reach its store or key manager; retry later");
    }
    if (e instanceof WebApplicationException wae) {
      Response r = wae.getResponse();
      return Problem.of(r == null ? 500 : r.getStatus(), "request_refused", "the request was refused");
    }
    LOG.errorf(e, "unexpected failure");
    return Problem.of(500, "internal_error", "the vault failed to answer");
  }

  static Problem fromInvalid(InvalidValueException e) {
    return Problem.validation("validation_failed",
        List.of(new Problem.FieldError(e.field(), e.code(), e.getMessage())), e.getMessage());
  }

  static Problem fromVault(VaultException e) {
    return switch (e.kind()) {
      case NOT_FOUND -> Problem.of(404, e.code(), e.getMessage());
      case GONE -> Problem.of(410, e.code(), e.getMessage());
      // Key-version conflicts (retire refused, rotation managed outside the vault) are about the
      // resource's state: 409. Other conflicts (an idempotency key reused) stay 422.
      case CONFLICT ->
          Problem.of(
              e.code().startsWith("kek_") || e.code().startsWith("fingerprint_") ? 409 : 422,
              e.code(),
              e.getMessage());
      case INVALID -> Problem.validation(e.code(), null, e.getMessage());
      case UNAVAILABLE -> {
        LOG.warnf("vault dependency unavailable: %s", e.code());
        yield Problem.of(503, e.code(), e.getMessage());
      }
      case INTEGRITY -> {
        LOG.errorf("integrity failure: %s", e.code());
        yield Problem.of(500, e.code(), "stored data failed authentication");
      }
    };
  }

  static Problem fromJson(JsonProcessingException e) {
    if (!isSyntaxError(e) && (e instanceof MismatchedInputException
        || (e instanceof JsonMappingException m && !m.getPath().isEmpty()))) {
      String field = path((JsonMappingException) e);
      return Problem.validation("validation_failed",
          List.of(new Problem.FieldError(field, "invalid_type",
              field == null ? "the body has the wrong shape" : "the field has the wrong type")),
          "the request body does not have the expected shape");
    }
    return Problem.of(400, "malformed_json", "the request body is not valid JSON");
  }

  /** True when the JSON text itself is broken (anywhere in the cause chain), not its shape. */
  private static boolean isSyntaxError(Throwable e) {
    for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof com.fasterxml.jackson.core.exc.StreamReadException
          && !(c instanceof MismatchedInputException)) {
        return true;
      }
    }
    return false;
  }

  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.length() == 0 ? null : b.toString();
  }
}
