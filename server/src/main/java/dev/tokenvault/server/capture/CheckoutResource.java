package dev.tokenvault.server.capture;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.server.auth.DevIssuer;
import dev.tokenvault.server.auth.PublicRoute;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The demo checkout page: {@code GET /checkout} and its script and style sheet, plain files from
 * {@code src/main/resources/checkout} (no CDN, no external font, no inline script), served with a
 * strict Content-Security-Policy. In development {@code POST /checkout/session} gives the page a
 * capture session for the dev {@code merchant} client; it answers 404 once the dev issuer is off
 * ({@code tokenvault.auth.issuer} set), since in production the merchant's own server asks for
 * sessions with its credentials ({@code POST /v1/capture-sessions}) and hands them to its page.
 */
@Path("/checkout")
@PublicRoute
@Tag(name = "capture")
public class CheckoutResource {
  /**
   * Only this origin's script, style, fetches and images; no inline code, no framing, no plugins,
   * no form posts (the page posts with fetch), DOM sinks guarded by Trusted Types.
   */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; "
      + "frame-ancestors 'none'; require-trusted-types-for 'script'";

  /** The dev merchant of {@code dev-clients.json}. */
  static final String DEV_MERCHANT = "merchant";

  private static final Map<String, String> ASSETS = Map.of(
      "checkout.js", "text/javascript; charset=utf-8",
      "checkout.css", "text/css; charset=utf-8");

  private static final Map<String, byte[]> CONTENT = load(
      List.of("index.html", "checkout.js", "checkout.css"));

  @Inject CaptureService capture;
  @Inject DevIssuer devIssuer;
  @Inject CurrentVertxRequest vertxRequest;

  @GET
  @Produces(MediaType.TEXT_HTML)
  @Operation(summary = "Demo card-capture page (HTML)")
  @APIResponse(responseCode = "200", description = "the page", content = @Content(mediaType = MediaType.TEXT_HTML))
  public Response page() {
    return withPageHeaders(Response.ok(CONTENT.get("index.html"), "text/html; charset=utf-8"));
  }

  @GET
  @Path("/{asset}")
  @Operation(summary = "The page's script and style sheet (checkout.js, checkout.css)")
  @APIResponse(responseCode = "200", description = "the file")
  @APIResponse(responseCode = "404", description = "no such file",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public Response asset(@PathParam("asset") String asset) {
    String type = ASSETS.get(asset);
    if (type == null) {
      return Problem.of(404, "not_found", "no such file").toResponse();
    }
    return withPageHeaders(Response.ok(CONTENT.get(asset), type));
  }

  @POST
  @Path("/session")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Development only: a capture session for the dev merchant (404 when the dev issuer is off)")
  @APIResponse(responseCode = "201", description = "a session",
      content = @Content(mediaType = MediaType.APPLICATION_JSON,
          schema = @Schema(implementation = CaptureService.SessionResponse.class)))
  @APIResponse(responseCode = "404", description = "the dev issuer is off",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public CompletionStage<Response> devSession() {
    if (!devIssuer.enabled()) {
      return CompletableFuture.completedFuture(Problem.of(404, "not_found",
          "dev sessions are off: the merchant's server asks POST /v1/capture-sessions").toResponse());
    }
    RequestContext ctx = new RequestContext(DEV_MERCHANT, DEV_MERCHANT, List.of(), null, null, null,
        RequestIds.of(vertxRequest.getCurrent()));
    return capture.issue(DEV_MERCHANT, DEV_MERCHANT, Namespace.DEFAULT, ctx)
        .thenApply(s -> Response.status(201).entity(s).type(MediaType.APPLICATION_JSON).build());
  }

  private static Response withPageHeaders(Response.ResponseBuilder b) {
    return b.header("Content-Security-Policy", CSP)
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "no-referrer")
        .header("Cross-Origin-Opener-Policy", "same-origin")
        .header("Cross-Origin-Resource-Policy", "same-origin")
        .header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        .build();
  }

  private static Map<String, byte[]> load(List<String> names) {
    Map<String, byte[]> out = new java.util.HashMap<>();
    for (String n : names) {
      try (InputStream in = CheckoutResource.class.getResourceAsStream("/checkout/" + n)) {
        if (in == null) {
          throw new IllegalStateException("missing resource checkout/" + n);
        }
        out.put(n, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Map.copyOf(out);
  }
}
