package dev.tokenvault.server.capture;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.server.api.ApiContext;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.error.ProblemMappers;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Browser card capture: issues capture sessions and turns a capture JWE into a token.
 *
 * <h2>Flow of {@code POST /v1/capture}</h2>
 *
 * <ol>
 *   <li>open the JWE ({@link CaptureJwe}: ECDH-ES + A256GCM only, kid in force);
 *   <li>parse the payload ({@link CardSubmission}) and zero the decrypted bytes;
 *   <li>verify the session inside it ({@link CaptureSessions}) before looking at the card, so the
 *       route is no card-checking oracle for anyone without a session;
 *   <li>validate the card (Luhn, scheme length, expiry, CVV length), zeroing the CVV;
 *   <li>mark the session used ({@link ReplayGuard}); a replay stops here;
 *   <li>tokenize through the vault, in the session's namespace, audited as {@code Tokenize} by the
 *       principal {@value #PRINCIPAL} with the session's client id.
 * </ol>
 */
@ApplicationScoped
public class CaptureService {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(CaptureService.class);
  /** The audit principal of browser captures. */
  public static final String PRINCIPAL = "capture";
  /** The path the session's {@code aud} names, under {@code tokenvault.public-url}. */
  public static final String CAPTURE_PATH = "/v1/capture";
  public static final String JWKS_PATH = "/v1/capture/jwks";

  @Inject Vault vault;
  @Inject CaptureKeys keys;
  @Inject Clock clock;

  @ConfigProperty(name = "tokenvault.public-url")
  String publicUrl;

  @ConfigProperty(name = "tokenvault.capture.session-ttl-seconds", defaultValue = "600")
  int sessionTtlSeconds;

  @ConfigProperty(name = "tokenvault.capture.replay-cache-size", defaultValue = "100000")
  int replayCacheSize;

  private CaptureSessions.Audience audience;
  private ReplayGuard replays;

  @PostConstruct
  void init() {
    Duration ttl = Duration.ofSeconds(sessionTtlSeconds);
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(CaptureSessions.MAX_TTL) > 0) {
      throw new IllegalStateException(
          "tokenvault.capture.session-ttl-seconds must be between 1 and 900");
    }
    String base = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    publicUrl = base;
    audience = new CaptureSessions.Audience(base, base + CAPTURE_PATH);
    replays = new ReplayGuard(replayCacheSize, clock);
  }

  /** What {@code POST /v1/capture-sessions} answers. */
  @Schema(name = "CaptureSession")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SessionResponse(
      @Schema(description = "the signed session JWT (ES256), to put in the JWE payload") String session,
      Instant expiresAt,
      @Schema(description = "where the browser posts the JWE") String captureUrl,
      @Schema(description = "the vault's capture public keys") String jwksUrl,
      @Schema(description = "the JWK to encrypt to (ECDH-ES, A256GCM)", type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT)
      Map<String, Object> encryptionKey) {}

  /** What {@code POST /v1/capture} answers. */
  @Schema(name = "CaptureResponse")
  public record CaptureResponse(String token, String last4, String scheme,
      @Schema(description = "YYYY-MM; returned, never stored") String expiry) {}

  /** A session for the merchant {@code subject}/{@code clientId} in {@code namespace}. */
  public CompletionStage<SessionResponse> issue(
      String subject, String clientId, Namespace namespace, RequestContext ctx) {
    return keys.current(ctx).thenApply(set -> {
      CaptureSessions.Issued s = CaptureSessions.issue(set.signing(), audience, subject, clientId,
          namespace, Duration.ofSeconds(sessionTtlSeconds), clock);
      return new SessionResponse(s.jwt(), s.expiresAt(), publicUrl + CAPTURE_PATH,
          publicUrl + JWKS_PATH, set.encryptionJwk().toJSONObject());
    });
  }

  /** The JWK set of the keys in force (public parts only). */
  public CompletionStage<String> jwks(RequestContext ctx) {
    return keys.current(ctx).thenApply(set -> set.publicJwks().toString());
  }

  /** {@code POST /v1/capture}: a response, a problem for every refusal. */
  public CompletionStage<Response> capture(String contentType, String body, RoutingContext rc) {
    if (contentType == null || !contentType.trim().toLowerCase(java.util.Locale.ROOT)
        .startsWith("application/jose")) {
      return CompletableFuture.completedFuture(CaptureException.unsupportedMediaType().toResponse());
    }
    RequestContext keyCtx = RequestContext.system(dev.tokenvault.server.error.RequestIds.of(rc));
    return keys.current(keyCtx)
        .thenCompose(set -> {
          byte[] payload = CaptureJwe.open(body, set::decryptionKey);
          CardSubmission sub;
          try {
            sub = CardSubmission.parse(payload);
          } finally {
            Arrays.fill(payload, (byte) 0);
          }
          try (sub) {
            CaptureSessions.Session session =
                CaptureSessions.verify(sub.session(), set, audience, clock);
            CardSubmission.ValidCard card = sub.validate(clock);
            try {
              replays.firstUse(session.jti(), session.expiresAt().plus(CaptureSessions.SKEW));
            } catch (RuntimeException e) {
              card.pan().destroy();
              throw e;
            }
            Caller principal = new Caller(PRINCIPAL, session.clientId(), Set.of(PRINCIPAL),
                session.namespace(), session.expiresAt());
            RequestContext ctx = ApiContext.of(principal, rc);
            TokenizeCommand cmd =
                new TokenizeCommand(session.namespace(), card.pan(), false, null, Map.of());
            return vault.tokenize(cmd, ctx)
                .whenComplete((r, e) -> card.pan().destroy())
                .thenApply(r -> Response.status(201).entity(new CaptureResponse(
                    r.token().token().value(), r.token().last4(), r.token().scheme(),
                    card.expiry().toString())).build());
          }
        })
        .exceptionally(CaptureService::refusal);
  }

  /** A capture refusal becomes its problem; anything else goes to the shared mappers. */
  private static Response refusal(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof CaptureException ce) {
      // the code only: never the body, the session or anything decrypted
      LOG.infof("capture refused: code=%s status=%d", ce.code, ce.status);
      return ce.toResponse();
    }
    return ProblemMappers.toProblem(e).toResponse();
  }
}
