package dev.tokenvault.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.math.BigInteger;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies a bearer JWT: one small check per rule, in order, each failing with its own {@link
 * AuthFailureReason} (Spring Security's {@code NimbusJwtDecoder} + {@code JwtValidators} is the
 * model). Nimbus JOSE+JWT does the parsing and the signature mathematics; this class decides which
 * keys and algorithms are acceptable and checks the claims.
 *
 * <h2>Checks</h2>
 *
 * <ol>
 *   <li>Parse: a compact JWS (RFC 7515 §7.1) of three parts; anything else is {@code malformed}.
 *       An unsecured JWT ({@code alg: none}) or a JWE is {@code algorithm}.
 *   <li>Algorithm: RS256, PS256 or ES256 only (RFC 8725 §3.1). HMAC is never accepted: the vault
 *       holds only public keys, and an HS256 token "signed" with a public key as the secret
 *       (the algorithm-confusion attack) is refused here, before any key is touched.
 *   <li>Key: from the issuer's keys only (a {@code jwk}, {@code jku}, {@code x5u} or {@code x5c}
 *       in the token's header is never used). A key qualifies when its type fits the algorithm,
 *       its {@code use} is absent or {@code sig}, its {@code key_ops} absent or containing {@code
 *       verify}, its {@code alg} absent or equal to the token's, RSA keys have ≥ 2048 bits and an
 *       odd exponent ≥ 3, EC keys are on P-256. With a {@code kid}, exactly one key must carry it (a key without a {@code kid}, such as a
 *       static PEM key, matches any)
 *       (two keys with one {@code kid} are ambiguous and refused); an unknown {@code kid} triggers
 *       one rate-limited refetch of a remote JWKS ({@link IssuerKeys}) before {@code unknown_key}.
 *   <li>Signature ({@code signature}); Nimbus refuses unknown {@code crit} header parameters.
 *   <li>Claims: a JSON object ({@code malformed} otherwise); {@code iss} equals the configured
 *       issuer; {@code aud} contains the configured audience; {@code exp} present and not passed;
 *       {@code nbf} and {@code iat}, when present, not in the future; all with {@link #skew}.
 * </ol>
 */
public final class JwtValidator {
  /** RFC 8725 §3.1: an explicit allow-list; no {@code none}, no HMAC. */
  public static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256);
  /** NIST SP 800-57 Part 1: RSA below 2048 bits is not acceptable for signatures. */
  static final int MIN_RSA_BITS = 2048;
  /** Without a {@code kid}, at most this many keys are tried, so a JWKS cannot multiply the work. */
  static final int MAX_KEYS_WITHOUT_KID = 4;

  private final IssuerKeys keys;
  private final String issuer;
  private final String audience;
  private final Duration skew;
  private final Clock clock;

  public JwtValidator(IssuerKeys keys, String issuer, String audience, Duration skew, Clock clock) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.audience = Objects.requireNonNull(audience, "audience");
    this.skew = Objects.requireNonNull(skew, "skew");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** True when a verification may fetch keys over the network (run it off the event loop). */
  public boolean remoteKeys() {
    return keys.remote();
  }

  /** The verified claims of {@code raw}; throws {@link InvalidTokenException}. */
  public JWTClaimsSet validate(String raw) {
    SignedJWT jws = verifySignature(raw);
    JWTClaimsSet claims;
    try {
      claims = jws.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "the payload is not a JSON object");
    }
    checkIssuer(claims);
    checkAudience(claims);
    checkTimes(claims, clock.instant());
    return claims;
  }

  /**
   * Steps 1-4: parse, algorithm, key, signature; the payload is not interpreted. Returns the
   * verified JWS; throws {@link InvalidTokenException}.
   */
  public SignedJWT verifySignature(String raw) {
    SignedJWT jws = parse(raw);
    JWSHeader header = jws.getHeader();
    JWSAlgorithm alg = header.getAlgorithm();
    if (!ALGORITHMS.contains(alg)) {
      throw new InvalidTokenException(AuthFailureReason.ALGORITHM, "algorithm not accepted");
    }
    if (!header.isBase64URLEncodePayload()) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "unencoded payload (RFC 7797)");
    }
    List<JWK> candidates = candidates(header, keys.current());
    if (candidates.isEmpty() && keys.refresh()) {
      candidates = candidates(header, keys.current());
    }
    if (candidates.isEmpty()) {
      throw new InvalidTokenException(AuthFailureReason.UNKNOWN_KEY, "no issuer key matches the token");
    }
    if (header.getKeyID() != null && candidates.size() > 1) {
      throw new InvalidTokenException(AuthFailureReason.UNKNOWN_KEY, "several issuer keys carry this kid");
    }
    for (JWK key : candidates) {
      try {
        if (jws.verify(verifier(key))) {
          return jws;
        }
      } catch (JOSEException | IllegalStateException e) {
        // a key Nimbus cannot use for this token: try the next, else refuse as a bad signature
      }
    }
    throw new InvalidTokenException(AuthFailureReason.SIGNATURE, "the signature does not verify");
  }

  private static SignedJWT parse(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "empty token");
    }
    // three parts, two dots: rules out the JSON serialization and JWE (five parts) up front
    int dots = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
        throw new InvalidTokenException(AuthFailureReason.MALFORMED, "not base64url");
      }
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(raw);
    } catch (ParseException e) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "not a JWT");
    }
    if (!(jwt instanceof SignedJWT jws)) {
      // PlainJWT (alg: none) or EncryptedJWT
      throw new InvalidTokenException(AuthFailureReason.ALGORITHM, "not a signed JWT");
    }
    if (dots != 2) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "not a compact JWS");
    }
    return jws;
  }

  /** The issuer keys that may have signed a token with this header. */
  static List<JWK> candidates(JWSHeader header, JWKSet set) {
    List<JWK> out = new ArrayList<>();
    String kid = header.getKeyID();
    for (JWK key : set.getKeys()) {
      // a key published without a kid (a static PEM key) stands for any kid
      if (kid != null && key.getKeyID() != null && !kid.equals(key.getKeyID())) {
        continue;
      }
      if (usable(key, header.getAlgorithm())) {
        out.add(key);
      }
    }
    if (kid == null && out.size() > MAX_KEYS_WITHOUT_KID) {
      return out.subList(0, MAX_KEYS_WITHOUT_KID);
    }
    return out;
  }

  static boolean usable(JWK key, JWSAlgorithm alg) {
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      return false;
    }
    if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY)) {
      return false;
    }
    if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())) {
      return false;
    }
    if (JWSAlgorithm.Family.RSA.contains(alg)) {
      return key.getKeyType() == KeyType.RSA && strongRsa((RSAKey) key);
    }
    if (JWSAlgorithm.ES256.equals(alg)) {
      return key.getKeyType() == KeyType.EC && Curve.P_256.equals(((ECKey) key).getCurve());
    }
    return false;
  }

  private static boolean strongRsa(RSAKey key) {
    BigInteger e = key.getPublicExponent().decodeToBigInteger();
    BigInteger n = key.getModulus().decodeToBigInteger();
    return n.bitLength() >= MIN_RSA_BITS && e.testBit(0) && e.compareTo(BigInteger.valueOf(3)) >= 0
        && !RocaFingerprint.isVulnerable(n);
  }

  private static JWSVerifier verifier(JWK key) throws JOSEException {
    if (key instanceof RSAKey rsa) {
      return new RSASSAVerifier(rsa.toRSAPublicKey());
    }
    if (key instanceof ECKey ec) {
      return new ECDSAVerifier(ec.toECPublicKey());
    }
    throw new JOSEException("unsupported key type");
  }

  private void checkIssuer(JWTClaimsSet claims) {
    if (!issuer.equals(claims.getIssuer())) {
      throw new InvalidTokenException(AuthFailureReason.ISSUER, "iss is not the configured issuer");
    }
  }

  private void checkAudience(JWTClaimsSet claims) {
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      throw new InvalidTokenException(AuthFailureReason.AUDIENCE, "aud does not name the vault");
    }
  }

  private void checkTimes(JWTClaimsSet claims, Instant now) {
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "no exp");
    }
    if (!now.isBefore(exp.toInstant().plus(skew))) {
      throw new InvalidTokenException(AuthFailureReason.EXPIRED, "exp has passed");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
      throw new InvalidTokenException(AuthFailureReason.NOT_YET_VALID, "nbf is in the future");
    }
    Date iat = claims.getIssueTime();
    if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
      throw new InvalidTokenException(AuthFailureReason.NOT_YET_VALID, "iat is in the future");
    }
  }
}
