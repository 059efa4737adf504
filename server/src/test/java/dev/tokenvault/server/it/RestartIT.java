package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A restart on the same data directory keeps tokens, payments, keys and certificates. */
class RestartIT {
  static final String VISA = "4111111111111111";

  @Test
  void restartKeepsTokensKeysAndCertificates() throws IOException {
    VaultServer server = VaultServer.fresh("restart", Map.of());
    String token;
    String paymentId;
    byte[] caBefore;
    byte[] clientsBefore;
    try (server) {
      server.start();
      String tok = DevTokens.token(server, DevTokens.ALL_SCOPES);
      token = Http.json(server.http().postJson("/v1/tokens", tok,
          "{\"type\":\"card\",\"value\":\"" + VISA + "\"}")).get("token").asText();
      HttpResponse<String> p = server.http().send(server.http().request("/v1/payments", tok)
          .header("Content-Type", "application/json").header("Idempotency-Key", "restart-1")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"token\":\"" + token + "\",\"amount\":100,\"currency\":\"USD\"}")).build());
      assertThat(p.statusCode()).isEqualTo(201);
      paymentId = Http.json(p).get("id").asText();
      caBefore = Files.readAllBytes(server.dataDir.resolve("tls/ca.pem"));
      clientsBefore = Files.readAllBytes(server.dataDir.resolve("dev-clients.json"));
    }

    try (server) {
      server.start();
      assertThat(Files.readAllBytes(server.dataDir.resolve("tls/ca.pem"))).isEqualTo(caBefore);
      assertThat(Files.readAllBytes(server.dataDir.resolve("dev-clients.json"))).isEqualTo(clientsBefore);
      String tok = DevTokens.token(server, DevTokens.ALL_SCOPES);
      HttpResponse<String> d = server.http().postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
      assertThat(d.statusCode()).isEqualTo(200);
      JsonNode value = Http.json(d).get("value");
      assertThat(value != null && value.asText().equals(VISA)).as("value after restart").isTrue();
      assertThat(server.http().get("/v1/payments/" + paymentId, tok).statusCode()).isEqualTo(200);
      assertThat(Http.json(server.http().get("/v1/audit/verify", tok)).get("valid").asBoolean()).isTrue();
    }

    // every file the vault wrote is owner-only, every directory 0700
    try (Stream<Path> files = Files.walk(server.dataDir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
        assertThat(perms).as("permissions of %s", server.dataDir.relativize(f))
            .isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
      }
    }
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }
}
