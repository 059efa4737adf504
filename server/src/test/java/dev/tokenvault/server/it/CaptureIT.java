package dev.tokenvault.server.it;

import static dev.tokenvault.server.it.ServerIT.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.crypto.EcKeyPairs;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.VaultKeyPair;
import dev.tokenvault.store.jdbc.SqliteStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Browser card capture over HTTPS against the real server: sessions, the JWKS, encrypted
 * submissions, and every refusal with its code. Sessions with chosen claims are signed with the
 * vault's own signing key, read once from the stopped vault's data directory the way the vault
 * reads it (local KEK file, SQLite), so expiry and audience are tested without waiting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureIT {
  static final String VISA = "4111111111111111";
  static final String AMEX = "378282246310005";
  static final String MASTERCARD = "5555555555554444";
  static final String CVV = "123";
  static final String EXPIRY = "12/" + String.format("%02d", (YearMonth.now(ZoneOffset.UTC).getYear() + 3) % 100);
  static final String JOSE = "application/jose";

  VaultServer server;
  Http http;
  VaultKeyPair vaultSigningKey;
  String issuer;

  @BeforeAll
  void start() throws Exception {
    server = VaultServer.fresh("capture", Map.of()).start();
    http = server.http();
    JsonNode first = session(); // creates this month's capture keys
    issuer = SignedJWT.parse(first.get("session").asText()).getJWTClaimsSet().getIssuer();
    String kid = SignedJWT.parse(first.get("session").asText()).getHeader().getKeyID();
    server.stop();
    vaultSigningKey = readVaultKey(kid);
    server.start();
    http = server.http();
  }

  /** The vault's signing key pair, read from its data directory while it is stopped. */
  private VaultKeyPair readVaultKey(String kid) {
    Clock clock = Clock.systemUTC();
    try (SqliteStore store = SqliteStore.open(server.dataDir.resolve("tokenvault.db"));
        LocalKeyManager keys = LocalKeyManager.open(server.dataDir, null, clock);
        DefaultVault vault = DefaultVault.builder().keyManager(keys).tokenStore(store)
            .paymentStore(store).paymentProcessor(new SimulatedAcquirer()).clock(clock).build()) {
      return vault.findVaultKeyPair(KeyPurpose.SIGNING, kid, RequestContext.system("capture-it"))
          .toCompletableFuture().join().orElseThrow();
    }
  }

  @AfterAll
  void stopAndScan() {
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log)))
        .as("card numbers in the data directory or the server log while running").isEmpty();
    server.stop();
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log)))
        .as("card numbers in the data directory or the server log").isEmpty();
    assertThat(server.logText()).doesNotContain("\"cvv\"").doesNotContain("\"number\"");
  }

  private JsonNode session() {
    HttpResponse<String> r = http.send(http.request("/v1/capture-sessions",
        DevTokens.token(server, "payments.tokenize")).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Http.json(r);
  }

  private HttpResponse<String> capture(String body) {
    return capture(body, JOSE);
  }

  private HttpResponse<String> capture(String body, String type) {
    return http.send(http.request("/v1/capture", null).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private String jwe(JsonNode s, String number, String cvv) {
    return CaptureJwes.seal(s.get("encryptionKey"),
        CaptureJwes.payload(number, EXPIRY, cvv, "Ada Lovelace", s.get("session").asText()));
  }

  /** A session with chosen claims, signed by {@code key} under {@code kid}. */
  private String forge(ECPrivateKey key, String kid, UnaryOperator<JWTClaimsSet.Builder> edit) throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(issuer).audience(issuer + "/v1/capture")
        .subject("admin").claim("client_id", "admin").claim("tokenvault_namespace", "default")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)))
        .jwtID(UUID.randomUUID().toString());
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid)
        .type(new JOSEObjectType("capture-session+jwt")).build(), edit.apply(c).build());
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  private String sealForged(JsonNode s, String session) {
    return CaptureJwes.seal(s.get("encryptionKey"),
        CaptureJwes.payload(VISA, EXPIRY, CVV, "Ada Lovelace", session));
  }

  // ---------- the flow ----------

  @Test
  void sessionJwksCaptureAndAudit() throws Exception {
    JsonNode s = session();
    assertThat(s.get("captureUrl").asText()).endsWith("/v1/capture");
    JsonNode key = s.get("encryptionKey");
    assertThat(key.get("kty").asText()).isEqualTo("EC");
    assertThat(key.get("crv").asText()).isEqualTo("P-256");
    assertThat(key.get("use").asText()).isEqualTo("enc");
    assertThat(key.get("alg").asText()).isEqualTo("ECDH-ES");
    assertThat(key.has("d")).isFalse();
    SignedJWT session = SignedJWT.parse(s.get("session").asText());
    JWTClaimsSet claims = session.getJWTClaimsSet();
    assertThat(session.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(claims.getAudience()).containsExactly(claims.getIssuer() + "/v1/capture");
    assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime())
        .isLessThanOrEqualTo(15 * 60 * 1000L);
    assertThat(claims.getJWTID()).isNotEmpty();
    assertThat(claims.getStringClaim("client_id")).isEqualTo("admin");
    assertThat(claims.getStringClaim("tokenvault_namespace")).isEqualTo("default");

    // the JWKS: no authentication, public keys only, the session's and the encryption kids
    HttpResponse<String> jwks = http.get("/v1/capture/jwks", null);
    assertThat(jwks.statusCode()).isEqualTo(200);
    List<String> kids = Http.json(jwks).get("keys").findValuesAsText("kid");
    assertThat(kids).contains(key.get("kid").asText(), session.getHeader().getKeyID());
    assertThat(jwks.body()).doesNotContain("\"d\"");
    assertThat(com.nimbusds.jose.jwk.ECKey.parse(Http.json(jwks).get("keys").get(1).toString())
        .toECPublicKey()).isNotNull();
    assertThat(session.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(com.nimbusds.jose.jwk.JWKSet
        .parse(jwks.body()).getKeyByKeyId(session.getHeader().getKeyID()).toECKey()))).isTrue();

    HttpResponse<String> r = capture(jwe(s, VISA, CVV));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode body = Http.json(r);
    assertThat(body.get("token").asText()).startsWith("tok_");
    assertThat(body.get("last4").asText()).isEqualTo("1111");
    assertThat(body.get("scheme").asText()).isEqualTo("visa");
    assertThat(body.get("expiry").asText()).matches("\\d{4}-12");
    assertThat(r.body()).doesNotContain(VISA).doesNotContain("Ada");

    // the token is a real one: the merchant reads it, the admin detokenizes it
    HttpResponse<String> meta = http.get("/v1/tokens/" + body.get("token").asText(),
        DevTokens.token(server, "payments.read"));
    assertThat(meta.statusCode()).isEqualTo(200);
    JsonNode stored = Http.json(meta).get("metadata");
    assertThat(stored == null || stored.isNull() || stored.isEmpty())
        .as("neither expiry nor name is kept as metadata").isTrue();

    // audited as Tokenize by the capture principal, with the session's client, no card data
    HttpResponse<String> audit = http.get("/v1/audit?token=" + body.get("token").asText(),
        DevTokens.token(server, "audit.read"));
    JsonNode events = Http.json(audit).get("events");
    assertThat(events).anySatisfy(e -> {
      assertThat(e.get("eventName").asText()).isEqualTo("Tokenize");
      assertThat(e.get("principal").asText()).isEqualTo("capture");
      assertThat(e.get("clientId").asText()).isEqualTo("admin");
      assertThat(e.get("outcome").asText()).isEqualTo("success");
    });
    assertThat(LeakScan.findings("the audit trail", audit.body().getBytes())).isEmpty();
    assertThat(audit.body()).doesNotContain("Ada");
  }

  @Test
  void eachSchemeWithItsCvvLength() {
    for (String[] c : new String[][] {{AMEX, "1234", "amex", "0005"}, {MASTERCARD, CVV, "mastercard", "4444"}}) {
      HttpResponse<String> r = capture(jwe(session(), c[0], c[1]));
      assertThat(r.statusCode()).as(c[2]).isEqualTo(201);
      assertThat(Http.json(r).get("scheme").asText()).isEqualTo(c[2]);
      assertThat(Http.json(r).get("last4").asText()).isEqualTo(c[3]);
    }
  }

  // ---------- refusals ----------

  @Test
  void aReplayedSessionIsRefused() {
    JsonNode s = session();
    String jwe = jwe(s, VISA, CVV);
    assertThat(capture(jwe).statusCode()).isEqualTo(201);
    assertProblem(capture(jwe), 409, "capture_session_replayed");
    // the same session in a new JWE, with another card
    assertProblem(capture(jwe(s, MASTERCARD, CVV)), 409, "capture_session_replayed");
  }

  @Test
  void anInvalidCardIsRefusedWithoutEchoAndDoesNotUseTheSession() {
    JsonNode s = session();
    HttpResponse<String> r = capture(jwe(s, "4111111111111112", "12"));
    assertProblem(r, 400, "invalid_card");
    assertThat(Http.json(r).get("errors").findValuesAsText("code"))
        .containsExactly("luhn_check_failed", "invalid_cvv_length");
    assertThat(r.body()).doesNotContain("4111111111111112").doesNotContain("1112");
    HttpResponse<String> amexCvv = capture(jwe(s, AMEX, CVV));
    assertProblem(amexCvv, 400, "invalid_card");
    assertThat(Http.json(amexCvv).get("errors").findValuesAsText("field")).containsExactly("cvv");
    assertThat(capture(jwe(s, VISA, CVV)).statusCode()).as("the session is still unused").isEqualTo(201);
  }

  @Test
  void expiredWrongAudienceAndBadlySignedSessionsAreRefused() throws Exception {
    JsonNode s = session();
    ECPrivateKey vaultKey = vaultSigningKey.privateKey();
    String kid = vaultSigningKey.kid();
    Instant now = Instant.now();

    HttpResponse<String> good = capture(sealForged(s, forge(vaultKey, kid, c -> c)));
    assertThat(good.statusCode()).as("a session we signed with the vault's key passes").isEqualTo(201);

    HttpResponse<String> expired = capture(sealForged(s, forge(vaultKey, kid, c -> c
        .issueTime(Date.from(now.minusSeconds(1200))).expirationTime(Date.from(now.minusSeconds(600))))));
    assertProblem(expired, 401, "capture_session_expired");
    assertThat(expired.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");

    assertProblem(capture(sealForged(s, forge(vaultKey, kid, c -> c.audience("tokenvault")))),
        401, "invalid_capture_session");
    assertProblem(capture(sealForged(s, forge(vaultKey, kid, c -> c.issuer("https://elsewhere.example")))),
        401, "invalid_capture_session");
    ECPrivateKey stranger = (ECPrivateKey) EcKeyPairs.p256FromSeed(new byte[32], "stranger").getPrivate();
    assertProblem(capture(sealForged(s, forge(stranger, kid, c -> c))), 401, "invalid_capture_session");
    assertProblem(capture(sealForged(s, forge(vaultKey, "capture-sig-2020-01", c -> c))),
        401, "invalid_capture_session");
    // a dev access token is a JWT too, but not a capture session
    assertProblem(capture(sealForged(s, DevTokens.token(server, "payments.tokenize"))),
        401, "invalid_capture_session");
    assertProblem(capture(sealForged(s, "")), 401, "invalid_capture_session");
  }

  @Test
  void wrongKidTamperedAndForeignJwesAreRefused() {
    JsonNode s = session();
    String payload = CaptureJwes.payload(VISA, EXPIRY, CVV, "Ada Lovelace", s.get("session").asText());
    assertProblem(capture(CaptureJwes.seal(s.get("encryptionKey"), "capture-enc-2020-01", payload)),
        400, "unknown_kid");

    String jwe = jwe(s, VISA, CVV);
    String[] parts = jwe.split("\\.", -1);
    for (int part : new int[] {2, 3, 4}) {
      byte[] b = Base64URL.from(parts[part]).decode();
      b[b.length / 2] ^= 1;
      String[] t = parts.clone();
      t[part] = Base64URL.encode(b).toString();
      assertProblem(capture(String.join(".", t)), 400, "invalid_jwe");
    }
    // a header changed after encryption (here: the enc value's case) breaks the tag or the policy
    String header = new String(Base64URL.from(parts[0]).decode());
    String[] t = parts.clone();
    t[0] = Base64URL.encode(header.replace("\"A256GCM\"", "\"A128GCM\"")).toString();
    assertProblem(capture(String.join(".", t)), 400, "invalid_jwe");

    assertProblem(capture("not.a.jwe"), 400, "invalid_jwe");
    assertProblem(capture(""), 400, "invalid_jwe");
    assertProblem(capture(jwe, "application/json"), 415, "unsupported_media_type");
    HttpResponse<String> big = capture("e".repeat(20_000));
    assertProblem(big, 413, "request_too_large");

    // the untouched JWE still works: the refusals used nothing up
    assertThat(capture(jwe).statusCode()).isEqualTo(201);
  }

  @Test
  void theCheckoutPageIsServedWithAStrictPolicy() {
    HttpResponse<String> page = http.get("/checkout", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertThat(csp).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'",
        "frame-ancestors 'none'", "form-action 'none'");
    assertThat(page.body()).contains("autocomplete=\"cc-number\"", "autocomplete=\"cc-exp\"",
        "autocomplete=\"cc-csc\"", "autocomplete=\"cc-name\"", "inputmode=\"numeric\"")
        .doesNotContain("http://", "<script>").doesNotContainPattern("https?://(?!localhost)");
    assertThat(http.get("/checkout/checkout.js", null).headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/javascript");
    assertThat(http.get("/checkout/checkout.css", null).statusCode()).isEqualTo(200);
    assertProblem(http.get("/checkout/secret.txt", null), 404, "not_found");
    HttpResponse<String> dev = http.send(http.request("/checkout/session", null)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(dev.statusCode()).isEqualTo(201);
    assertThat(Http.json(dev).get("encryptionKey").get("kid").asText()).startsWith("capture-enc-");
  }

  @Test
  void keysSurviveARestart() throws Exception {
    assertThat(Files.exists(server.dataDir.resolve("tokenvault.db"))).isTrue();
    assertThat(vaultSigningKey.kid()).isEqualTo("capture-sig-" + YearMonth.now(ZoneOffset.UTC));
  }
}
