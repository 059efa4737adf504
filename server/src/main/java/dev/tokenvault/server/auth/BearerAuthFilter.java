package dev.tokenvault.server.auth;

import dev.tokenvault.server.error.RequestIds;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.time.Duration;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The OAuth2 resource server (RFC 6750) in front of every REST route: the route's policy ({@link
 * PublicRoute} / {@link RequiresScope}, failing closed, and the metrics scrapers of {@link
 * ScraperCertificates.Admits}), then {@link BearerGate}'s decision, which says who gets in and
 * with which answer (401, 403, 429, 503) otherwise. The hot routes outside the REST layer ask the
 * same gate.
 */
public class BearerAuthFilter {
  @Inject BearerGate gate;
  @Inject CurrentCaller current;
  @Inject CurrentVertxRequest vertxRequest;
  @Inject ScraperCertificates scrapers;

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Uni<Response> authenticate(ContainerRequestContext ctx, ResourceInfo info) {
    Method method = info.getResourceMethod();
    if (method == null) {
      return Uni.createFrom().nullItem();
    }
    Class<?> type = info.getResourceClass();
    if (method.isAnnotationPresent(PublicRoute.class)
        || (type != null && type.isAnnotationPresent(PublicRoute.class))) {
      return Uni.createFrom().nullItem();
    }
    RoutingContext rc = vertxRequest.getCurrent();
    if (method.isAnnotationPresent(ScraperCertificates.Admits.class) && scrapers.admits(rc)) {
      return Uni.createFrom().nullItem();
    }
    RequiresScope required = method.getAnnotation(RequiresScope.class);
    if (required == null && type != null) {
      required = type.getAnnotation(RequiresScope.class);
    }
    String scope = required == null ? null : required.value();
    String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
    BearerGate.Decision d = gate.decide(rc, header, scope, false);
    if (d.needsWorker()) {
      return Uni.createFrom().item(() -> gate.decide(rc, header, scope, true))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
          .onItem().transformToUni(this::answer);
    }
    return answer(d);
  }

  /** Lets the caller through (null) or answers the refusal, held back by its delay. */
  private Uni<Response> answer(BearerGate.Decision d) {
    if (d.caller() != null) {
      current.set(d.caller());
      return Uni.createFrom().nullItem();
    }
    Response.ResponseBuilder b = d.problem().toResponseBuilder();
    if (d.wwwAuthenticate() != null) {
      b.header(HttpHeaders.WWW_AUTHENTICATE, d.wwwAuthenticate());
    }
    if (d.retryAfter() != null) {
      b.header("Retry-After", d.retryAfter());
    }
    Uni<Response> now = Uni.createFrom().item(b.build());
    return d.delay().isZero() ? now : now.onItem().delayIt().by(d.delay());
  }

  /** One body for every 429, so a lockout looks like any rate limit. */
  static Response tooManyRequests(Duration wait) {
    return BearerGate.rateLimited(RequestIds.current())
        .toResponseBuilder()
        .header("Retry-After", Long.toString(BearerGate.retryAfterSeconds(wait)))
        .build();
  }

  /** The base64url SHA-256 thumbprint of the TLS client certificate, or null without one. */
  public static String clientCertificateThumbprint(RoutingContext rc) {
    return BearerGate.clientCertificateThumbprint(rc);
  }
}
