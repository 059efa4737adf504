package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.SensitiveValue;
import dev.tokenvault.core.value.ValueType;
import dev.tokenvault.core.vault.Detokenized;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.TokenizeResult;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.server.api.TokenDtos.DetokenizeRequest;
import dev.tokenvault.server.api.TokenDtos.DetokenizeResponse;
import dev.tokenvault.server.api.TokenDtos.TokenResponse;
import dev.tokenvault.server.api.TokenDtos.TokenizeRequest;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/tokens} and {@code /v1/detokenize}. Non-blocking: every method returns a stage. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "tokens")
public class TokensResource {
  @Inject Vault vault;
  @Inject ApiContext api;

  @POST
  @Path("/tokens")
  @Consumes(MediaType.APPLICATION_JSON)
  @RequiresScope(Scopes.TOKENIZE)
  @Operation(summary = "Tokenize a card or account number")
  @SecurityRequirement(name = "bearer", scopes = Scopes.TOKENIZE)
  @APIResponse(responseCode = "201", description = "a new token",
      content = @Content(schema = @Schema(implementation = TokenResponse.class)))
  @APIResponse(responseCode = "200", description = "deterministic mode: the value's existing token")
  @APIResponse(responseCode = "400", description = "invalid value",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public CompletionStage<Response> tokenize(TokenizeRequest body) {
    return vault.tokenize(command(body, api.caller()), api.requestContext()).thenApply(r ->
        Response.status(status(r)).entity(TokenResponse.of(r.token())).build());
  }

  /** The use case's command for a tokenize request by {@code caller} (both request paths). */
  static TokenizeCommand command(TokenizeRequest body, Caller caller) {
    Bodies.required(body);
    ValueType type = ValueType.fromWireName(Bodies.requiredField(body.type(), "type"));
    SensitiveValue value = SensitiveValue.parse(type, Bodies.requiredField(body.value(), "value"));
    Duration ttl = null;
    if (body.ttlSeconds() != null) {
      if (body.ttlSeconds() < 1) {
        throw new InvalidValueException("invalid_ttl", "ttlSeconds", "ttlSeconds must be positive");
      }
      ttl = Duration.ofSeconds(body.ttlSeconds());
    }
    return new TokenizeCommand(caller.namespace(), value,
        Boolean.TRUE.equals(body.deterministic()), ttl, body.metadata());
  }

  /** 201 for a new token, 200 for the value's existing deterministic token. */
  static int status(TokenizeResult r) {
    return r.created() ? 201 : 200;
  }

  @GET
  @Path("/tokens/{token}")
  @RequiresScope(Scopes.READ)
  @Operation(summary = "A token's metadata (never the value)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.READ)
  @APIResponse(responseCode = "200", description = "the token",
      content = @Content(schema = @Schema(implementation = TokenResponse.class)))
  @APIResponse(responseCode = "404", description = "unknown token")
  @APIResponse(responseCode = "410", description = "expired token")
  public CompletionStage<TokenResponse> metadata(@PathParam("token") String token) {
    return vault.metadata(api.caller().namespace(), Bodies.token(token, "token"),
        api.requestContext()).thenApply(TokenResponse::of);
  }

  @DELETE
  @Path("/tokens/{token}")
  @RequiresScope(Scopes.TOKENIZE)
  @Operation(summary = "Delete a token, crypto-erasing its value")
  @SecurityRequirement(name = "bearer", scopes = Scopes.TOKENIZE)
  @APIResponse(responseCode = "204", description = "deleted")
  @APIResponse(responseCode = "404", description = "unknown token")
  public CompletionStage<Response> delete(@PathParam("token") String token) {
    return vault.delete(api.caller().namespace(), Bodies.token(token, "token"),
        api.requestContext()).thenApply(v -> Response.noContent().build());
  }

  @POST
  @Path("/detokenize")
  @Consumes(MediaType.APPLICATION_JSON)
  @RequiresScope(Scopes.DETOKENIZE)
  @Operation(summary = "The value behind a token (audited)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.DETOKENIZE)
  @APIResponse(responseCode = "200", description = "the value",
      content = @Content(schema = @Schema(implementation = DetokenizeResponse.class)))
  @APIResponse(responseCode = "404", description = "unknown token")
  @APIResponse(responseCode = "410", description = "expired token")
  public CompletionStage<DetokenizeResponse> detokenize(DetokenizeRequest body) {
    return vault.detokenize(api.caller().namespace(), token(body), api.requestContext())
        .thenApply(TokensResource::answer);
  }

  /** The token of a detokenize request (both request paths). */
  static Token token(DetokenizeRequest body) {
    Bodies.required(body);
    return Bodies.token(body.token(), "token");
  }

  /** The answer to a detokenize; the clear bytes are zeroed once the string is made. */
  static DetokenizeResponse answer(Detokenized d) {
    byte[] clear = d.value().reveal();
    try {
      return new DetokenizeResponse(d.token().token().value(), d.value().type().wireName(),
          new String(clear, StandardCharsets.US_ASCII));
    } finally {
      Arrays.fill(clear, (byte) 0);
    }
  }
}
