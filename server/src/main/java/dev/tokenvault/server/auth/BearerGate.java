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
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The OAuth2 resource server's decision (RFC 6750) for one request to a route that needs a scope,
 * in small steps: source-address lockout, bearer extraction, verification ({@link TokenVerifier},
 * cached), client lockout, RFC 8705 certificate binding, the client's rate limit, then the scope.
 * Both request paths ask it: the REST layer through {@link BearerAuthFilter}, the hot routes
 * ({@code api.HotRoutes}) directly; each turns the {@link Decision} into its own kind of answer,
 * so the two cannot disagree on who gets in.
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
 * <h2>Cost and threads</h2>
 *
 * Runs on the event loop: a cache hit costs one SHA-256 and three map lookups (lockouts, bucket);
 * a miss with a local key one signature check. A miss with a remote JWKS may fetch keys over the
 * network: {@link #decide} then answers {@link Decision#needsWorker()} and the caller asks again
 * from a worker thread with {@code mayBlock}. A slowed-down refusal carries its {@link
 * Decision#delay()}: the caller schedules the answer, never sleeps.
 */
@ApplicationScoped
public class BearerGate {
  private static final Logger LOG = Logger.getLogger(BearerGate.class);
  static final String REALM = "Bearer realm=\"tokenvault\"";
  static final String INVALID_TOKEN = REALM + ", error=\"invalid_token\", error_description=\""
      + InvalidTokenException.PUBLIC_MESSAGE + "\"";

  @Inject TokenVerifier verifier;
  @Inject AuditLog auditLog;
  @Inject Clock clock;
  @Inject AuthLockout lockout;
  @Inject RateLimiter rateLimiter;
  @Inject AuthFailureRecorder recorder;

  /**
   * What to do with the request: let {@link #caller} through, or answer {@link #problem} with its
   * {@code WWW-Authenticate} / {@code Retry-After} headers (null when absent) after {@link
   * #delay}. {@link #needsWorker()} (neither set): verification may block, decide again off the
   * event loop.
   */
  public record Decision(
      Caller caller, Problem problem, String wwwAuthenticate, String retryAfter, Duration delay) {
    private static final Decision NEEDS_WORKER = new Decision(null, null, null, null, Duration.ZERO);

    static Decision allow(Caller caller) {
      return new Decision(caller, null, null, null, Duration.ZERO);
    }

    static Decision refuse(Problem problem) {
      return new Decision(null, problem, null, null, Duration.ZERO);
    }

    public boolean needsWorker() {
      return this == NEEDS_WORKER;
    }

    Decision delayedBy(Duration d) {
      return new Decision(caller, problem, wwwAuthenticate, retryAfter, d);
    }
  }

  /**
   * The decision for a request carrying {@code authorization} (the header, or null) to a route
   * that needs {@code scope} (null: the route is open to no scope, so every caller is refused).
   *
   * @param mayBlock whether this thread may wait for the issuer's keys (false on the event loop)
   */
  public Decision decide(RoutingContext rc, String authorization, String scope, boolean mayBlock) {
    String ip = sourceIp(rc);
    Duration ipLocked = lockout.addressLocked(ip);
    if (!ipLocked.isZero()) {
      return lockedOut(rc, null, ip, ipLocked);
    }
    if (authorization == null || authorization.isBlank()
        || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      recorder.failed(AuthFailureReason.MISSING, null, ip);
      return challenge(rc, 401, REALM, "authentication_required",
          authorization == null || authorization.isBlank() ? "a bearer access token is required"
              : "use the Bearer authentication scheme (RFC 6750)");
    }
    String raw = authorization.substring(7).trim();
    Caller hit = verifier.cached(raw);
    if (hit != null) {
      return authorize(hit, rc, ip, scope);
    }
    if (verifier.remoteKeys() && !mayBlock) {
      // a cache miss may fetch the issuer's JWKS over the network: never on the event loop
      return Decision.NEEDS_WORKER;
    }
    // local key (dev issuer JWKS file or a PEM key): one signature check, microseconds of CPU
    Caller caller;
    try {
      caller = verifier.verify(raw);
    } catch (InvalidTokenException e) {
      return refuse(e.reason(), e.getMessage(), TokenVerifier.unverifiedClientId(raw), null, rc, ip);
    } catch (IssuerUnavailableException e) {
      LOG.warnf("cannot verify tokens: %s", e.getMessage());
      return Decision.refuse(Problem.ofRequest(RequestIds.of(rc), 503, "issuer_unavailable",
          "the vault cannot reach its token issuer's keys; retry later"));
    }
    return authorize(caller, rc, ip, scope);
  }

  /** A 401 for a presented token: counted, maybe slowed down, maybe the start of a lockout. */
  private Decision refuse(AuthFailureReason reason, String why, String clientId, Caller verified,
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
    return challenge(rc, 401, INVALID_TOKEN, "invalid_token", InvalidTokenException.PUBLIC_MESSAGE)
        .delayedBy(v.delay());
  }

  /** Lockout, binding, rate limit and scope for a verified caller. */
  private Decision authorize(Caller caller, RoutingContext rc, String ip, String scope) {
    if (caller.clientId() != null) {
      MDC.put("clientId", caller.clientId());
    }
    Duration clientLocked = lockout.clientLocked(caller.clientId());
    if (!clientLocked.isZero()) {
      return lockedOut(rc, caller.clientId(), ip, clientLocked);
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
      return tooManyRequests(rc, wait);
    }
    if (scope == null) {
      recorder.failed(AuthFailureReason.SCOPE, caller.clientId(), ip);
      return challenge(rc, 403, REALM + ", error=\"insufficient_scope\"", "insufficient_scope",
          "this route is not open to any scope");
    }
    if (!caller.hasScope(scope)) {
      recorder.failed(AuthFailureReason.SCOPE, caller.clientId(), ip);
      audit(ApiContext.of(caller, rc), "insufficient_scope:" + scope, caller.namespace().name());
      return challenge(rc, 403, REALM + ", error=\"insufficient_scope\", scope=\"" + scope + "\"",
          "insufficient_scope", "this route needs the scope " + scope);
    }
    return Decision.allow(caller);
  }

  private Decision lockedOut(RoutingContext rc, String clientId, String ip, Duration remaining) {
    recorder.failed(AuthFailureReason.LOCKED_OUT, clientId, ip);
    recorder.rateLimited("auth_lockout");
    return tooManyRequests(rc, remaining);
  }

  private static Decision tooManyRequests(RoutingContext rc, Duration wait) {
    return new Decision(null, rateLimited(RequestIds.of(rc)), null,
        Long.toString(retryAfterSeconds(wait)), Duration.ZERO);
  }

  /** One body for every 429 (rate limit, lockout, the dev issuer's), so a lockout looks like any rate limit. */
  static Problem rateLimited(String requestId) {
    return Problem.ofRequest(requestId, 429, "rate_limited",
        "too many requests; retry after the time in Retry-After");
  }

  /** Whole seconds to announce in {@code Retry-After}: at least 1, rounded up. */
  static long retryAfterSeconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
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

  private static Decision challenge(RoutingContext rc, int status, String wwwAuthenticate,
      String code, String detail) {
    return new Decision(null, Problem.ofRequest(RequestIds.of(rc), status, code, detail),
        wwwAuthenticate, null, Duration.ZERO);
  }
}
