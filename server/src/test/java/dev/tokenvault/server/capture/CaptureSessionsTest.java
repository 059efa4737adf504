package dev.tokenvault.server.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenvault.core.crypto.EcKeyPairs;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.vault.VaultKeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Capture sessions: what is signed, and each verification rule on its own. */
class CaptureSessionsTest {
  static final Instant T0 = Instant.parse("2026-11-30T23:58:00Z");
  static final CaptureSessions.Audience WHO =
      new CaptureSessions.Audience("https://vault.test", "https://vault.test/v1/capture");
  static final VaultKeyPair SIG = pair("capture-sig-2026-11", KeyPurpose.SIGNING, 1);
  static final VaultKeyPair PREV_SIG = pair("capture-sig-2026-10", KeyPurpose.SIGNING, 2);
  static final VaultKeyPair ENC = pair("capture-enc-2026-11", KeyPurpose.CAPTURE_ENCRYPTION, 3);
  static final CaptureKeySet KEYS = new CaptureKeySet(YearMonth.of(2026, 11), SIG,
      Optional.of(PREV_SIG), ENC, Optional.empty());

  static VaultKeyPair pair(String kid, KeyPurpose p, int seed) {
    byte[] s = new byte[32];
    s[0] = (byte) seed;
    return new VaultKeyPair(kid, p, EcKeyPairs.p256FromSeed(s, kid), T0);
  }

  static Clock at(Instant t) {
    return Clock.fixed(t, ZoneOffset.UTC);
  }

  static String issue() {
    return CaptureSessions.issue(SIG, WHO, "merchant", "merchant", Namespace.DEFAULT,
        Duration.ofMinutes(10), at(T0)).jwt();
  }

  static String code(String jwt, Instant now) {
    CaptureException e = catchThrowableOfType(CaptureException.class,
        () -> CaptureSessions.verify(jwt, KEYS, WHO, at(now)));
    assertThat(e).as("refused").isNotNull();
    return e.code;
  }

