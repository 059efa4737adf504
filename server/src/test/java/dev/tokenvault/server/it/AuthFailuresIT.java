package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every way a bearer token can be wrong, over HTTPS against the packaged server (dev issuer): each
 * is 401 with {@code WWW-Authenticate: Bearer realm="tokenvault", error="invalid_token"} and one
 * and the same body whatever the reason (only the request id differs), or 403 with {@code
 * error="insufficient_scope"} and the scope needed (RFC 6750 §3). The reasons are in the log, for
 * operators. (The failure lockout is raised here so that this many failures from one address do
 * not lock it: AbuseControlsIT covers the lockout.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthFailuresIT {
  VaultServer server;
  Http http;

  @BeforeAll
  void start() {
    server = VaultServer.fresh("authfail", Map.of(
        "tokenvault.rate-limit.auth-failures.max-attempts-per-address", "1000",
        "tokenvault.rate-limit.auth-failures.max-attempts", "1000",
        "tokenvault.rate-limit.auth-failures.slowdown-step", "0s")).start();
    http = server.http();
  }

  @AfterAll
  void stop() {
    server.stop();
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  @Test
  void everyInvalidTokenIsTheSame401() throws JOSEException {
    RSAKey key = DevTokens.devKey(server.dataDir);
    Instant now = Instant.now();
    JWTClaimsSet good = DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).build();
    RSAKey foreignSameKid = new RSAKeyGenerator(2048).keyID(key.getKeyID()).generate();
    RSAKey unknownKid = new RSAKeyGenerator(2048).keyID("not-the-dev-key").generate();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.toPublicKey().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";

    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("malformed", "not.a-jwt");
    bad.put("malformed JSON payload", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA");
    bad.put("expired", DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read",
        now.minusSeconds(7200), now.minusSeconds(3600)).build()));
    bad.put("not yet valid", DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read",
        now.plusSeconds(3600), now.plusSeconds(7200)).build()));
    bad.put("wrong issuer", DevTokens.sign(key, DevTokens.claims("https://evil.example", "audit.read",
        now, now.plusSeconds(300)).build()));
    bad.put("wrong audience", DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read",
        now, now.plusSeconds(300)).audience("another-api").build()));
    bad.put("unknown kid", DevTokens.sign(unknownKid, good));
    bad.put("bad signature", DevTokens.sign(foreignSameKid, good));
    bad.put("alg none", DevTokens.unsigned(good));
    bad.put("HS256 with the RSA public key (PEM) as secret", hs256(pem.getBytes(StandardCharsets.US_ASCII), key.getKeyID(), good));
    bad.put("HS256 with the RSA public key (JWK) as secret",
        hs256(key.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), key.getKeyID(), good));

    String firstBody = null;
    for (Map.Entry<String, String> e : bad.entrySet()) {
      HttpResponse<String> r = http.get("/v1/audit", e.getValue());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).as(e.getKey())
          .startsWith("Bearer realm=\"tokenvault\"").contains("error=\"invalid_token\"");
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
      String body = withoutRequestId(r);
      if (firstBody == null) {
        firstBody = body;
      }
      assertThat(body).as("%s: the same body as every other invalid token", e.getKey()).isEqualTo(firstBody);
    }
    assertThat(Http.json(http.get("/v1/audit", bad.get("expired"))).get("code").asText()).isEqualTo("invalid_token");
    // the proof that each case failed for its own reason: the same claims, properly signed, pass
    assertThat(http.get("/v1/audit", DevTokens.sign(key, good)).statusCode()).isEqualTo(200);
    String log = server.logText();
    for (String reason : List.of("malformed", "expired", "not_yet_valid", "issuer", "audience",
        "unknown_key", "signature", "algorithm")) {
      assertThat(log).as("reason %s logged", reason).contains("reason=" + reason + " ");
    }
  }

  @Test
  void noTokenIs401WithTheRealmOnly() {
    HttpResponse<String> none = http.get("/v1/audit", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"tokenvault\"");
    assertThat(Http.json(none).get("code").asText()).isEqualTo("authentication_required");
    HttpResponse<String> basic = http.send(http.request("/v1/audit", null)
        .header("Authorization", "Basic YWRtaW46YWRtaW4=").GET().build());
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(basic.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"tokenvault\"");
  }

  @Test
  void aValidTokenWithoutTheScopeIs403NamingTheScope() {
    // missing scope altogether, and a token made for another route
    String tokenizeOnly = DevTokens.token(server, "merchant", "payments.tokenize");
    HttpResponse<String> r = http.postJson("/v1/detokenize", tokenizeOnly, "{\"token\":\"tok_AAAAAAAAAAAAAAAAAAAAAA\"}");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElse(""))
        .isEqualTo("Bearer realm=\"tokenvault\", error=\"insufficient_scope\", scope=\"payments.detokenize\"");
    assertThat(Http.json(r).get("code").asText()).isEqualTo("insufficient_scope");

    String readOnly = DevTokens.token(server, "merchant", "payments.read");
    HttpResponse<String> p = http.send(http.request("/v1/payments", readOnly)
        .header("Content-Type", "application/json").header("Idempotency-Key", "k-1")
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"tok_AAAAAAAAAAAAAAAAAAAAAA\",\"amount\":100,\"currency\":\"USD\"}")).build());
    assertThat(p.statusCode()).isEqualTo(403);
    assertThat(p.headers().firstValue("WWW-Authenticate").orElse("")).contains("scope=\"payments.create\"");
  }

  private static String withoutRequestId(HttpResponse<String> r) {
    JsonNode n = Http.json(r);
    ((ObjectNode) n).remove("requestId");
    return n.toString();
  }

  private static String hs256(byte[] secret, String kid, JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
    jwt.sign(new MACSigner(secret.length >= 32 ? secret : java.util.Arrays.copyOf(secret, 32)));
    return jwt.serialize();
  }
}
