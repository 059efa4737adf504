package dev.tokenvault.server.api;

import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.InvalidTokenException;
import dev.tokenvault.server.auth.PublicRoute;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.auth.TokenVerifier;
import dev.tokenvault.server.error.Problem;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /metrics}: the Prometheus text exposition of the vault's meters.
 *
 * <h2>Who may read it</h2>
 *
 * A bearer token with the scope {@code audit.read}, or a TLS client certificate (verified against
 * {@code tokenvault.tls.trust}, so {@code tokenvault.tls.client-auth} must be {@code want} or
 * {@code need}) whose subject, as an RFC 2253 string, is listed in {@code
 * tokenvault.metrics.scraper-subjects}: Prometheus scrapes with a certificate more easily than
 * with an OAuth2 token. The check is here rather than in the bearer filter because the filter
 * knows only tokens; the route is marked {@link PublicRoute} so the filter lets it through, and
 * answers exactly as the filter would (401/403 problems with the same challenges).
 *
 * <p>Metrics carry no value, token or request path: tags are route templates, client ids and
 * fixed codes ({@code dev.tokenvault.server.monitoring.Meters}).
 */
@Path("/metrics")
@Tag(name = "monitoring")
@PublicRoute
public class MetricsResource {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String REALM = "Bearer realm=\"tokenvault\"";

  @Inject PrometheusMeterRegistry prometheus;
  @Inject TokenVerifier verifier;
  @Inject CurrentVertxRequest vertxRequest;
  @Inject jakarta.enterprise.event.Event<dev.tokenvault.server.auth.AuthenticationFailed> failures;
  @Inject java.time.Clock clock;

  /**
   * Semicolon-separated: an RFC 2253 subject holds commas itself ({@code CN=scraper,O=bank}), so a
   * comma-separated list (MicroProfile Config's list syntax) would cut every subject apart.
   */
  @ConfigProperty(name = "tokenvault.metrics.scraper-subjects")
  Optional<String> scraperSubjects;

  @GET
  @Produces(PROMETHEUS_TEXT)
  @Operation(summary = "Prometheus metrics (scope audit.read, or an mTLS scraper certificate)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.AUDIT_READ)
  @APIResponse(responseCode = "200", description = "Prometheus text format 0.0.4")
  @APIResponse(responseCode = "401", description = "no or invalid bearer token")
  @APIResponse(responseCode = "403", description = "the token lacks audit.read")
  public Response metrics(@jakarta.ws.rs.HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
    if (!isScraper()) {
      Response refused = authorize(authorization);
      if (refused != null) {
        return refused;
      }
    }
    return Response.ok(prometheus.scrape(), PROMETHEUS_TEXT).build();
  }

  private Response authorize(String header) {
    if (header == null || header.isBlank()) {
      return challenge(401, REALM, "authentication_required", "a bearer access token is required");
    }
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return challenge(401, REALM, "authentication_required",
          "use the Bearer authentication scheme (RFC 6750)");
    }
    String raw = header.substring(7).trim();
    Caller caller;
    try {
      caller = verifier.verify(raw);
    } catch (InvalidTokenException e) {
      var req = vertxRequest.getCurrent().request();
      failures.fire(new dev.tokenvault.server.auth.AuthenticationFailed("invalid_token", null,
          req.remoteAddress() == null ? null : req.remoteAddress().hostAddress(), clock.instant()));
      return challenge(401, REALM + ", error=\"invalid_token\"", "invalid_token", e.getMessage());
    }
    if (!caller.hasScope(Scopes.AUDIT_READ)) {
      return challenge(403, REALM + ", error=\"insufficient_scope\", scope=\"" + Scopes.AUDIT_READ
          + "\"", "insufficient_scope", "this route needs the scope " + Scopes.AUDIT_READ);
    }
    return null;
  }

  private boolean isScraper() {
    Set<String> allowed = java.util.Arrays.stream(scraperSubjects.orElse("").split(";"))
        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    if (allowed.isEmpty()) {
      return false;
    }
    SSLSession session = vertxRequest.getCurrent().request().sslSession();
    if (session == null) {
      return false;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          && allowed.contains(x.getSubjectX500Principal().getName());
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }

  private static Response challenge(int status, String wwwAuthenticate, String code, String detail) {
    return Problem.of(status, code, detail).toResponseBuilder()
        .header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate)
        .build();
  }
}
