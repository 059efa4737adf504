package dev.tokenvault.server.auth;

import dev.tokenvault.server.error.Problem;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
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
 * problem+json. Runs on the event loop: a cache hit costs one SHA-256.
 */
public class BearerAuthFilter {
  private static final Logger LOG = Logger.getLogger(BearerAuthFilter.class);
  static final String REALM = "Bearer realm=\"tokenvault\"";

  @Inject TokenVerifier verifier;
  @Inject CurrentCaller current;

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Response authenticate(ContainerRequestContext ctx, ResourceInfo info) {
    Method method = info.getResourceMethod();
    if (method == null) {
      return null;
    }
    Class<?> type = info.getResourceClass();
    if (method.isAnnotationPresent(PublicRoute.class)
        || (type != null && type.isAnnotationPresent(PublicRoute.class))) {
      return null;
    }
    String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      return challenge(401, REALM, "authentication_required", "a bearer access token is required");
    }
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return challenge(401, REALM, "authentication_required",
          "use the Bearer authentication scheme (RFC 6750)");
    }
    Caller caller;
    try {
      caller = verifier.verify(header.substring(7).trim());
    } catch (InvalidTokenException e) {
      LOG.infof("bearer token refused: %s", e.getMessage());
      return challenge(401, REALM + ", error=\"invalid_token\", error_description=\""
          + e.getMessage() + "\"", "invalid_token", e.getMessage());
    }
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
      return challenge(403, REALM + ", error=\"insufficient_scope\", scope=\"" + required.value()
          + "\"", "insufficient_scope", "this route needs the scope " + required.value());
    }
    current.set(caller);
    return null;
  }

  private static Response challenge(int status, String wwwAuthenticate, String code, String detail) {
    return Problem.of(status, code, detail).toResponseBuilder()
        .header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate)
        .build();
  }
}
