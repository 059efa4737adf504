package dev.tokenvault.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Each check of {@link JwtValidator} refuses with its own reason; rotation and its rate limit. */
class JwtValidatorTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final dev.tokenvault.testkit.MutableClock clock = new dev.tokenvault.testkit.MutableClock(T0);
  final RSAKey rsa;
  final ECKey ec;
  final JwtValidator validator;

  JwtValidatorTest() throws JOSEException {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    validator = validator(IssuerKeys.fixed(new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK()))));
  }

  JwtValidator validator(IssuerKeys keys) {
    return new JwtValidator(keys, TestJwts.ISSUER, TestJwts.AUDIENCE, Duration.ofSeconds(30), clock);
  }

  static AuthFailureReason reasonOf(Runnable r) {
    try {
      r.run();
    } catch (InvalidTokenException e) {
      return e.reason();
    }
    return null;
  }

  AuthFailureReason refuse(String token) {
    return reasonOf(() -> validator.validate(token));
  }

  @Test
  void goodTokensOfEveryAcceptedAlgorithmPass() {
    JWTClaimsSet c = TestJwts.claims(T0, "a").build();
    assertThat(validator.validate(TestJwts.sign(rsa, JWSAlgorithm.RS256, c)).getSubject()).isEqualTo("merchant");
    assertThat(validator.validate(TestJwts.sign(rsa, JWSAlgorithm.PS256, c)).getSubject()).isEqualTo("merchant");
    assertThat(validator.validate(TestJwts.sign(ec, JWSAlgorithm.ES256, c)).getSubject()).isEqualTo("merchant");
    // without a kid, the keys of the right type are tried
    assertThat(validator.validate(TestJwts.sign(rsa, new JWSHeader(JWSAlgorithm.RS256), c))).isNotNull();
  }

  @Test
  void eachFailureHasItsReason() throws JOSEException {
    JWTClaimsSet good = TestJwts.claims(T0, "a").build();
    assertThat(refuse("not a token")).isEqualTo(AuthFailureReason.MALFORMED);
    assertThat(refuse("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA.BBBB")).isIn(AuthFailureReason.MALFORMED, AuthFailureReason.ALGORITHM);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0.minusSeconds(3600), "a").build())))
        .isEqualTo(AuthFailureReason.EXPIRED);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0, "a")
        .notBeforeTime(Date.from(T0.plusSeconds(120))).build()))).isEqualTo(AuthFailureReason.NOT_YET_VALID);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0, "a")
        .notBeforeTime(null).issueTime(Date.from(T0.plusSeconds(120))).build()))).isEqualTo(AuthFailureReason.NOT_YET_VALID);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0, "a").issuer("https://evil.test").build())))
        .isEqualTo(AuthFailureReason.ISSUER);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0, "a").audience("other-api").build())))
        .isEqualTo(AuthFailureReason.AUDIENCE);
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    assertThat(refuse(TestJwts.sign(stranger, JWSAlgorithm.RS256, good))).isEqualTo(AuthFailureReason.SIGNATURE);
    RSAKey unknown = new RSAKeyGenerator(2048).keyID("rsa-9").generate();
    assertThat(refuse(TestJwts.sign(unknown, JWSAlgorithm.RS256, good))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
    assertThat(refuse(TestJwts.sign(rsa, JWSAlgorithm.RS512, good))).isEqualTo(AuthFailureReason.ALGORITHM);
    assertThat(refuse(unsigned(good))).isEqualTo(AuthFailureReason.ALGORITHM);
    // HS256 with the issuer's public key as the HMAC secret (algorithm confusion), both encodings
    byte[] der = rsa.toPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END PUBLIC KEY-----\n";
    assertThat(refuse(TestJwts.hs256(pem.getBytes(StandardCharsets.US_ASCII), "rsa-1", good))).isEqualTo(AuthFailureReason.ALGORITHM);
    assertThat(refuse(TestJwts.hs256(der, "rsa-1", good))).isEqualTo(AuthFailureReason.ALGORITHM);
    // a tampered payload
    String t = TestJwts.sign(rsa, JWSAlgorithm.RS256, good);
    String[] p = t.split("\\.");
    String other = Base64.getUrlEncoder().withoutPadding().encodeToString(
        TestJwts.claims(T0, "keys.admin").build().toString().getBytes(StandardCharsets.UTF_8));
    assertThat(refuse(p[0] + "." + other + "." + p[2])).isEqualTo(AuthFailureReason.SIGNATURE);
  }

  @Test
  void aKeyEmbeddedInTheHeaderIsNeverUsed() throws JOSEException {
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    String t = TestJwts.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
        .jwk(attacker.toPublicJWK()).build(), TestJwts.claims(T0, "a").build());
    assertThat(refuse(t)).isEqualTo(AuthFailureReason.SIGNATURE);
  }

  @Test
  void weakOrAmbiguousKeysAreNotUsed() throws JOSEException {
    RSAKey twin1 = new RSAKeyGenerator(2048).keyID("twin").generate();
    RSAKey twin2 = new RSAKeyGenerator(2048).keyID("twin").generate();
    RSAKey encryption = new RSAKeyGenerator(2048).keyID("enc").keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION).generate();
    JwtValidator v = validator(IssuerKeys.fixed(new JWKSet(List.of(
        twin1.toPublicJWK(), twin2.toPublicJWK(), encryption.toPublicJWK()))));
    JWTClaimsSet c = TestJwts.claims(T0, "a").build();
    // (keys under 2048 bits: Wycheproof's json_web_key #8, in WycheproofJoseTest)
    assertThat(reasonOf(() -> v.validate(TestJwts.sign(twin1, JWSAlgorithm.RS256, c)))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
    assertThat(reasonOf(() -> v.validate(TestJwts.sign(encryption, JWSAlgorithm.RS256, c)))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
  }

  @Test
  void anUnknownKidRefetchesTheJwksAtMostOncePerInterval() throws JOSEException {
    RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
    RSAKey later = new RSAKeyGenerator(2048).keyID("rsa-3").generate();
    AtomicReference<JWKSet> served = new AtomicReference<>(new JWKSet(rsa.toPublicJWK()));
    AtomicInteger fetches = new AtomicInteger();
    IssuerKeys remote = IssuerKeys.remote("test", () -> {
      fetches.incrementAndGet();
      return served.get().toString();
    }, clock, Duration.ofSeconds(30), Duration.ofMinutes(10));
    JwtValidator v = validator(remote);
    JWTClaimsSet c = TestJwts.claims(T0, "a").build();
    v.validate(TestJwts.sign(rsa, JWSAlgorithm.RS256, c));
    assertThat(fetches.get()).isEqualTo(1);

    // the issuer rotates: a token with the new kid makes the vault fetch the JWKS again
    clock.advance(Duration.ofSeconds(31));
    served.set(new JWKSet(List.of(rsa.toPublicJWK(), next.toPublicJWK())));
    assertThat(v.validate(TestJwts.sign(next, JWSAlgorithm.RS256, TestJwts.claims(clock.instant(), "a").build()))).isNotNull();
    assertThat(fetches.get()).isEqualTo(2);

    // a flood of invented kids: no fetch within the interval
    for (int i = 0; i < 20; i++) {
      RSAKey invented = new RSAKeyGenerator(2048).keyID("x" + i).generate();
      String t = TestJwts.sign(invented, JWSAlgorithm.RS256, TestJwts.claims(clock.instant(), "a").build());
      assertThat(reasonOf(() -> v.validate(t))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
    }
    assertThat(fetches.get()).isEqualTo(2);
    served.set(new JWKSet(List.of(later.toPublicJWK())));
    String withLater = TestJwts.sign(later, JWSAlgorithm.RS256, TestJwts.claims(clock.instant(), "a").build());
    assertThat(reasonOf(() -> v.validate(withLater))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
    clock.advance(Duration.ofSeconds(31));
    assertThat(v.validate(TestJwts.sign(later, JWSAlgorithm.RS256, TestJwts.claims(clock.instant(), "a").build()))).isNotNull();
    assertThat(fetches.get()).isEqualTo(3);
    // the removed key stops verifying once the set is refetched
    String old = TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(clock.instant(), "a").build());
    assertThat(reasonOf(() -> v.validate(old))).isEqualTo(AuthFailureReason.UNKNOWN_KEY);
  }

  @Test
  void anUnreachableIssuerIsUnavailableNotAnInvalidToken() {
    IssuerKeys down = IssuerKeys.remote("down", () -> {
      throw new IllegalStateException("connection refused");
    }, clock, Duration.ofSeconds(30), Duration.ofMinutes(10));
    String t = TestJwts.sign(rsa, JWSAlgorithm.RS256, TestJwts.claims(T0, "a").build());
    assertThatThrownBy(() -> validator(down).validate(t)).isInstanceOf(IssuerUnavailableException.class);
  }

  static String unsigned(JWTClaimsSet claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
  }

}
