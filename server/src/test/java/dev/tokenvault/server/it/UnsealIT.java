package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenvault.server.cli.InitShares;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A local key file sealed under 2-of-3 key shares (PCI DSS 3.7.6 split knowledge), on the packaged
 * server: sealed at start (readiness down, key routes 503 {@code vault_sealed}), one share does
 * not unseal it, a wrong share fails closed and drops what was collected, two right shares unseal
 * it, shares from the environment unseal it at start, and no share ever reaches the log or the
 * data directory.
 */
class UnsealIT {
  static final String VISA = "4111111111111111";

  private static HttpResponse<String> unseal(VaultServer server, String share) {
    return server.http().postJson("/v1/unseal", null, "{\"share\":\"" + share + "\"}");
  }

  /** The same share with one character of its secret part changed: well formed, wrong. */
  private static String altered(String share) {
    int i = share.length() - 5;
    char c = share.charAt(i) == 'A' ? 'B' : 'A';
    return share.substring(0, i) + c + share.substring(i + 1);
  }

  @Test
  void twoOfThreeSharesUnsealOneDoesNotAndAWrongShareFailsClosed() throws Exception {
    VaultServer server = VaultServer.fresh("unseal", Map.of());
    String token;
    try (server) {
      server.start();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      token = Http.json(server.http().postJson("/v1/tokens", all,
          "{\"type\":\"card\",\"value\":\"" + VISA + "\"}")).get("token").asText();
    }
    Path out = server.dataDir.resolveSibling("custodians");
    List<Path> files = InitShares.run(server.dataDir, 3, 2, out);
    List<String> shares = new ArrayList<>();
    for (Path f : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
      shares.add(Files.readString(f).strip());
    }
    assertThat(shares).hasSize(3).allSatisfy(s -> assertThat(s).startsWith("tvshare1-"));

    try (server) {
      server.startLive();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      assertThat(server.http().get("/health/ready", null).statusCode()).isEqualTo(503);
      HttpResponse<String> sealed = server.http().postJson("/v1/detokenize", all,
          "{\"token\":\"" + token + "\"}");
      assertThat(sealed.statusCode()).isEqualTo(503);
      assertThat(Http.json(sealed).get("code").asText()).isEqualTo("vault_sealed");
      assertThat(server.http().postJson("/v1/keys/rotate", all, "").statusCode()).isEqualTo(503);

      HttpResponse<String> malformed = unseal(server, "not-a-share");
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(Http.json(malformed).get("code").asText()).isEqualTo("invalid_share");

      JsonNode one = Http.json(unseal(server, shares.get(0)));
      assertThat(one.get("sealed").asBoolean()).isTrue();
      assertThat(one.get("sharesReceived").asInt()).isEqualTo(1);
      assertThat(one.get("threshold").asInt()).isEqualTo(2);
      assertThat(server.http().get("/health/ready", null).statusCode()).isEqualTo(503);

      HttpResponse<String> wrong = unseal(server, altered(shares.get(1)));
      assertThat(wrong.statusCode()).isEqualTo(422);
      assertThat(Http.json(wrong).get("code").asText()).isEqualTo("unseal_failed");
      assertThat(server.http().postJson("/v1/detokenize", all, "{\"token\":\"" + token + "\"}")
          .statusCode()).isEqualTo(503);

      assertThat(Http.json(unseal(server, shares.get(0))).get("sealed").asBoolean()).isTrue();
      JsonNode opened = Http.json(unseal(server, shares.get(2)));
      assertThat(opened.get("sealed").asBoolean()).isFalse();
      assertThat(server.http().get("/health/ready", null).statusCode()).isEqualTo(200);
      HttpResponse<String> d = server.http().postJson("/v1/detokenize", all,
          "{\"token\":\"" + token + "\"}");
      assertThat(d.statusCode()).isEqualTo(200);
      assertThat(Http.json(d).get("value").asText()).isEqualTo(VISA);

      JsonNode events = Http.json(server.http().get("/v1/audit?eventName=Unseal", all)).get("events");
      assertThat(events).extracting(e -> e.get("outcome").asText())
          .containsExactly("denied", "success", "denied", "success", "success");
      assertThat(events.get(0).get("principal").asText()).isEqualTo("anonymous");
    }

    VaultServer fromEnv =
        server.withEnv(Map.of("TOKENVAULT_UNSEAL_SHARES", shares.get(1) + "," + shares.get(2)));
    try (fromEnv) {
      fromEnv.start(); // ready: unsealed at start
      String all = DevTokens.token(fromEnv, DevTokens.ALL_SCOPES);
      HttpResponse<String> d = fromEnv.http().postJson("/v1/detokenize", all,
          "{\"token\":\"" + token + "\"}");
      assertThat(Http.json(d).get("value").asText()).isEqualTo(VISA);
      assertThat(fromEnv.http().postJson("/v1/keys/rotate", all, "").statusCode()).isEqualTo(202);
      JsonNode events = Http.json(fromEnv.http().get("/v1/audit?eventName=Unseal", all)).get("events");
      JsonNode atStart = events.get(events.size() - 1);
      assertThat(atStart.get("principal").asText()).isEqualTo("tokenvault");
      assertThat(atStart.get("outcome").asText()).isEqualTo("success");
      assertThat(atStart.get("encryptionContext").get("tokenvault:source").asText())
          .isEqualTo("TOKENVAULT_UNSEAL_SHARES");
    }

    String log = server.logText();
    String keyFile = Files.readString(server.dataDir.resolve("keys/local-kek.properties"));
    for (String share : shares) {
      // tvshare1-<set>-<M>-<index>-<base64url>: the base64url part may itself hold '-'
      String secret = share.split("-", 5)[4];
      assertThat(log).doesNotContain(secret);
      assertThat(keyFile).doesNotContain(secret);
    }
    assertThat(keyFile).contains("sealed.method=shares").doesNotContain("material");
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }
}
