package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The vault behind a real OAuth2 issuer: Keycloak (started once for the class) with a realm that
 * has the vault's scopes and an audience mapper; the vault is pointed at it with only {@code
 * tokenvault.auth.issuer} and {@code tokenvault.auth.audience} (the JWKS is discovered), and the
 * seed flow runs with Keycloak's client-credentials tokens. Then the realm's signing key is
 * rotated through Keycloak's admin API and the new key's tokens are accepted without a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakIT {
  static final String SEED_ACCOUNT = "1234567890123456";

  Keycloak keycloak;
  VaultServer server;
  Http http;

  @BeforeAll
  void start() {
    VaultServer probe = VaultServer.fresh("keycloak", Map.of());
    keycloak = new Keycloak(probe.dataDir.getParent().resolve("keycloak"), Map.of(
        "shop", List.of("payments.tokenize", "payments.create", "payments.read"),
        "back-office", List.of("payments.detokenize", "audit.read")));
    server = VaultServer.fresh("keycloak", Map.of(
        "tokenvault.auth.issuer", keycloak.issuer,
        "tokenvault.auth.audience", "tokenvault",
        // no limit between refetches here: the rotation below comes seconds after the first
        // fetch (the limit itself is covered by JwtValidatorTest)
        "tokenvault.auth.jwks-refresh-min-interval", "0s")).start();
    http = server.http();
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.stop();
      assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
      assertThat(server.logText()).doesNotContain("dev issuer is ON");
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  @Test
  @Order(1)
  void seedFlowWithKeycloakTokens() {
    String shop = keycloak.token("shop");
    JsonNode claims = payload(shop);
    assertThat(claims.get("iss").asText()).isEqualTo(keycloak.issuer);
    assertThat(claims.get("scope").asText()).contains("payments.tokenize").contains("payments.create");

    HttpResponse<String> t = http.postJson("/tokenize", shop, "{\"accountNumber\":\"" + SEED_ACCOUNT + "\"}");
    assertThat(t.statusCode()).isEqualTo(200);
    String token = Http.json(t).get("token").asText();
    assertThat(token).startsWith("tok_");

    HttpResponse<String> p = http.postJson("/payments", shop, "{\"token\":\"" + token + "\",\"amount\":25.00}");
    assertThat(p.statusCode()).isEqualTo(200);
    assertThat(Http.json(p).get("status").asText()).isEqualTo("APPROVED");
    assertThat(Http.json(p).get("account").asText()).isEqualTo("****3456");

    // the shop's token lacks payments.detokenize: 403, naming the scope
    HttpResponse<String> refused = http.postJson("/v1/detokenize", shop, "{\"token\":\"" + token + "\"}");
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.headers().firstValue("WWW-Authenticate").orElse(""))
        .contains("error=\"insufficient_scope\"").contains("scope=\"payments.detokenize\"");
    assertThat(refused.body()).doesNotContain(SEED_ACCOUNT);

    String backOffice = keycloak.token("back-office");
    HttpResponse<String> d = http.postJson("/v1/detokenize", backOffice, "{\"token\":\"" + token + "\"}");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(Http.json(d).get("value").asText().equals(SEED_ACCOUNT)).as("detokenized value").isTrue();

    // the audit trail names Keycloak's client (azp) for each step
    JsonNode events = Http.json(http.get("/v1/audit?token=" + token, backOffice)).get("events");
    assertThat(events).extracting(e -> e.get("eventName").asText())
        .contains("Tokenize", "CreatePayment", "Detokenize");
    assertThat(events).extracting(e -> e.get("clientId").asText()).contains("shop", "back-office");
  }

  @Test
  @Order(2)
  void aNewSigningKeyAtTheIssuerIsAcceptedWithoutARestart() {
    String before = keycloak.token("shop");
    assertThat(http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", before).statusCode()).isEqualTo(404);
    String oldKid = header(before).get("kid").asText();

    String newKid = keycloak.rotateSigningKey();
    assertThat(newKid).isNotEqualTo(oldKid);
    String after = keycloak.token("shop");
    assertThat(header(after).get("kid").asText()).isEqualTo(newKid);
    HttpResponse<String> r = http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", after);
    assertThat(r.statusCode()).as("a token signed with the new key").isEqualTo(404);
    HttpResponse<String> created = http.postJson("/v1/tokens", after, "{\"type\":\"account\",\"value\":\"" + SEED_ACCOUNT + "\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    // the old key is still published (passive), so its unexpired tokens still verify
    assertThat(http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", before).statusCode()).isEqualTo(404);
    assertThat(server.logText()).contains("fetched the issuer's JWKS");
  }

  static JsonNode header(String jwt) {
    return part(jwt, 0);
  }

  static JsonNode payload(String jwt) {
    return part(jwt, 1);
  }

  private static JsonNode part(String jwt, int i) {
    try {
      return Http.JSON.readTree(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[i]), StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
