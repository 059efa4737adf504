package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.http.HttpResponse;
import java.time.Instant;
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
 * Abuse controls over HTTPS, with small limits so a test reaches them: repeated invalid tokens
 * naming one client lock that client out (429, audited), more from one address lock the address
 * out, and a client over its request rate gets 429 with {@code Retry-After}; all 429s carry the
 * same problem body.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AbuseControlsIT {
  VaultServer server;
  Http http;
  RSAKey forger;

  @BeforeAll
  void start() throws JOSEException {
    server = VaultServer.fresh("abuse", Map.of(
        "tokenvault.rate-limit.auth-failures.max-attempts", "4",
        "tokenvault.rate-limit.auth-failures.max-attempts-per-address", "6",
        "tokenvault.rate-limit.auth-failures.slowdown-after", "2",
        "tokenvault.rate-limit.auth-failures.slowdown-step", "10ms",
        "tokenvault.rate-limit.client.requests-per-second", "0.01",
        "tokenvault.rate-limit.client.burst", "8")).start();
    http = server.http();
    forger = new RSAKeyGenerator(2048).keyID(DevTokens.devKey(server.dataDir).getKeyID()).generate();
  }

  @AfterAll
  void stop() {
    server.stop();
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  /** A token naming {@code clientId} with a signature the vault cannot verify. */
  String forged(String clientId) {
    Instant now = Instant.now();
    return DevTokens.sign(forger, DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300))
        .subject(clientId).claim("client_id", clientId).build());
  }

  @Test
  @Order(1)
  void repeatedFailuresNamingAClientLockThatClientOut() {
    String merchant = DevTokens.token(server, "merchant", "payments.read");
    for (int i = 1; i <= 4; i++) {
      assertThat(http.get("/v1/audit", forged("merchant")).statusCode()).as("failure %d", i).isEqualTo(401);
    }
    HttpResponse<String> locked = http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", merchant);
    assertThat(locked.statusCode()).as("a valid token of the locked-out client").isEqualTo(429);
    assertThat(Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow())).isPositive();
    assertThat(Http.json(locked).get("code").asText()).isEqualTo("rate_limited");
    assertThat(locked.body()).doesNotContain("lock");

    // other clients are unaffected; the lockout is in the audit trail
    String admin = DevTokens.token(server, "admin", "audit.read");
    HttpResponse<String> audit = http.get("/v1/audit?eventName=AuthFailure&outcome=denied", admin);
    assertThat(audit.statusCode()).isEqualTo(200);
    JsonNode events = Http.json(audit).get("events");
    assertThat(events).anySatisfy(e -> {
      assertThat(e.path("errorCode").asText("")).isEqualTo("auth_lockout");
      assertThat(e.path("clientId").asText("")).isEqualTo("merchant");
      assertThat(e.path("sourceIp").asText("")).isNotBlank();
    });
  }

  @Test
  @Order(2)
  void aClientOverItsRateGets429WithRetryAfter() {
    String admin = DevTokens.token(server, "admin", "payments.read");
    HttpResponse<String> r = null;
    for (int i = 0; i < 10; i++) {
      r = http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", admin);
      if (r.statusCode() == 429) {
        break;
      }
      assertThat(r.statusCode()).isEqualTo(404);
    }
    assertThat(r.statusCode()).as("the 9th request at the latest (burst 8)").isEqualTo(429);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow())).isPositive();
    assertThat(Http.json(r).get("code").asText()).isEqualTo("rate_limited");
  }

  @Test
  @Order(3)
  void repeatedFailuresFromOneAddressLockTheAddressOut() {
    // 4 failures so far from this address; two more reach the per-address limit of 6
    assertThat(http.get("/v1/audit", forged("someone")).statusCode()).isEqualTo(401);
    assertThat(http.get("/v1/audit", forged("someone-else")).statusCode()).isEqualTo(401);
    HttpResponse<String> anonymous = http.get("/v1/audit", null);
    assertThat(anonymous.statusCode()).isEqualTo(429);
    assertThat(anonymous.headers().firstValue("Retry-After")).isPresent();
    assertThat(http.get("/health/ready", null).statusCode()).as("health stays open").isEqualTo(200);
    assertThat(server.logText()).contains("authentication lockout started");
  }
}
