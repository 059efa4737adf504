package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code tokenvault.tls.client-auth=need}: a client without a certificate from the trusted CA
 * (default: the dev CA) cannot connect; the demo client certificate can, and its subject is
 * recorded in the audit trail.
 */
class MutualTlsIT {

  @Test
  void needRequiresTheDemoClientCertificateAndAuditsItsSubject() {
    try (VaultServer server = VaultServer.fresh("mtls", Map.of("tokenvault.tls.client-auth", "need"))) {
      server.start();
      Http anonymousTls = new Http("https://localhost:" + server.port, server.dataDir.resolve("tls/ca.pem"));
      assertThatThrownBy(() -> anonymousTls.get("/health", null)).isInstanceOf(RuntimeException.class);

      String tok = DevTokens.token(server, "payments.tokenize audit.read");
      String token = Http.json(server.http().postJson("/v1/tokens", tok,
          "{\"type\":\"account\",\"value\":\"1234567890123456\"}")).get("token").asText();
      JsonNode events = Http.json(server.http().get("/v1/audit?eventName=Tokenize&token=" + token, tok))
          .get("events");
      assertThat(events).hasSize(1);
      assertThat(events.get(0).get("clientCertSubject").asText()).contains("CN=tokenvault demo client");
      server.stop();
      assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
    }
  }
}
