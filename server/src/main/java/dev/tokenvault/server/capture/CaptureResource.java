package dev.tokenvault.server.capture;

import dev.tokenvault.server.api.ApiContext;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.PublicRoute;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.core.audit.RequestContext;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Card capture: {@code /v1/capture-sessions}, {@code /v1/capture}, {@code /v1/capture/jwks}. */
@Path("/v1")
@Tag(name = "capture")
public class CaptureResource {
  static final String JOSE = "application/jose";

  @Inject CaptureService capture;
  @Inject ApiContext api;
  @Inject CurrentVertxRequest vertxRequest;

  @POST
  @Path("/capture-sessions")
  @Produces(MediaType.APPLICATION_JSON)
  @RequiresScope(Scopes.TOKENIZE)
  @Operation(summary = "A short-lived capture session for a browser (called by the merchant's server)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.TOKENIZE)
  @APIResponse(responseCode = "201", description = "the signed session and the key to encrypt to",
      content = @Content(mediaType = MediaType.APPLICATION_JSON,
          schema = @Schema(implementation = CaptureService.SessionResponse.class)))
  public CompletionStage<Response> createSession() {
    Caller c = api.caller();
    return capture.issue(c.subject(), c.clientId() == null ? c.subject() : c.clientId(),
            c.namespace(), api.requestContext())
        .thenApply(s -> Response.status(201).entity(s).type(MediaType.APPLICATION_JSON).build());
  }

  @GET
  @Path("/capture/jwks")
  @PublicRoute
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "The capture keys in force: encryption (ECDH-ES) and session signing (ES256), current and previous month")
  @APIResponse(responseCode = "200", description = "the JWK set (RFC 7517)",
      content = @Content(mediaType = MediaType.APPLICATION_JSON))
  public CompletionStage<Response> jwks() {
    RequestContext ctx = RequestContext.system(RequestIds.of(vertxRequest.getCurrent()));
    return capture.jwks(ctx).thenApply(j -> Response.ok(j, MediaType.APPLICATION_JSON).build());
  }

  @POST
  @Path("/capture")
  @PublicRoute
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Card data from the browser, as a compact JWE (ECDH-ES, A256GCM) holding the card and the capture session")
  @RequestBody(required = true, content = @Content(mediaType = JOSE,
      schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING,
          description = "compact JWE; payload {number, expiry (MM/YY), cvv, name, session}")))
  @APIResponse(responseCode = "201", description = "the token",
      content = @Content(mediaType = MediaType.APPLICATION_JSON,
          schema = @Schema(implementation = CaptureService.CaptureResponse.class)))
  @APIResponse(responseCode = "400", description = "invalid_jwe, unknown_kid, invalid_payload, invalid_card",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "401", description = "invalid_capture_session, capture_session_expired",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "409", description = "capture_session_replayed",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "415", description = "not application/jose",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public CompletionStage<Response> capture(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
      String body) {
    return capture.capture(contentType, body, vertxRequest.getCurrent());
  }
}
