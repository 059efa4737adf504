package dev.tokenvault.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jwt.JWTClaimsSet;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
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
 * {@link JwtValidator} checks the algorithm (RS256, PS256, ES256 only), the key, the signature,
 * {@code iss}, {@code aud}, {@code exp}, {@code nbf} and {@code iat} with a 30 s skew, each
 * failure with its reason. {@link ClaimsValidator} then applies the vault's own rules.
 *
 * <h2>Verified-token cache</h2>
 *
 * Key: SHA-256 of the raw token (the token itself is never kept as a key). Value: the {@link
 * Caller}. An entry lives until {@code min(exp, now + MAX_CACHE_TTL)}, so a token is never
 * accepted after its expiry and a revoked token or retired key is honoured for at most {@link
 * #MAX_CACHE_TTL}. Failures are not cached (a forged token costs one signature check each time;
 * the failure lockout, not this cache, is the defence against floods).
 */
@Singleton
public class TokenVerifier {
  /** Upper bound of how long a verified token is trusted without re-checking its signature. */
  static final Duration MAX_CACHE_TTL = Duration.ofMinutes(5);
  /** Bounds memory: ~10k live tokens is far more than any deployment's concurrent clients. */
  static final long MAX_CACHE_ENTRIES = 10_000;
  /** Tokens longer than this are refused unparsed (headers are limited to 16 KiB anyway). */
  static final int MAX_TOKEN_LENGTH = 8192;
  /** A client id taken from an unverified token is dropped when longer than this. */
  static final int MAX_UNVERIFIED_CLIENT_ID = 128;

  private final JwtValidator validator;
  private final Clock clock;
  private final Cache<String, Caller> cache;

  @Inject
  public TokenVerifier(JwtValidator validator, Clock clock) {
    this.validator = validator;
    this.clock = clock;
    this.cache = Caffeine.newBuilder()
        .maximumSize(MAX_CACHE_ENTRIES)
        // maintenance (read-buffer drains, eviction) inline: handing it to the common pool woke a
        // thread every few reads, which cost more than the work on this hot path
        .executor(Runnable::run)
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

  /** True when a cache miss may fetch the issuer's keys over the network. */
  public boolean remoteKeys() {
    return validator.remoteKeys();
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
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "empty or oversized token");
    }
    String key = sha256(raw);
    Caller cached = cache.getIfPresent(key);
    Instant now = clock.instant();
    if (cached != null && now.isBefore(cached.expiresAt())) {
      return cached;
    }
    Caller caller = ClaimsValidator.toCaller(validator.validate(raw));
    if (!now.isBefore(caller.expiresAt())) {
      throw new InvalidTokenException(AuthFailureReason.EXPIRED, "exp has passed");
    }
    cache.put(key, caller);
    return caller;
  }

  /**
   * The {@code client_id} (or {@code azp}) of a token that failed verification, if its payload
   * parses: attacker-controlled, so only for counting failures and for detectors. Null otherwise.
   */
  public static String unverifiedClientId(String raw) {
    if (raw == null || raw.length() > MAX_TOKEN_LENGTH) {
      return null;
    }
    try {
      JWTClaimsSet claims = com.nimbusds.jwt.JWTParser.parse(raw).getJWTClaimsSet();
      String id = claims == null ? null : ClaimsValidator.clientId(claims);
      if (id == null || id.length() > MAX_UNVERIFIED_CLIENT_ID
          || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        return null;
      }
      return id;
    } catch (java.text.ParseException | RuntimeException e) {
      return null;
    }
  }

  static String sha256(String raw) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
