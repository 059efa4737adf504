package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KEK rotation over HTTPS on the packaged server (SQLite, local key file): tokens made before a
 * rotation stay readable after the rewrap, after the old version is retired, and after a restart;
 * deterministic tokenization still finds them. {@code keys.admin} guards the key routes.
 */
class KeyRotationIT {
  static final String VISA = "4111111111111111";
  static final String MASTERCARD = "5555555555554444";
  static final String AMEX = "378282246310005";
  static final String MERCHANT_SCOPES = "payments.tokenize payments.create payments.read";

  private static String tokenize(VaultServer server, String bearer, String pan, boolean deterministic) {
    HttpResponse<String> r = server.http().postJson("/v1/tokens", bearer,
        "{\"type\":\"card\",\"value\":\"" + pan + "\",\"deterministic\":" + deterministic + "}");
    assertThat(r.statusCode()).isIn(200, 201);
    return Http.json(r).get("token").asText();
  }

  private static String detokenize(VaultServer server, String bearer, String token) {
    HttpResponse<String> r =
        server.http().postJson("/v1/detokenize", bearer, "{\"token\":\"" + token + "\"}");
    assertThat(r.statusCode()).as("detokenize %s", token).isEqualTo(200);
    return Http.json(r).get("value").asText();
  }

  /** Waits for the background rewrap to end (a wait for an outcome, not a timing assertion). */
  private static JsonNode awaitRewrap(VaultServer server, String admin) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      JsonNode report = Http.json(server.http().get("/v1/keys", admin));
      String state = report.get("rewrap").get("state").asText();
      if (!state.equals("running")) {
        return report;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the rewrap did not end");
  }

  private static JsonNode version(JsonNode report, int v) {
    for (JsonNode n : report.get("versions")) {
      if (n.get("version").asInt() == v) {
        return n;
      }
    }
    return null;
  }

  @Test
  void rotationKeepsOldTokensReadableThroughRewrapRetireAndRestart() throws Exception {
    VaultServer server = VaultServer.fresh("keyrot", Map.of());
    Map<String, String> tokens = new LinkedHashMap<>();
    String deterministic;
    try (server) {
      server.start();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      String admin = DevTokens.token(server, "keys.admin");
      String merchant = DevTokens.token(server, MERCHANT_SCOPES);
      tokens.put(tokenize(server, all, VISA, false), VISA);
      deterministic = tokenize(server, all, MASTERCARD, true);
      tokens.put(deterministic, MASTERCARD);

      HttpResponse<String> denied = server.http().postJson("/v1/keys/rotate", merchant, "");
      assertThat(denied.statusCode()).isEqualTo(403);
      assertThat(server.http().get("/v1/keys", merchant).statusCode()).isEqualTo(403);
      assertThat(server.http().postJson("/v1/keys/rotate", null, "").statusCode()).isEqualTo(401);

      HttpResponse<String> rotated = server.http().postJson("/v1/keys/rotate", admin, "");
      assertThat(rotated.statusCode()).isEqualTo(202);
      JsonNode rotation = Http.json(rotated);
      assertThat(rotation.get("previousVersion").asInt()).isEqualTo(1);
      assertThat(rotation.get("currentVersion").asInt()).isEqualTo(2);
      assertThat(rotation.get("rewrap").get("state").asText()).isIn("running", "done");

      JsonNode report = awaitRewrap(server, admin);
      assertThat(report.get("rewrap").get("state").asText()).isEqualTo("done");
      assertThat(report.get("currentVersion").asInt()).isEqualTo(2);
      assertThat(version(report, 1).get("dataKeys").asLong()).isZero();
      assertThat(version(report, 2).get("dataKeys").asLong()).isPositive();

      tokens.put(tokenize(server, all, AMEX, false), AMEX);
      tokens.forEach((t, pan) -> assertThat(detokenize(server, all, t)).isEqualTo(pan));

      HttpResponse<String> current = server.http().delete("/v1/keys/versions/2", admin);
      assertThat(current.statusCode()).isEqualTo(409);
      assertThat(Http.json(current).get("code").asText()).isEqualTo("kek_version_current");
      HttpResponse<String> bad = server.http().delete("/v1/keys/versions/x", admin);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(server.http().delete("/v1/keys/versions/1", merchant).statusCode()).isEqualTo(403);
      HttpResponse<String> retired = server.http().delete("/v1/keys/versions/1", admin);
      assertThat(retired.statusCode()).isEqualTo(200);
      // retired: the key manager no longer holds it and no data key names it, so it is gone
      assertThat(version(Http.json(retired), 1)).isNull();
      assertThat(version(Http.json(retired), 2).get("held").asBoolean()).isTrue();
    }

    try (server) {
      server.start();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      tokens.forEach((t, pan) -> assertThat(detokenize(server, all, t)).isEqualTo(pan));
      assertThat(tokenize(server, all, MASTERCARD, true)).isEqualTo(deterministic);
      JsonNode report = Http.json(server.http().get("/v1/keys", all));
      assertThat(report.get("currentVersion").asInt()).isEqualTo(2);
      assertThat(version(report, 1)).isNull();

      JsonNode rotateEvents = Http.json(server.http().get("/v1/audit?eventName=RotateKey", all));
      assertThat(rotateEvents.get("events")).hasSize(1);
      JsonNode rotateEvent = rotateEvents.get("events").get(0);
      assertThat(rotateEvent.get("outcome").asText()).isEqualTo("success");
      assertThat(rotateEvent.get("keyVersion").asInt()).isEqualTo(2);
      assertThat(rotateEvent.get("clientId").asText()).isEqualTo("admin");
      JsonNode rewraps = Http.json(server.http().get("/v1/audit?eventName=RewrapDataKey", all));
      assertThat(rewraps.get("events").size()).isPositive();
      for (JsonNode e : rewraps.get("events")) {
        assertThat(e.get("encryptionContext").get("tokenvault:source-kek-version").asText())
            .isEqualTo("1");
      }
      JsonNode retire = Http.json(server.http().get("/v1/audit?eventName=RetireKey", all));
      assertThat(retire.get("events")).extracting(e -> e.get("outcome").asText())
          .contains("success", "denied");
      assertThat(Http.json(server.http().get("/v1/audit/verify", all)).get("valid").asBoolean())
          .isTrue();
    }
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }
}
