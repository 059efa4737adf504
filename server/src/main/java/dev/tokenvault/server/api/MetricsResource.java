package dev.tokenvault.server.api;

import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.ScraperCertificates;
import dev.tokenvault.server.auth.Scopes;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /metrics}: the Prometheus text exposition of the vault's meters.
 *
 * <p>Who may read it: a bearer token with the scope {@code audit.read}, checked by {@link
 * dev.tokenvault.server.auth.BearerAuthFilter} like every other route (lockout, rate limit,
 * certificate binding included), or a listed scraper's TLS client certificate ({@link
 * ScraperCertificates}, {@code tokenvault.metrics.scraper-subjects}).
 *
 * <p>Metrics carry no value, token or request path: tags are route templates, client ids and
 * fixed codes ({@code dev.tokenvault.server.monitoring.Meters}).
 */
@Path("/metrics")
@Tag(name = "monitoring")
public class MetricsResource {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  @Inject PrometheusMeterRegistry prometheus;

  @GET
  @Produces(PROMETHEUS_TEXT)
  @RequiresScope(Scopes.AUDIT_READ)
  @ScraperCertificates.Admits
  @Operation(summary = "Prometheus metrics (scope audit.read, or an mTLS scraper certificate)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.AUDIT_READ)
  @APIResponse(responseCode = "200", description = "Prometheus text format 0.0.4")
  @APIResponse(responseCode = "401", description = "no or invalid bearer token")
  @APIResponse(responseCode = "403", description = "the token lacks audit.read")
  public Response metrics() {
    return Response.ok(prometheus.scrape(), PROMETHEUS_TEXT).build();
  }
}
