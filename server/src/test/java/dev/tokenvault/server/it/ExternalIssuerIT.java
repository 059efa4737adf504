package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * With {@code tokenvault.auth.issuer} set (static public key mode), the dev issuer is off, its
 * tokens are refused, and the issuer's tokens are verified for signature, iss and aud.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExternalIssuerIT {
  static final String ISSUER = "https://issuer.example.test/realms/tokenvault";

  VaultServer server;
  RSAKey issuerKey;

  @BeforeAll
  void start() throws JOSEException, IOException {
    issuerKey = new RSAKeyGenerator(2048).keyID("issuer-key-1").generate();
    Path pem = Files.createTempFile("issuer", ".pem");
    Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(issuerKey.toPublicKey().getEncoded())
        + "\n-----END PUBLIC KEY-----\n");
    server = VaultServer.fresh("external", Map.of(
        "tokenvault.auth.issuer", ISSUER,
        "tokenvault.auth.public-key", pem.toString(),
        "tokenvault.auth.audience", "vault-api",
        "quarkus.log.category.\"dev.tokenvault.server.auth\".level", "DEBUG")).start();
  }

  @AfterAll
  void stop() {
    server.stop();
    assertThat(server.logText()).doesNotContain("dev issuer is ON");
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  @Test
  void devIssuerIsOffAndItsTokensAreRefused() {
    assertThat(server.http().postForm("/oauth2/token", "grant_type=client_credentials", null).statusCode())
        .isEqualTo(404);
    assertThat(server.http().get("/oauth2/jwks", null).statusCode()).isEqualTo(404);
    // the checkout page's dev sessions are off too: in production the merchant's server asks
    assertThat(server.http().send(server.http().request("/checkout/session", null)
        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(404);
    assertThat(server.dataDir.resolve("dev-clients.json")).doesNotExist();
    Instant now = Instant.now();
    String devLike = DevTokens.sign(issuerKey,
        DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).audience("vault-api").build());
    assertThat(server.http().get("/v1/audit", devLike).statusCode()).isEqualTo(401);
  }

  @Test
  void issuerTokensAreVerified() {
    Instant now = Instant.now();
    String good = DevTokens.sign(issuerKey,
        DevTokens.claims(ISSUER, "audit.read", now, now.plusSeconds(300)).audience("vault-api").build());
    assertThat(server.http().get("/v1/audit", good).statusCode()).isEqualTo(200);

    String wrongAud = DevTokens.sign(issuerKey,
        DevTokens.claims(ISSUER, "audit.read", now, now.plusSeconds(300)).audience("tokenvault").build());
    assertThat(server.http().get("/v1/audit", wrongAud).statusCode()).isEqualTo(401);

    String scp = DevTokens.sign(issuerKey, DevTokens.claims(ISSUER, null, now, now.plusSeconds(300))
        .audience("vault-api").claim("scp", List.of("payments.read", "audit.read")).build());
    assertThat(server.http().get("/v1/audit", scp).statusCode()).isEqualTo(200);
  }
}
