package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An issuer found by OpenID Connect discovery ({@code tokenvault.auth.issuer} only): the vault
 * reads {@code jwks_uri} from the discovery document at start and verifies tokens against the
 * keys it serves. The issuer is a small local HTTP server standing in for Keycloak (the real
 * Keycloak test belongs to a later issue).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiscoveredIssuerIT {
  HttpServer idp;
  String issuer;
  RSAKey key;
  com.nimbusds.jose.jwk.ECKey ecKey;
  final AtomicInteger jwksFetches = new AtomicInteger();
  VaultServer server;

  @BeforeAll
  void start() throws IOException, JOSEException {
    key = new RSAKeyGenerator(2048).keyID("kc-1").generate();
    ecKey = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("kc-ec").generate();
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    issuer = "http://127.0.0.1:" + idp.getAddress().getPort() + "/realms/shop";
    String discovery = "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/protocol/openid-connect/certs\"}";
    String jwks = new JWKSet(List.of(key.toPublicJWK(), ecKey.toPublicJWK())).toString();
    idp.createContext("/realms/shop/.well-known/openid-configuration", ex -> respond(ex, discovery));
    idp.createContext("/realms/shop/protocol/openid-connect/certs", ex -> {
      jwksFetches.incrementAndGet();
      respond(ex, jwks);
    });
    idp.start();
    server = VaultServer.fresh("discovered", Map.of("tokenvault.auth.issuer", issuer)).start();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  @AfterAll
  void stop() {
    server.stop();
    idp.stop(0);
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  @Test
  void es256AndPs256AreAcceptedAndHs256IsNot() throws JOSEException {
    Instant now = Instant.now();
    var claims = DevTokens.claims(issuer, "audit.read", now, now.plusSeconds(300)).build();
    var es = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
        com.nimbusds.jose.JWSAlgorithm.ES256).keyID("kc-ec").build(), claims);
    es.sign(new com.nimbusds.jose.crypto.ECDSASigner(ecKey));
    assertThat(server.http().get("/v1/audit?limit=1", es.serialize()).statusCode()).isEqualTo(200);

    var ps = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
        com.nimbusds.jose.JWSAlgorithm.PS256).keyID("kc-1").build(), claims);
    ps.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
    assertThat(server.http().get("/v1/audit?limit=1", ps.serialize()).statusCode()).isEqualTo(200);

    var rs512 = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
        com.nimbusds.jose.JWSAlgorithm.RS512).keyID("kc-1").build(), claims);
    rs512.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
    assertThat(server.http().get("/v1/audit?limit=1", rs512.serialize()).statusCode())
        .as("an algorithm outside RS256/ES256/PS256").isEqualTo(401);

    var hs = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256), claims);
    hs.sign(new com.nimbusds.jose.crypto.MACSigner(new byte[32]));
    assertThat(server.http().get("/v1/audit?limit=1", hs.serialize()).statusCode()).isEqualTo(401);
  }

  @Test
  void tokensOfTheDiscoveredIssuerAreVerifiedAgainstItsJwks() {
    Instant now = Instant.now();
    String good = DevTokens.sign(key, DevTokens.claims(issuer, "payments.read audit.read", now, now.plusSeconds(300)).build());
    assertThat(server.http().get("/v1/audit?limit=1", good).statusCode()).isEqualTo(200);
    assertThat(server.http().get("/v1/audit?limit=1", good).statusCode()).isEqualTo(200);
    assertThat(jwksFetches.get()).isGreaterThanOrEqualTo(1);
    assertThat(server.logText()).contains("discovered the issuer's JWKS");

    // a route that writes: the request continues after the worker-thread verification
    String tok = DevTokens.sign(key, DevTokens.claims(issuer, "payments.tokenize", now, now.plusSeconds(300)).build());
    var t = server.http().postJson("/v1/tokens", tok, "{\"type\":\"account\",\"value\":\"1234567890123456\"}");
    assertThat(t.statusCode()).isEqualTo(201);
    String ready = server.http().get("/health/ready", null).body();
    assertThat(ready).contains("\"store\"").contains("UP");

    String otherIssuer = DevTokens.sign(key, DevTokens.claims(issuer + "-other", "audit.read", now, now.plusSeconds(300)).build());
    assertThat(server.http().get("/v1/audit", otherIssuer).statusCode()).isEqualTo(401);
    String noScope = DevTokens.sign(key, DevTokens.claims(issuer, "payments.read", now, now.plusSeconds(300)).build());
    assertThat(server.http().get("/v1/audit", noScope).statusCode()).isEqualTo(403);
  }
}
