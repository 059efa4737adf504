package dev.tokenvault.server.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tokenvault.server.error.Problem;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /oauth2/token} (client credentials, RFC 6749 §4.4) and {@code /oauth2/jwks}, answered only
 * while the dev issuer is on; otherwise both are 404. Token signing is a few milliseconds of RSA,
 * so the endpoint runs on a worker thread.
 */
@Path("/oauth2")
@PublicRoute
@Tag(name = "dev issuer")
public class DevIssuerResource {
  @Inject DevIssuer issuer;
  @Inject io.quarkus.vertx.http.runtime.CurrentVertxRequest vertxRequest;
  @Inject dev.tokenvault.server.limits.AuthLockout lockout;

  @Schema(name = "AccessTokenResponse")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TokenResponse(
      @JsonProperty("access_token") String accessToken,
      @JsonProperty("token_type") String tokenType,
      @JsonProperty("expires_in") long expiresIn,
      String scope) {}

  /** The form fields of a token request (documentation: the endpoint reads the raw form). */
  @Schema(name = "TokenRequestForm")
  public record TokenForm(
      @Schema(required = true, enumeration = "client_credentials") @JsonProperty("grant_type") String grantType,
      @Schema(description = "space-separated; default: all of the client's scopes") String scope,
      @Schema(description = "when not using HTTP Basic") @JsonProperty("client_id") String clientId,
      @Schema(description = "when not using HTTP Basic") @JsonProperty("client_secret") String clientSecret) {}

  @Schema(name = "OAuthError")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ErrorResponse(
      String error, @JsonProperty("error_description") String errorDescription) {}

  @POST
  @Path("/token")
  @Blocking
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Dev issuer: client-credentials token endpoint (off when tokenvault.auth.issuer is set)")
  @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_FORM_URLENCODED,
      schema = @Schema(implementation = TokenForm.class)))
  @APIResponse(responseCode = "200", description = "an access token",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TokenResponse.class)))
  @APIResponse(responseCode = "400", description = "invalid_request, unsupported_grant_type, invalid_scope",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorResponse.class)))
  @APIResponse(responseCode = "401", description = "invalid_client",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ErrorResponse.class)))
  public Response token(@jakarta.ws.rs.core.Context HttpHeaders headers,
      MultivaluedMap<String, String> form) {
    if (!issuer.enabled()) {
      return Problem.of(404, "not_found", "the dev issuer is off: tokenvault.auth.issuer is set")
          .toResponse();
    }
    try {
      String grant = single(form, "grant_type");
      String scope = single(form, "scope");
      String formId = single(form, "client_id");
      String formSecret = single(form, "client_secret");
      String clientId = formId;
      String secret = formSecret;
      String authz = headers.getHeaderString(HttpHeaders.AUTHORIZATION);
      if (authz != null && authz.regionMatches(true, 0, "Basic ", 0, 6)) {
        if (formId != null || formSecret != null) {
          throw new DevIssuer.OAuthError(400, "invalid_request",
              "use one client authentication method, not both Basic and form fields");
        }
        String[] pair = basic(authz.substring(6).trim());
        clientId = pair[0];
        secret = pair[1];
      }
      if (grant == null) {
        throw new DevIssuer.OAuthError(400, "invalid_request", "grant_type is required");
      }
      if (clientId == null || secret == null) {
        throw new DevIssuer.OAuthError(401, "invalid_client", "client authentication is required");
      }
      if (!grant.equals("client_credentials")) {
        // authenticate first, so an unknown grant type tells nothing to an unauthenticated caller
        issuer.issue(clientId, secret, null);
        throw new DevIssuer.OAuthError(400, "unsupported_grant_type",
            "only client_credentials is supported");
      }
      // client secrets are guessable in principle: the endpoint shares the failure lockout
      String ip = vertxRequest.getCurrent().request().remoteAddress() == null ? null
          : vertxRequest.getCurrent().request().remoteAddress().hostAddress();
      java.time.Duration locked = lockout.addressLocked(ip);
      if (locked.isZero()) {
        locked = lockout.clientLocked(clientId);
      }
      if (!locked.isZero()) {
        return noStore(Response.fromResponse(BearerAuthFilter.tooManyRequests(locked)));
      }
      DevIssuer.Issued t;
      try {
        // over mTLS the token is bound to the client's certificate (RFC 8705 §3)
        t = issuer.issue(clientId, secret, scope,
            BearerAuthFilter.clientCertificateThumbprint(vertxRequest.getCurrent()));
      } catch (DevIssuer.OAuthError e) {
        if (e.status == 401) {
          lockout.failure(ip, clientId.length() > 128 ? null : clientId);
        }
        throw e;
      }
      return noStore(Response.ok(new TokenResponse(t.accessToken(), "Bearer", t.expiresIn(), t.scope())));
    } catch (DevIssuer.OAuthError e) {
      Response.ResponseBuilder b = Response.status(e.status)
          .type(MediaType.APPLICATION_JSON)
          .entity(new ErrorResponse(e.error, e.getMessage()));
      if (e.status == 401) {
        b.header(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"tokenvault\"");
      }
      return noStore(b);
    }
  }

  @GET
  @Path("/jwks")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Dev issuer: the public keys of the dev tokens (JWK set)")
  @APIResponse(responseCode = "200", description = "the JWK set (RFC 7517)",
      content = @Content(mediaType = MediaType.APPLICATION_JSON))
  public Response jwks() {
    if (!issuer.enabled()) {
      return Problem.of(404, "not_found", "the dev issuer is off: tokenvault.auth.issuer is set")
          .toResponse();
    }
    return Response.ok(issuer.jwks(), MediaType.APPLICATION_JSON).build();
  }

  /** RFC 6749 §5.1; {@code Cache-Control: no-store} is on every answer (HttpPipeline). */
  private static Response noStore(Response.ResponseBuilder b) {
    return b.header("Pragma", "no-cache").build();
  }

  /** A form parameter given at most once; empty counts as absent (RFC 6749 §3.1). */
  private static String single(MultivaluedMap<String, String> form, String name) {
    if (form == null) {
      return null;
    }
    List<String> v = form.get(name);
    if (v == null || v.isEmpty()) {
      return null;
    }
    if (v.size() > 1) {
      throw new DevIssuer.OAuthError(400, "invalid_request", name + " is repeated");
    }
    String s = v.get(0);
    return s == null || s.isEmpty() ? null : s;
  }

  /** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined with ':' and base64. */
  private static String[] basic(String b64) {
    try {
      String decoded = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new DevIssuer.OAuthError(401, "invalid_client", "malformed Basic credentials");
      }
      return new String[] {
          URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
          URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
    } catch (IllegalArgumentException e) {
      throw new DevIssuer.OAuthError(401, "invalid_client", "malformed Basic credentials");
    }
  }
}
