package dev.tokenvault.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Verifies bearer JWTs, once per token.
 *
 * <h2>Verification</h2>
 *
 * smallrye-jwt ({@link JWTParser}) checks the signature against the configured key (the dev
 * issuer's JWKS file, the issuer's JWKS URI, or a static PEM key), the algorithm (RS256, ES256 or
 * PS256 only: {@code none} and HMAC are never accepted, since a public key is all we hold), {@code
 * iss}, {@code aud}, {@code exp} and {@code nbf} with a 30 s skew. {@link ClaimsValidator} then
 * applies the vault's own rules.
 *
 * <h2>Verified-token cache</h2>
 *
 * Key: SHA-256 of the raw token (the token itself is never kept as a key). Value: the {@link
 * Caller}. An entry lives until {@code min(exp, now + MAX_CACHE_TTL)}, so a token is never
 * accepted after its expiry and a revoked token or retired key is honoured for at most {@link
 * #MAX_CACHE_TTL}. Failures are not cached (a forged token costs one signature check each time;
 * rate limiting, not this cache, is the defence against floods).
 */
@ApplicationScoped
public class TokenVerifier {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(TokenVerifier.class);

  /** Upper bound of how long a verified token is trusted without re-checking its signature. */
  static final Duration MAX_CACHE_TTL = Duration.ofMinutes(5);
  /** Bounds memory: ~10k live tokens is far more than any deployment's concurrent clients. */
  static final long MAX_CACHE_ENTRIES = 10_000;
  /** Tokens longer than this are refused unparsed (headers are limited to 16 KiB anyway). */
  static final int MAX_TOKEN_LENGTH = 8192;

  private final JWTParser parser;
  private final Clock clock;
  private final Cache<String, Caller> cache;

  @Inject
  public TokenVerifier(JWTParser parser) {
    this(parser, Clock.systemUTC());
  }

  TokenVerifier(JWTParser parser, Clock clock) {
    this.parser = parser;
    this.clock = clock;
    this.cache = Caffeine.newBuilder()
        .maximumSize(MAX_CACHE_ENTRIES)
        .expireAfter(new Expiry<String, Caller>() {
          @Override
          public long expireAfterCreate(String key, Caller value, long currentTime) {
            Duration untilExp = Duration.between(clock.instant(), value.expiresAt());
            Duration ttl = untilExp.compareTo(MAX_CACHE_TTL) < 0 ? untilExp : MAX_CACHE_TTL;
            return Math.max(0, ttl.toNanos());
          }

          @Override
          public long expireAfterUpdate(String k, Caller v, long t, long currentDuration) {
            return currentDuration;
          }

          @Override
          public long expireAfterRead(String k, Caller v, long t, long currentDuration) {
            return currentDuration;
          }
        })
        .build();
  }

  /**
   * The cached caller of a token verified before and not yet expired, else null: a SHA-256 and a
   * map lookup, safe on the event loop.
   */
  public Caller cached(String raw) {
    if (raw == null || raw.isEmpty() || raw.length() > MAX_TOKEN_LENGTH) {
      return null;
    }
    Caller cached = cache.getIfPresent(sha256(raw));
    return cached != null && clock.instant().isBefore(cached.expiresAt()) ? cached : null;
  }

  /** The caller a raw bearer token stands for; throws {@link InvalidTokenException}. */
  public Caller verify(String raw) {
    if (raw == null || raw.isEmpty() || raw.length() > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenException("the access token is malformed");
    }
    String key = sha256(raw);
    Caller cached = cache.getIfPresent(key);
    Instant now = clock.instant();
    if (cached != null && now.isBefore(cached.expiresAt())) {
      return cached;
    }
    Caller caller;
    try {
      caller = ClaimsValidator.toCaller(parser.parse(raw));
    } catch (ParseException e) {
      // The reason (bad signature, wrong issuer, expired...) helps operators, never callers. It
      // names claims, never the token.
      LOG.debugf("token verification failed: %s", rootMessage(e));
      throw new InvalidTokenException("the access token is invalid or expired");
    }
    if (!now.isBefore(caller.expiresAt())) {
      throw new InvalidTokenException("the access token is invalid or expired");
    }
    cache.put(key, caller);
    return caller;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  private static String sha256(String raw) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
