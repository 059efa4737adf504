package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fingerprint-key rotation over HTTPS on the packaged server (SQLite, local key file): a
 * namespace's deterministic tokens are found again after {@code POST /v1/keys/fingerprint/rotate},
 * during and after the background re-fingerprint and after a restart; their fingerprint changes
 * from {@code fp_…} to {@code fp2_…}; the old version retires once unused; {@code keys.admin}
 * guards the routes; everything is audited.
 */
class FingerprintRotationIT {
  static final String MERCHANT_SCOPES = "payments.tokenize payments.create payments.read";

  private static JsonNode tokenize(VaultServer server, String bearer, String pan, boolean deterministic) {
    HttpResponse<String> r = server.http().postJson("/v1/tokens", bearer,
        "{\"type\":\"card\",\"value\":\"" + pan + "\",\"deterministic\":" + deterministic + "}");
    assertThat(r.statusCode()).isIn(200, 201);
    return Http.json(r);
  }

  private static JsonNode namespace(JsonNode report, String ns) {
    for (JsonNode n : report.get("fingerprintKeys")) {
      if (n.get("namespace").asText().equals(ns)) {
        return n;
      }
    }
    return null;
  }

  /** Waits for the re-fingerprint to end (a wait for an outcome, not a timing assertion). */
  private static JsonNode awaitJob(VaultServer server, String admin) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      JsonNode fk = namespace(Http.json(server.http().get("/v1/keys", admin)), "default");
      if (!fk.get("refingerprint").get("state").asText().equals("running")) {
        return fk;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the re-fingerprint did not end");
  }

