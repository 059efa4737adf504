package dev.tokenvault.server.auth;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.server.api.ApiContext;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.server.http.PeerCertificates;
import dev.tokenvault.server.limits.AuthLockout;
import dev.tokenvault.server.limits.RateLimiter;
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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The OAuth2 resource server (RFC 6750) in front of every REST route, composed of small steps:
 * route policy ({@link PublicRoute} / {@link RequiresScope}, failing closed), source-address
 * lockout, bearer extraction, verification ({@link TokenVerifier}, cached), client lockout, RFC
 * 8705 certificate binding, the client's rate limit, then the scope check.
 *
 * <h2>Answers</h2>
 *
 * <ul>
 *   <li>no bearer token → 401, {@code WWW-Authenticate: Bearer realm="tokenvault"}, code {@code
 *       authentication_required};
 *   <li>a token that fails any check (malformed, expired, not yet valid, issuer, audience, unknown
 *       key, signature, algorithm, certificate binding) → 401 with {@code error="invalid_token"}
 *       and one fixed body, whatever the reason: the reason goes to metrics, logs and {@link
 *       AuthenticationFailed}, never to the caller;
 *   <li>a valid token without the route's scope → 403, {@code error="insufficient_scope",
 *       scope="..."};
 *   <li>a locked-out client or address, or a client over its rate → 429 {@code rate_limited}
 *       with {@code Retry-After} (the same body for both);
 *   <li>the issuer's keys cannot be fetched → 503 {@code issuer_unavailable} (never a 401).
 * </ul>
 *
 * <h2>Audit</h2>
 *
 * Refused scopes, certificate-binding failures (both: a verified client reaching beyond what it
 * was granted, or a token away from its certificate) and the start of a lockout are audited as
 * {@code AuthFailure}. Unverifiable tokens are not: anyone can send them, each audit event is a
 * durable write, and auditing them would let an anonymous flood grow the audit chain; they are
 * counted, logged and fired as events instead, and a flood of them ends in a lockout, which is.
 *
 * <h2>Cost</h2>
 *
 * Runs on the event loop: a cache hit costs one SHA-256 and three map lookups (lockouts, bucket);
 * a miss with a local key one signature check; a miss with a remote JWKS runs on a worker thread,
 * since it may fetch keys. A slowed-down refusal is scheduled, never slept.
 */
public class BearerAuthFilter {
  private static final Logger LOG = Logger.getLogger(BearerAuthFilter.class);
  static final String REALM = "Bearer realm=\"tokenvault\"";
  static final String INVALID_TOKEN = REALM + ", error=\"invalid_token\", error_description=\""
      + InvalidTokenException.PUBLIC_MESSAGE + "\"";

  @Inject TokenVerifier verifier;
  @Inject CurrentCaller current;
  @Inject AuditLog auditLog;
  @Inject CurrentVertxRequest vertxRequest;
  @Inject Clock clock;
  @Inject AuthLockout lockout;
  @Inject RateLimiter rateLimiter;
  @Inject AuthFailureRecorder recorder;
  @Inject ScraperCertificates scrapers;