  /** A session signed by {@code key} with the default claims changed by {@code edit}. */
  static String forge(VaultKeyPair key, String kid, JOSEObjectType typ,
      UnaryOperator<JWTClaimsSet.Builder> edit) throws Exception {
    JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(WHO.issuer()).audience(WHO.audience())
        .subject("merchant").claim("client_id", "merchant").claim("tokenvault_namespace", "default")
        .issueTime(Date.from(T0)).expirationTime(Date.from(T0.plusSeconds(600))).jwtID("j1");
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).type(typ).build(),
        edit.apply(c).build());
    jwt.sign(new ECDSASigner(key.privateKey()));
    return jwt.serialize();
  }

  @Test
  void issuedSessionVerifiesWithItsClaims() throws Exception {
    CaptureSessions.Issued issued = CaptureSessions.issue(SIG, WHO, "merchant", "merchant-client",
        new Namespace("shop-1"), Duration.ofMinutes(10), at(T0));
    SignedJWT jwt = SignedJWT.parse(issued.jwt());
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo("capture-sig-2026-11");
    assertThat(jwt.getHeader().getType()).isEqualTo(CaptureSessions.TYPE);
    assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(T0.plusSeconds(600));
    CaptureSessions.Session s = CaptureSessions.verify(issued.jwt(), KEYS, WHO, at(T0.plusSeconds(30)));
    assertThat(s.clientId()).isEqualTo("merchant-client");
    assertThat(s.namespace()).isEqualTo(new Namespace("shop-1"));
    assertThat(s.jti()).isEqualTo(issued.jti()).hasSizeGreaterThanOrEqualTo(22);
  }

  @Test
  void expiresAfterExpPlusSkewOnly() {
    String jwt = issue();
    Instant exp = T0.plusSeconds(600);
    CaptureSessions.verify(jwt, KEYS, WHO, at(exp.plus(CaptureSessions.SKEW).minusSeconds(1)));
    assertThat(code(jwt, exp.plus(CaptureSessions.SKEW))).isEqualTo("capture_session_expired");
    assertThat(code(jwt, exp.plusSeconds(3600))).isEqualTo("capture_session_expired");
  }

  @Test
  void refusesLongerThanFifteenMinutesOrFromTheFuture() throws Exception {
    String longLived = forge(SIG, SIG.kid(), CaptureSessions.TYPE,
        c -> c.expirationTime(Date.from(T0.plus(Duration.ofMinutes(16)))));
    assertThat(code(longLived, T0)).isEqualTo("invalid_capture_session");
    String future = forge(SIG, SIG.kid(), CaptureSessions.TYPE,
        c -> c.issueTime(Date.from(T0.plusSeconds(60))).expirationTime(Date.from(T0.plusSeconds(300))));
    assertThat(code(future, T0)).isEqualTo("invalid_capture_session");
  }

  @Test
  void refusesWrongAudienceIssuerTypeAndClaims() throws Exception {
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE, c -> c.audience("tokenvault")), T0))
        .isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE,
        c -> c.audience(java.util.List.of(WHO.audience(), "other"))), T0)).isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE, c -> c.issuer("https://evil.test")), T0))
        .isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), JOSEObjectType.JWT, c -> c), T0))
        .isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE, c -> c.jwtID(null)), T0))
        .isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE,
        c -> c.claim("tokenvault_namespace", "tokenvault-system")), T0)).isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, SIG.kid(), CaptureSessions.TYPE, c -> c.claim("client_id", null)), T0))
        .isEqualTo("invalid_capture_session");
  }

  @Test
  void refusesBadSignaturesAndKidsNotInForce() throws Exception {
    VaultKeyPair stranger = pair(SIG.kid(), KeyPurpose.SIGNING, 99);
    assertThat(code(forge(stranger, SIG.kid(), CaptureSessions.TYPE, c -> c), T0))
        .as("another key under our kid").isEqualTo("invalid_capture_session");
    assertThat(code(forge(SIG, "capture-sig-2026-09", CaptureSessions.TYPE, c -> c), T0))
        .as("a kid no longer in force").isEqualTo("invalid_capture_session");
    assertThat(code(forge(ENC, ENC.kid(), CaptureSessions.TYPE, c -> c), T0))
        .as("the encryption key's kid").isEqualTo("invalid_capture_session");
    // the previous month's signing key is still accepted
    CaptureSessions.verify(forge(PREV_SIG, PREV_SIG.kid(), CaptureSessions.TYPE, c -> c), KEYS, WHO, at(T0));
    // a flipped signature byte, alg none, garbage
    String good = issue();
    String flipped = good.substring(0, good.length() - 2) + (good.endsWith("A") ? "BA" : "AA");
    assertThat(code(flipped, T0)).isEqualTo("invalid_capture_session");
    String[] p = good.split("\\.");
    String none = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"none\",\"typ\":\"capture-session+jwt\"}")
        + "." + p[1] + ".";
    assertThat(code(none, T0)).isEqualTo("invalid_capture_session");
    assertThat(code("garbage", T0)).isEqualTo("invalid_capture_session");
    assertThat(code(null, T0)).isEqualTo("invalid_capture_session");
  }

  @Test
  void kidsRotateByUtcMonthAndThePreviousStaysInForce() {
    assertThat(CaptureKeyIds.month(at(Instant.parse("2026-11-30T23:59:59Z")))).isEqualTo(YearMonth.of(2026, 11));
    assertThat(CaptureKeyIds.month(at(Instant.parse("2026-12-01T00:00:00Z")))).isEqualTo(YearMonth.of(2026, 12));
    assertThat(CaptureKeyIds.signing(YearMonth.of(2027, 1))).isEqualTo("capture-sig-2027-01");
    assertThat(CaptureKeyIds.encryption(YearMonth.of(2027, 1))).isEqualTo("capture-enc-2027-01");
    // a session issued at the end of November verifies in December with November as "previous"
    String late = issue();
    VaultKeyPair decSig = pair("capture-sig-2026-12", KeyPurpose.SIGNING, 4);
    CaptureKeySet december = new CaptureKeySet(YearMonth.of(2026, 12), decSig, Optional.of(SIG),
        pair("capture-enc-2026-12", KeyPurpose.CAPTURE_ENCRYPTION, 5), Optional.of(ENC));
    CaptureSessions.verify(late, december, WHO, at(Instant.parse("2026-12-01T00:05:00Z")));
    assertThat(december.decryptionKey(ENC.kid())).isPresent();
    assertThat(december.decryptionKey("capture-enc-2026-10")).isEmpty();
    assertThat(december.publicJwks().getKeys()).extracting(k -> k.getKeyID())
        .containsExactly("capture-enc-2026-12", "capture-enc-2026-11", "capture-sig-2026-12", "capture-sig-2026-11");
    assertThat(december.publicJwks().getKeys()).allMatch(k -> !k.isPrivate());
  }
}
