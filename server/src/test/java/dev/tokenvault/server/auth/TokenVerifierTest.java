package dev.tokenvault.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final RSAKey KEY = generate();

  final dev.tokenvault.testkit.MutableClock clock = new dev.tokenvault.testkit.MutableClock(T0);
  final CountingKeys keys = new CountingKeys(new JWKSet(KEY.toPublicJWK()));
  final TokenVerifier verifier = new TokenVerifier(
      new JwtValidator(keys, TestJwts.ISSUER, TestJwts.AUDIENCE, Duration.ofSeconds(30), clock), clock);

  static RSAKey generate() {
    try {
      return new RSAKeyGenerator(2048).keyID("k1").generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  String token(com.nimbusds.jwt.JWTClaimsSet claims) {
    return TestJwts.sign(KEY, JWSAlgorithm.RS256, claims);
  }

  @Test
  void aTokenIsVerifiedOnceThenServedFromTheCache() {
    String good = token(TestJwts.claims(T0, "payments.read audit.read").build());
    Caller first = verifier.verify(good);
    Caller second = verifier.verify(good);
    assertThat(keys.reads).isEqualTo(1);
    assertThat(second).isEqualTo(first);
    assertThat(verifier.cached(good)).isEqualTo(first);
    assertThat(first.scopes()).containsExactly("payments.read", "audit.read");
    assertThat(first.clientId()).isEqualTo("merchant");
    assertThat(first.namespace().name()).isEqualTo("default");
    assertThat(first.certificateThumbprint()).isNull();
  }

  @Test
  void aCachedTokenIsRefusedOnceItExpires() {
    String shortLived = token(TestJwts.claims(T0, "a").expirationTime(java.util.Date.from(T0.plusSeconds(60))).build());
    verifier.verify(shortLived);
    clock.advance(Duration.ofSeconds(61));
    assertThat(verifier.cached(shortLived)).isNull();
    assertThatThrownBy(() -> verifier.verify(shortLived)).isInstanceOf(InvalidTokenException.class)
        .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(AuthFailureReason.EXPIRED);
  }

  @Test
  void failuresAreNotCached() {
    String forged = token(TestJwts.claims(T0, "a").build()).replaceAll(".{4}$", "AAAA");
    assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(InvalidTokenException.class);
    assertThat(keys.reads).isEqualTo(2);
  }

  @Test
  void emptyAndHugeTokensAreRefusedUnparsed() {
    assertThatThrownBy(() -> verifier.verify("")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify("x".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1)))
        .isInstanceOf(InvalidTokenException.class);
    assertThat(keys.reads).isZero();
  }

  @Test
  void scopesComeFromScopeOrScp() {
    String list = token(TestJwts.claims(T0, null).claim("scp", List.of("a", "b")).build());
    String string = token(TestJwts.claims(T0, null).claim("scp", "c d").build());
    assertThat(verifier.verify(list).scopes()).containsExactly("a", "b");
    assertThat(verifier.verify(string).scopes()).containsExactly("c", "d");
  }

  @Test
  void theVaultsOwnClaimRules() {
    String noSub = token(TestJwts.claims(T0, "a").subject(null).build());
    String noExp = token(TestJwts.claims(T0, "a").expirationTime(null).build());
    String badNs = token(TestJwts.claims(T0, "a").claim(ClaimsValidator.NAMESPACE_CLAIM, "Bad NS").build());
    String ns = token(TestJwts.claims(T0, "a").claim(ClaimsValidator.NAMESPACE_CLAIM, "shop-1").build());
    String azp = token(TestJwts.claims(T0, "a").claim("client_id", null).claim("azp", "web").build());
    assertThatThrownBy(() -> verifier.verify(noSub)).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify(noExp)).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify(badNs)).isInstanceOf(InvalidTokenException.class);
    assertThat(verifier.verify(ns).namespace().name()).isEqualTo("shop-1");
    assertThat(verifier.verify(azp).clientId()).isEqualTo("web");
  }

  @Test
  void aCertificateBoundTokenCarriesItsThumbprint() {
    String bound = token(TestJwts.claims(T0, "a").claim("cnf", Map.of("x5t#S256", "abc_-")).build());
    assertThat(verifier.verify(bound).certificateThumbprint()).isEqualTo("abc_-");
    String otherMethod = token(TestJwts.claims(T0, "a").claim("cnf", Map.of("jkt", "x")).build());
    assertThatThrownBy(() -> verifier.verify(otherMethod)).isInstanceOf(InvalidTokenException.class)
        .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(AuthFailureReason.CERTIFICATE_BINDING);
  }

  @Test
  void theClientIdOfAnUnverifiedTokenIsReadOnlyWhenItParses() {
    String forged = token(TestJwts.claims(T0, "a").build()).replaceAll(".{4}$", "AAAA");
    assertThat(TokenVerifier.unverifiedClientId(forged)).isEqualTo("merchant");
    assertThat(TokenVerifier.unverifiedClientId("garbage")).isNull();
    String weird = token(TestJwts.claims(T0, "a").claim("client_id", "x y\n").build());
    assertThat(TokenVerifier.unverifiedClientId(weird)).isNull();
  }

  /** Fixed keys that count how often the validator asked for them. */
  static final class CountingKeys extends IssuerKeys {
    final JWKSet set;
    int reads;

    CountingKeys(JWKSet set) {
      this.set = set;
    }

    @Override
    public JWKSet current() {
      reads++;
      return set;
    }

    @Override
    public boolean refresh() {
      return false;
    }

    @Override
    public boolean remote() {
      return false;
    }
  }
}