  /** A response (null: let the request through) and how long to hold it back. */
  private record Answer(Response response, Duration delay) {
    static Answer now(Response r) {
      return new Answer(r, Duration.ZERO);
    }
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
    RoutingContext rc = vertxRequest.getCurrent();
    if (method.isAnnotationPresent(ScraperCertificates.Admits.class) && scrapers.admits(rc)) {
      return Uni.createFrom().nullItem();
    }
    String ip = sourceIp(rc);
    Duration ipLocked = lockout.addressLocked(ip);
    if (!ipLocked.isZero()) {
      return Uni.createFrom().item(lockedOut(null, ip, ipLocked));
    }
    String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || header.isBlank()
        || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      recorder.failed(AuthFailureReason.MISSING, null, ip);
      return Uni.createFrom().item(challenge(401, REALM, "authentication_required",
          header == null || header.isBlank() ? "a bearer access token is required"
              : "use the Bearer authentication scheme (RFC 6750)"));
    }
    String raw = header.substring(7).trim();
    Caller hit = verifier.cached(raw);
    if (hit != null) {
      return delayed(Uni.createFrom().item(authorize(hit, rc, ip, method, type)));
    }
    if (verifier.remoteKeys()) {
      // a cache miss may fetch the issuer's JWKS over the network: never on the event loop
      return delayed(Uni.createFrom().item(() -> verifyAndAuthorize(raw, rc, ip, method, type))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()));
    }
    // local key (dev issuer JWKS file or a PEM key): one signature check, microseconds of CPU
    return delayed(Uni.createFrom().item(verifyAndAuthorize(raw, rc, ip, method, type)));
  }

  private static Uni<Response> delayed(Uni<Answer> answer) {
    return answer.onItem().transformToUni(a -> a.delay().isZero()
        ? Uni.createFrom().item(a.response())
        : Uni.createFrom().item(a.response()).onItem().delayIt().by(a.delay()));
  }

  private Answer verifyAndAuthorize(String raw, RoutingContext rc, String ip, Method method, Class<?> type) {
    Caller caller;
    try {
      caller = verifier.verify(raw);
    } catch (InvalidTokenException e) {
      return refuse(e.reason(), e.getMessage(), TokenVerifier.unverifiedClientId(raw), null, rc, ip);
    } catch (IssuerUnavailableException e) {
      LOG.warnf("cannot verify tokens: %s", e.getMessage());
      return Answer.now(Problem.of(503, "issuer_unavailable",
          "the vault cannot reach its token issuer's keys; retry later").toResponse());
    }
    return authorize(caller, rc, ip, method, type);
  }

  /** A 401 for a presented token: counted, maybe slowed down, maybe the start of a lockout. */
  private Answer refuse(AuthFailureReason reason, String why, String clientId, Caller verified,
      RoutingContext rc, String ip) {
    LOG.infof("bearer token refused: reason=%s (%s)", reason.tag(), why);
    recorder.failed(reason, clientId, ip);
    AuthLockout.Verdict v = lockout.failure(ip, clientId);
    if (v.lockedNow()) {
      recorder.lockedOut();
      LOG.warnf("authentication lockout started after %d failures (source %s)", v.failures(), ip);
      audit(verified != null ? ApiContext.of(verified, rc) : anonymous(clientId, rc, ip),
          "auth_lockout", null);
    }
    return new Answer(challenge(401, INVALID_TOKEN, "invalid_token",
        InvalidTokenException.PUBLIC_MESSAGE), v.delay());
  }

  /** Lockout, binding, rate limit and scope for a verified caller; a null response lets it through. */
  private Answer authorize(Caller caller, RoutingContext rc, String ip, Method method, Class<?> type) {
    if (caller.clientId() != null) {
      MDC.put("clientId", caller.clientId());
    }
    Duration clientLocked = lockout.clientLocked(caller.clientId());
    if (!clientLocked.isZero()) {
      return Answer.now(lockedOut(caller.clientId(), ip, clientLocked));
    }
    if (caller.certificateThumbprint() != null && !boundCertificatePresented(caller, rc)) {
      audit(ApiContext.of(caller, rc), "certificate_binding", caller.namespace().name());
      return refuse(AuthFailureReason.CERTIFICATE_BINDING, "no matching client certificate",
          caller.clientId(), caller, rc, ip);
    }
    lockout.success(caller.clientId());
    Duration wait = rateLimiter.check(caller.clientId() != null ? caller.clientId() : caller.subject());
    if (!wait.isZero()) {
      recorder.rateLimited("client");
      return Answer.now(tooManyRequests(wait));
    }
    RequiresScope required = method.getAnnotation(RequiresScope.class);
    if (required == null && type != null) {
      required = type.getAnnotation(RequiresScope.class);
    }
    if (required == null) {
      recorder.failed(AuthFailureReason.SCOPE, caller.clientId(), ip);
      return Answer.now(challenge(403, REALM + ", error=\"insufficient_scope\"", "insufficient_scope",
          "this route is not open to any scope"));
    }
    if (!caller.hasScope(required.value())) {
      recorder.failed(AuthFailureReason.SCOPE, caller.clientId(), ip);
      audit(ApiContext.of(caller, rc), "insufficient_scope:" + required.value(), caller.namespace().name());
      return Answer.now(challenge(403, REALM + ", error=\"insufficient_scope\", scope=\""
          + required.value() + "\"", "insufficient_scope", "this route needs the scope " + required.value()));
    }
    current.set(caller);
    return Answer.now(null);
  }

  private Response lockedOut(String clientId, String ip, Duration remaining) {
    recorder.failed(AuthFailureReason.LOCKED_OUT, clientId, ip);
    recorder.rateLimited("auth_lockout");
    return tooManyRequests(remaining);
  }

  /** One body for every 429, so a lockout looks like any rate limit. */
  static Response tooManyRequests(Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    return Problem.of(429, "rate_limited", "too many requests; retry after the time in Retry-After")
        .toResponseBuilder().header("Retry-After", Long.toString(seconds)).build();
  }

  /** RFC 8705 §3: the SHA-256 of the presented certificate's DER must equal cnf.x5t#S256. */
  static boolean boundCertificatePresented(Caller caller, RoutingContext rc) {
    byte[] expected = caller.certificateThumbprint().getBytes(StandardCharsets.US_ASCII);
    String presented = clientCertificateThumbprint(rc);
    return presented != null
        && MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.US_ASCII));
  }

  /** The base64url SHA-256 thumbprint of the TLS client certificate, or null without one. */
  public static String clientCertificateThumbprint(RoutingContext rc) {
    return rc == null ? null : PeerCertificates.of(rc.request()).thumbprint();
  }


  private static String sourceIp(RoutingContext rc) {
    return rc == null || rc.request().remoteAddress() == null ? null
        : rc.request().remoteAddress().hostAddress();
  }

  private static RequestContext anonymous(String clientId, RoutingContext rc, String ip) {
    String ua = rc.request().getHeader("User-Agent");
    if (ua != null && ua.length() > 256) {
      ua = ua.substring(0, 256);
    }
    return new RequestContext("anonymous", clientId, List.of(), ip, ua, null, RequestIds.of(rc));
  }

  /** Audits a refusal; a failure to audit is logged, never turned into another answer. */
  private void audit(RequestContext context, String code, String namespace) {
    AuditEvent.Builder b = AuditEvent.builder(AuditAction.AUTH_FAILURE, context, clock.instant())
        .outcome(Outcome.DENIED, code)
        .namespace(namespace != null ? namespace : "default");
    auditLog.append(b.build()).whenComplete((v, e) -> {
      if (e != null) {
        LOG.warnf("could not audit a refused request: %s", e.getClass().getName());
      }
    });
  }

  private static Response challenge(int status, String wwwAuthenticate, String code, String detail) {
    return Problem.of(status, code, detail).toResponseBuilder()
        .header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate)
        .build();
  }
}
