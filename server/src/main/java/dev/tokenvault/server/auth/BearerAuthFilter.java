package dev.tokenvault.server.auth;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.server.api.ApiContext;
import dev.tokenvault.server.error.Problem;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The OAuth2 resource server (RFC 6750) in front of every REST route, composed of small steps:
 * route policy ({@link PublicRoute} / {@link RequiresScope}, failing closed), bearer extraction,
 * verification ({@link TokenVerifier}, cached), then the scope check.
 *
 * <p>Answers: no credentials → 401 with {@code WWW-Authenticate: Bearer realm="tokenvault"};
 * a token that fails verification → 401 with {@code error="invalid_token"}; a valid token without
 * the route's scope → 403 with {@code error="insufficient_scope"} and the scope needed. Bodies are
 * problem+json. Runs on the event loop: a cache hit costs one SHA-256; a miss with a local key
 * one signature check; a miss with a remote JWKS runs on a worker thread, since it may fetch keys.
 */
public class BearerAuthFilter {
  private static final Logger LOG = Logger.getLogger(BearerAuthFilter.class);
  static final String REALM = "Bearer realm=\"tokenvault\"";

  @Inject TokenVerifier verifier;
  @Inject CurrentCaller current;
  @Inject AuditLog auditLog;
  @Inject CurrentVertxRequest vertxRequest;
  @Inject Clock clock;

  /** True when keys come from a JWKS URL (a cache miss may do network I/O). */
  final boolean remoteKeys;

  @Inject
  BearerAuthFilter(@ConfigProperty(name = "mp.jwt.verify.publickey.location") String keyLocation) {
    this.remoteKeys = keyLocation.startsWith("http:") || keyLocation.startsWith("https:");
  }

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
    String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      return Uni.createFrom().item(
          challenge(401, REALM, "authentication_required", "a bearer access token is required"));
    }
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Uni.createFrom().item(challenge(401, REALM, "authentication_required",
          "use the Bearer authentication scheme (RFC 6750)"));
    }
    String raw = header.substring(7).trim();
    Caller hit = verifier.cached(raw);
    if (hit != null) {
      return Uni.createFrom().item(authorize(hit, method, type));
    }
    if (remoteKeys) {
      // a cache miss may fetch the issuer's JWKS over the network: never on the event loop
      return Uni.createFrom().item(() -> verifyAndAuthorize(raw, method, type))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
    // local key (dev issuer JWKS file or a PEM key): one signature check, microseconds of CPU
    return Uni.createFrom().item(verifyAndAuthorize(raw, method, type));
  }

  private Response verifyAndAuthorize(String raw, Method method, Class<?> type) {
    Caller caller;
    try {
      caller = verifier.verify(raw);
    } catch (InvalidTokenException e) {
      LOG.infof("bearer token refused: %s", e.getMessage());
      return challenge(401, REALM + ", error=\"invalid_token\", error_description=\""
          + e.getMessage() + "\"", "invalid_token", e.getMessage());
    }
    return authorize(caller, method, type);
  }

  /** The scope check; null lets the request through. */
  private Response authorize(Caller caller, Method method, Class<?> type) {
    if (caller.clientId() != null) {
      MDC.put("clientId", caller.clientId());
    }
    RequiresScope required = method.getAnnotation(RequiresScope.class);
    if (required == null && type != null) {
      required = type.getAnnotation(RequiresScope.class);
    }
    if (required == null) {
      return challenge(403, REALM + ", error=\"insufficient_scope\"", "insufficient_scope",
          "this route is not open to any scope");
    }
    if (!caller.hasScope(required.value())) {
      auditDenied(caller, required.value());
      return challenge(403, REALM + ", error=\"insufficient_scope\", scope=\"" + required.value()
          + "\"", "insufficient_scope", "this route needs the scope " + required.value());
    }
    current.set(caller);
    return null;
  }

  /**
   * Audits a refused scope: an authenticated client reaching for more than it was granted is a
   * security signal. (Refused or missing tokens are logged, not audited: anyone can send them, and
   * each audit event is a durable write.)
   */
  private void auditDenied(Caller caller, String scope) {
    RoutingContext rc = vertxRequest.getCurrent();
    AuditEvent event = AuditEvent.builder(AuditAction.AUTH_FAILURE, ApiContext.of(caller, rc), clock.instant())
        .namespace(caller.namespace().name())
        .outcome(Outcome.DENIED, "insufficient_scope:" + scope)
        .build();
    auditLog.append(event).whenComplete((v, e) -> {
      if (e != null) {
        LOG.warnf("could not audit a refused scope: %s", e.getClass().getName());
      }
    });
  }

  private static Response challenge(int status, String wwwAuthenticate, String code, String detail) {
    return Problem.of(status, code, detail).toResponseBuilder()
        .header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate)
        .build();
  }
}
