package dev.tokenvault.server.capture;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.vault.VaultKeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Capture sessions: short-lived JWTs the vault signs for a merchant and verifies when the browser
 * sends card data (inside the JWE).
 *
 * <h2>Token</h2>
 *
 * JWS ES256 (RFC 7518 §3.4) under a vault signing kid ({@link CaptureKeyIds}), header {@code typ:
 * capture-session+jwt} (explicit typing, RFC 8725 §3.11, so no other JWT the vault signs can pass
 * for a session). Claims: {@code iss} the vault's public URL, {@code aud} its capture endpoint,
 * {@code sub} and {@code client_id} the merchant, {@code tokenvault_namespace}, {@code iat}, {@code
 * exp} (at most {@link #MAX_TTL} after {@code iat}), {@code jti} (128 random bits).
 *
 * <h2>Verification</h2>
 *
 * One small check per rule, in this order, so that nothing about a forged token's claims is
 * revealed: algorithm, type, kid in force, signature; then {@code iss}, {@code aud}, {@code iat}
 * not in the future, lifetime, {@code exp}; then the merchant claims. Clock skew {@link #SKEW}:
 * the vault both signs and verifies, so only vault nodes' clocks differ. Single use is checked by
 * the caller ({@link ReplayGuard}) once the card is valid.
 */
final class CaptureSessions {
  static final JOSEObjectType TYPE = new JOSEObjectType("capture-session+jwt");
  /** The issue's bound: a session lives at most 15 minutes. */
  static final Duration MAX_TTL = Duration.ofMinutes(15);
  /** Allowed difference between vault nodes' clocks. */
  static final Duration SKEW = Duration.ofSeconds(10);
  /** Longest session JWT accepted (ours are about 600 characters). */
  static final int MAX_LENGTH = 2048;
  static final String CLIENT_ID = "client_id";
  static final String NAMESPACE = "tokenvault_namespace";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Where sessions come from and go to. */
  record Audience(String issuer, String audience) {
    Audience {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(audience, "audience");
    }
  }

  /** A verified session. */
  record Session(String jti, String subject, String clientId, Namespace namespace,
      Instant issuedAt, Instant expiresAt) {}

  /** A newly signed session. */
  record Issued(String jwt, String jti, Instant expiresAt) {}

  private CaptureSessions() {}

  static Issued issue(VaultKeyPair signing, Audience who, String subject, String clientId,
      Namespace namespace, Duration ttl, Clock clock) {
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("a session lives between 1 s and 15 min");
    }
    Instant iat = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant exp = iat.plus(ttl);
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(who.issuer())
        .audience(who.audience())
        .subject(subject)
        .claim(CLIENT_ID, clientId)
        .claim(NAMESPACE, namespace.name())
        .issueTime(Date.from(iat))
        .expirationTime(Date.from(exp))
        .jwtID(jti)
        .build();
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(signing.kid()).type(TYPE).build(), claims);
    try {
      jwt.sign(new ECDSASigner(signing.privateKey()));
    } catch (JOSEException e) {
      throw new IllegalStateException("ES256 signing failed", e);
    }
    return new Issued(jwt.serialize(), jti, exp);
  }

  /** Verifies {@code raw}; throws {@link CaptureException} (never echoing the token). */
  static Session verify(String raw, CaptureKeySet keys, Audience who, Clock clock) {
    if (raw == null || raw.isEmpty()) {
      throw CaptureException.invalidSession("the payload holds no capture session");
    }
    if (raw.length() > MAX_LENGTH) {
      throw CaptureException.invalidSession("the capture session is too long");
    }
    SignedJWT jwt;
    JWTClaimsSet c;
    try {
      jwt = SignedJWT.parse(raw);
      c = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw CaptureException.invalidSession("the capture session is not a signed JWT");
    }
    JWSHeader h = jwt.getHeader();
    if (!JWSAlgorithm.ES256.equals(h.getAlgorithm())) {
      throw CaptureException.invalidSession("the capture session is not signed with ES256");
    }
    if (!TYPE.equals(h.getType())) {
      throw CaptureException.invalidSession("the JWT is not a capture session (typ)");
    }
    if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
      throw CaptureException.invalidSession("the capture session has critical header parameters");
    }
    Optional<ECPublicKey> key = keys.verificationKey(h.getKeyID());
    if (key.isEmpty()) {
      throw CaptureException.invalidSession("the capture session is not signed by a vault key in force");
    }
    try {
      if (!jwt.verify(new ECDSAVerifier(key.get()))) {
        throw CaptureException.invalidSession("the capture session's signature is invalid");
      }
    } catch (JOSEException e) {
      throw CaptureException.invalidSession("the capture session's signature is invalid");
    }
    if (!who.issuer().equals(c.getIssuer())) {
      throw CaptureException.invalidSession("the capture session has the wrong issuer");
    }
    List<String> aud = c.getAudience();
    if (aud == null || aud.size() != 1 || !who.audience().equals(aud.get(0))) {
      throw CaptureException.invalidSession("the capture session has the wrong audience");
    }
    Date iatDate = c.getIssueTime();
    Date expDate = c.getExpirationTime();
    if (iatDate == null || expDate == null) {
      throw CaptureException.invalidSession("the capture session lacks iat or exp");
    }
    Instant now = clock.instant();
    Instant iat = iatDate.toInstant();
    Instant exp = expDate.toInstant();
    if (iat.isAfter(now.plus(SKEW))) {
      throw CaptureException.invalidSession("the capture session is issued in the future");
    }
    if (!exp.isAfter(iat) || Duration.between(iat, exp).compareTo(MAX_TTL) > 0) {
      throw CaptureException.invalidSession("the capture session's lifetime is out of bounds");
    }
    if (!now.isBefore(exp.plus(SKEW))) {
      throw CaptureException.expired();
    }
    String jti = c.getJWTID();
    if (jti == null || jti.isEmpty() || jti.length() > 64) {
      throw CaptureException.invalidSession("the capture session lacks a jti");
    }
    String clientId;
    String ns;
    try {
      clientId = c.getStringClaim(CLIENT_ID);
      ns = c.getStringClaim(NAMESPACE);
    } catch (ParseException e) {
      throw CaptureException.invalidSession("the capture session's merchant claims are malformed");
    }
    if (clientId == null || clientId.isEmpty() || c.getSubject() == null) {
      throw CaptureException.invalidSession("the capture session names no merchant");
    }
    Namespace namespace;
    try {
      if (ns == null) {
        throw CaptureException.invalidSession("the capture session names no namespace");
      }
      namespace = new Namespace(ns);
    } catch (InvalidValueException e) {
      throw CaptureException.invalidSession("the capture session's namespace is invalid");
    }
    if (namespace.isReserved()) {
      throw CaptureException.invalidSession("the capture session's namespace is reserved");
    }
    return new Session(jti, c.getSubject(), clientId, namespace, iat, exp);
  }
}
