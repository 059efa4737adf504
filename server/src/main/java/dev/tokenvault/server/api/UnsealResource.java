package dev.tokenvault.server.api;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.server.auth.PublicRoute;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.server.wiring.KeySeal;
import dev.tokenvault.server.wiring.VaultProducer;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/unseal}: one key custodian hands in one share of the local key file's unseal
 * key. No bearer token: the share is the credential (an OAuth2 token would not add knowledge the
 * custodian must hold, and the issuer may itself depend on the vault). Every call is audited
 * ({@code Unseal}: source address, shares held, outcome; never the share), and refused calls are
 * rate-limited ({@link KeySeal}). The share travels in the body only (never a URL), and request
 * bodies are never logged.
 */
@Path("/v1/unseal")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keys")
public class UnsealResource {
  @Inject VaultProducer vault;
  @Inject AuditLog auditLog;
  @Inject CurrentVertxRequest vertxRequest;
  @Inject Clock clock;

  public record UnsealRequest(@Schema(description = "one key share (tvshare1-...)") String share) {
    @Override
    public String toString() {
      return "UnsealRequest[<masked>]";
    }
  }

  @Schema(name = "SealStatus")
  public record SealStatus(boolean sealed, int sharesReceived, int threshold) {}

  @POST
  @PublicRoute
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Hand in one key share; the vault unseals once the threshold is reached")
  @APIResponse(responseCode = "200", description = "share accepted (or the vault unsealed)",
      content = @Content(schema = @Schema(implementation = SealStatus.class)))
  @APIResponse(responseCode = "400", description = "invalid_share: malformed or of another share set",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "409", description = "not_sealed: this vault has no key shares")
  @APIResponse(responseCode = "422",
      description = "unseal_failed: the shares do not unseal the key file; all were dropped",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "429", description = "too many refused attempts")
  public CompletionStage<Response> unseal(UnsealRequest body) {
    Bodies.required(body);
    String share = Bodies.requiredField(body.share(), "share");
    KeySeal seal = vault.seal();
    RoutingContext rc = vertxRequest.getCurrent();
    if (seal == null) {
      return audited(rc, Outcome.DENIED, "not_sealed", null,
          Problem.of(409, "not_sealed", "this vault is not sealed under key shares").toResponse());
    }
    KeySeal.Outcome outcome = seal.offer(share);
    KeySeal.Status status = seal.status();
    SealStatus answer = new SealStatus(status.sealed(), status.sharesReceived(), status.threshold());
    return switch (outcome) {
      case ACCEPTED, UNSEALED, ALREADY_UNSEALED ->
          audited(rc, Outcome.SUCCESS, null, status, Response.ok(answer).build());
      case INVALID_SHARE -> audited(rc, Outcome.DENIED, "invalid_share", status,
          Problem.validation("invalid_share", List.of(new Problem.FieldError("share",
              "invalid_share", "not a share of this vault's key file")), "invalid share")
              .toResponse());
      case FAILED -> audited(rc, Outcome.DENIED, "unseal_failed", status,
          Problem.of(422, "unseal_failed",
              "the shares given do not unseal the key file: all were dropped, start over")
              .toResponse());
      case LOCKED_OUT -> {
        long seconds = Math.max(1,
            Duration.between(clock.instant(), seal.lockedUntil()).toSeconds());
        yield audited(rc, Outcome.DENIED, "rate_limited", status,
            Response.fromResponse(Problem.of(429, "rate_limited",
                "too many refused unseal attempts: try again later").toResponse())
                .header("Retry-After", Long.toString(seconds)).build());
      }
    };
  }

  private CompletionStage<Response> audited(
      RoutingContext rc, Outcome outcome, String code, KeySeal.Status status, Response response) {
    String ip = rc.request().remoteAddress() == null ? null : rc.request().remoteAddress().hostAddress();
    RequestContext ctx = new RequestContext(
        "anonymous", null, List.of(), ip, rc.request().getHeader("User-Agent"), null,
        RequestIds.of(rc));
    AuditEvent.Builder event = AuditEvent.builder(dev.tokenvault.core.audit.AuditAction.UNSEAL, ctx, clock.instant())
        .outcome(outcome, code);
    if (status != null) {
      event.encryptionContext(Map.of(
          "tokenvault:sealed", Boolean.toString(status.sealed()),
          "tokenvault:shares-received", Integer.toString(status.sharesReceived()),
          "tokenvault:threshold", Integer.toString(status.threshold())));
    }
    return auditLog.append(event.build()).thenApply(v -> response);
  }
}