  /** Runs {@code ./tokenvault keys ARGS} against the server (its dev issuer's admin client). */
  private static JsonNode launcher(VaultServer server, String... args) throws Exception {
    java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("tokenvault.repo.root", ".."));
    List<String> command = new java.util.ArrayList<>(List.of(root.resolve("tokenvault").toString(), "keys"));
    command.addAll(List.of(args));
    command.addAll(List.of("--data-dir", server.dataDir.toString(), "--port", String.valueOf(server.port)));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as("launcher exit status: %s", out).isZero();
    return Http.JSON.readTree(out);
  }

  @Test
  void rotationKeepsDeterministicTokensFoundAndTheOldVersionRetiresOnceUnused() throws Exception {
    VaultServer server = VaultServer.fresh("fprot", Map.of());
    Map<String, String> deterministic = new LinkedHashMap<>();
    try (server) {
      server.start();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      String admin = DevTokens.token(server, "keys.admin");
      String merchant = DevTokens.token(server, MERCHANT_SCOPES);
      for (String pan : List.of(KeyRotationIT.VISA, KeyRotationIT.MASTERCARD)) {
        JsonNode t = tokenize(server, all, pan, true);
        assertThat(t.get("fingerprint").asText()).startsWith("fp_");
        deterministic.put(pan, t.get("token").asText());
      }
      String random = tokenize(server, all, KeyRotationIT.VISA, false).get("token").asText();

      JsonNode before = namespace(Http.json(server.http().get("/v1/keys", admin)), "default");
      assertThat(before.get("currentVersion").asInt()).isEqualTo(1);
      assertThat(before.get("refingerprint").get("state").asText()).isEqualTo("idle");

      String body = "{\"namespace\":\"default\"}";
      assertThat(server.http().postJson("/v1/keys/fingerprint/rotate", merchant, body).statusCode())
          .isEqualTo(403);
      assertThat(server.http().postJson("/v1/keys/fingerprint/rotate", null, body).statusCode())
          .isEqualTo(401);
      HttpResponse<String> unknown =
          server.http().postJson("/v1/keys/fingerprint/rotate", admin, "{\"namespace\":\"nobody\"}");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(Http.json(unknown).get("code").asText()).isEqualTo("fingerprint_key_not_found");
      HttpResponse<String> invalid =
          server.http().postJson("/v1/keys/fingerprint/rotate", admin, "{\"namespace\":\"Not Valid\"}");
      assertThat(invalid.statusCode()).isEqualTo(400);

      HttpResponse<String> rotated = server.http().postJson("/v1/keys/fingerprint/rotate", admin, body);
      assertThat(rotated.statusCode()).isEqualTo(202);
      assertThat(rotated.headers().firstValue("Content-Type").orElse("")).contains("json");
      JsonNode rotation = Http.json(rotated);
      assertThat(rotation.get("namespace").asText()).isEqualTo("default");
      assertThat(rotation.get("previousVersion").asInt()).isEqualTo(1);
      assertThat(rotation.get("currentVersion").asInt()).isEqualTo(2);
      assertThat(rotation.get("refingerprint").get("state").asText()).isIn("running", "done");
      // During the job or after it, whichever this is: the same tokens.
      deterministic.forEach(
          (pan, t) -> assertThat(tokenize(server, all, pan, true).get("token").asText()).isEqualTo(t));

      JsonNode after = awaitJob(server, admin);
      assertThat(after.get("refingerprint").get("state").asText()).isEqualTo("done");
      assertThat(after.get("refingerprint").get("moved").asLong()).isEqualTo(3);
      assertThat(after.get("versions")).extracting(JsonNode::asInt).containsExactly(1, 2);
      assertThat(after.get("tokensOnOlderVersions").asLong()).isZero();
      for (Map.Entry<String, String> e : deterministic.entrySet()) {
        JsonNode again = tokenize(server, all, e.getKey(), true);
        assertThat(again.get("token").asText()).isEqualTo(e.getValue());
        assertThat(again.get("fingerprint").asText()).startsWith("fp2_");
      }
      JsonNode meta = Http.json(server.http().get("/v1/tokens/" + random, all));
      assertThat(meta.get("fingerprint").asText())
          .startsWith("fp2_")
          .isEqualTo(tokenize(server, all, KeyRotationIT.VISA, true).get("fingerprint").asText());

      HttpResponse<String> current = server.http().delete("/v1/keys/fingerprint/default/versions/2", admin);
      assertThat(current.statusCode()).isEqualTo(409);
      assertThat(Http.json(current).get("code").asText()).isEqualTo("fingerprint_version_current");
      assertThat(current.headers().firstValue("Content-Type").orElse("")).contains("application/problem+json");
      assertThat(server.http().delete("/v1/keys/fingerprint/default/versions/1", merchant).statusCode())
          .isEqualTo(403);
      HttpResponse<String> retired = server.http().delete("/v1/keys/fingerprint/default/versions/1", admin);
      assertThat(retired.statusCode()).isEqualTo(200);
      assertThat(Http.json(retired).get("versions")).extracting(JsonNode::asInt).containsExactly(2);
      HttpResponse<String> gone = server.http().delete("/v1/keys/fingerprint/default/versions/1", admin);
      assertThat(gone.statusCode()).isEqualTo(404);
      assertThat(Http.json(gone).get("code").asText()).isEqualTo("fingerprint_version_not_found");
    }

    try (server) {
      server.start();
      String all = DevTokens.token(server, DevTokens.ALL_SCOPES);
      deterministic.forEach(
          (pan, t) -> assertThat(tokenize(server, all, pan, true).get("token").asText()).isEqualTo(t));
      JsonNode rotations =
          Http.json(server.http().get("/v1/audit?eventName=RotateFingerprintKey", all)).get("events");
      assertThat(rotations).extracting(e -> e.get("outcome").asText())
          .containsExactly("denied", "success");
      assertThat(rotations.get(0).get("errorCode").asText()).isEqualTo("fingerprint_key_not_found");
      JsonNode success = rotations.get(1);
      assertThat(success.get("namespace").asText()).isEqualTo("default");
      assertThat(success.get("keyVersion").asInt()).isEqualTo(2);
      assertThat(success.get("clientId").asText()).isEqualTo("admin");
      JsonNode moves =
          Http.json(server.http().get("/v1/audit?eventName=RefingerprintToken", all)).get("events");
      assertThat(moves).hasSize(3);
      for (JsonNode e : moves) {
        assertThat(e.get("outcome").asText()).isEqualTo("success");
        assertThat(e.get("encryptionContext").get("tokenvault:source-fingerprint-version").asText())
            .isEqualTo("1");
      }
      JsonNode retires =
          Http.json(server.http().get("/v1/audit?eventName=RetireFingerprintKey", all)).get("events");
      assertThat(retires).extracting(e -> e.get("outcome").asText())
          .containsExactly("denied", "success", "denied");
      assertThat(Http.json(server.http().get("/v1/audit/verify", all)).get("valid").asBoolean())
          .isTrue();

      // The launcher's commands, on the same routes: a second rotation, then retire version 2.
      JsonNode second = launcher(server, "rotate-fingerprint", "--namespace", "default");
      assertThat(second.get("previousVersion").asInt()).isEqualTo(2);
      assertThat(second.get("currentVersion").asInt()).isEqualTo(3);
      String admin = DevTokens.token(server, "keys.admin");
      assertThat(awaitJob(server, admin).get("refingerprint").get("state").asText()).isEqualTo("done");
      JsonNode status = namespace(launcher(server, "status"), "default");
      assertThat(status.get("versions")).extracting(JsonNode::asInt).containsExactly(2, 3);
      JsonNode retired = launcher(server, "retire-fingerprint", "--namespace", "default", "--version", "2");
      assertThat(retired.get("versions")).extracting(JsonNode::asInt).containsExactly(3);
      deterministic.forEach(
          (pan, t) -> assertThat(tokenize(server, all, pan, true).get("fingerprint").asText()).startsWith("fp3_"));
    }
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }
}
