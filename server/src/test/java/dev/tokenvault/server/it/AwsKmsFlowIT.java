package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.testkit.FakeKmsServer;
import java.net.http.HttpResponse;
import java.time.Instant;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The flow on SQLite with the AWS KMS key manager against a <b>fake</b> KMS ({@link
 * FakeKmsBackend}), and the key-manager outage over HTTP: while the fake answers 503, a tokenize
 * that needs a new data key fails fast with 503 {@code key_manager_unavailable} and writes
 * nothing, while a tokenize whose data key is cached still succeeds; when the fake is back, the
 * same request succeeds without restarting the vault.
 */
class AwsKmsFlowIT extends AdapterFlowIT {
  private FakeKmsBackend kms;

  @Override
  Backend openBackend() {
    kms = new FakeKmsBackend();
    return kms;
  }

  /** A dev-issuer-signed token for a caller in {@code namespace} (a namespace has its own data keys). */
  private String namespaceToken(String namespace, String clientId, String scopes) {
    Instant now = Instant.now();
    return DevTokens.sign(DevTokens.devKey(server.dataDir),
        DevTokens.claims("tokenvault-dev", scopes, now, now.plusSeconds(300))
            .subject(clientId)
            .claim("client_id", clientId)
            .claim("tokenvault_namespace", namespace)
            .build());
  }

  @Test
  @Order(50)
  void keyManagerOutageIs503AndWritesNothingThenRecoversWithoutRestart() {
    String client = "outage-client";
    String tok = namespaceToken("outage-ns", client, "payments.tokenize payments.detokenize");
    // deterministic: a half-written attempt would leave a fingerprint entry behind, and the
    // request after the recovery would then answer 200 (existing) instead of 201 (created)
    String body = "{\"type\":\"card\",\"value\":\"" + VISA + "\",\"deterministic\":true}";
    int generateBefore = kms.kms.calls("GenerateDataKey");

    kms.kms.mode(FakeKmsServer.Mode.UNAVAILABLE);
    try {
      for (int attempt = 0; attempt < 2; attempt++) {
        HttpResponse<String> down = http.postJson("/v1/tokens", tok, body);
        ServerIT.assertProblem(down, 503, "key_manager_unavailable");
        assertThat(down.body()).doesNotContain(VISA);
      }
      assertThat(kms.kms.calls("GenerateDataKey")).as("the vault asked the KMS")
          .isGreaterThan(generateBefore);
      // only requests that need the KMS fail: the default namespace's data key is cached
      HttpResponse<String> cached = http.postJson("/v1/tokens", token("payments.tokenize"),
          "{\"type\":\"card\",\"value\":\"" + MASTERCARD + "\"}");
      assertThat(cached.statusCode()).as("tokenize with a cached data key during the outage")
          .isEqualTo(201);
      tokens.put(Http.json(cached).get("token").asText(), MASTERCARD);
    } finally {
      kms.kms.mode(FakeKmsServer.Mode.UP);
    }
    assertThat(eventNames("clientId=" + client + "&outcome=success"))
        .as("successful events of the caller during the outage").isEmpty();
    assertAuditChainValid();

    HttpResponse<String> up = http.postJson("/v1/tokens", tok, body);
    assertThat(up.statusCode()).as("tokenize after the KMS is back").isEqualTo(201);
    String token = Http.json(up).get("token").asText();
    assertThat(eventNames("clientId=" + client + "&action=Tokenize&outcome=success"))
        .as("successful Tokenize events of the caller").hasSize(1);
    HttpResponse<String> again = http.postJson("/v1/tokens", tok, body);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(Http.json(again).get("token").asText()).isEqualTo(token);
    HttpResponse<String> d = http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(same(Http.json(d).get("value"), VISA)).as("detokenized value").isTrue();
    assertAuditChainValid();
  }
}
