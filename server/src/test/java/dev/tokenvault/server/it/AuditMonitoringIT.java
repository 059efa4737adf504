package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #8 over HTTPS against the packaged server on a SQLite file: metrics and who may read
 * them, detectors, fail-closed audit when the real store cannot write, signed checkpoints checked
 * by {@code GET /v1/audit/verify} and by the offline CLI, and one log-safety sweep of every route
 * with card numbers in valid and malformed requests, scanning every place they could land.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditMonitoringIT {
  static final String VISA = "4111111111111111";
  static final String MASTERCARD = "5555555555554444";
  static final String AMEX = "378282246310005";
  static final String ACCOUNT = "1234567890123456";

  VaultServer server;
  Http http;
  String all;
  /** Every error body answered (scanned at the end). */
  final List<String> errorBodies = new ArrayList<>();

  @BeforeAll
  void start() {
    // The auth-failure burst below comes from one address: lockout and slow-down would answer
    // the rest of this class with 429s and delays (they have tests of their own).
    server = VaultServer.fresh("audit-monitoring",
        Map.of("tokenvault.audit.checkpoint-interval", "1s",
            "tokenvault.rate-limit.auth-failures.max-attempts", "1000",
            "tokenvault.rate-limit.auth-failures.max-attempts-per-address", "1000",
            "tokenvault.rate-limit.auth-failures.slowdown-after", "1000")).start();
    http = server.http();
    all = DevTokens.token(server, DevTokens.ALL_SCOPES);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  private HttpResponse<String> record(HttpResponse<String> r) {
    if (r.statusCode() >= 400) {
      errorBodies.add(r.body());
    }
    return r;
  }

  private String tokenize(String type, String value) {
    HttpResponse<String> r = http.postJson("/v1/tokens", all,
        "{\"type\":\"" + type + "\",\"value\":\"" + value + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Http.json(r).get("token").asText();
  }

  private String metrics() {
    HttpResponse<String> r = http.get("/metrics", all);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    return r.body();
  }

  @Test
  @Order(1)
  void metricsNeedAuditReadAndQuarkusOwnEndpointIsClosed() {
    assertThat(record(http.get("/metrics", null)).statusCode()).isEqualTo(401);
    String merchant = DevTokens.token(server, "payments.tokenize");
    HttpResponse<String> forbidden = record(http.get("/metrics", merchant));
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(Http.json(forbidden).get("code").asText()).isEqualTo("insufficient_scope");
    assertThat(record(http.get("/q/metrics", all)).statusCode()).isEqualTo(404);
    assertThat(record(http.get("/q/metrics", null)).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(2)
  void metricsCountRoutesDetokenizationsKeyManagerAndCache() {
    String t = tokenize("card", VISA);
    for (int i = 0; i < 3; i++) {
      assertThat(http.postJson("/v1/detokenize", all, "{\"token\":\"" + t + "\"}").statusCode())
          .isEqualTo(200);
    }
    String m = metrics();
    assertThat(m).contains("tokenvault_http_requests_seconds_count{method=\"POST\",route=\"/v1/detokenize\",status=\"2xx\",}");
    assertThat(m).contains("tokenvault_detokenizations_total{client=\"admin\",} 3.0");
    assertThat(m).contains("tokenvault_keymanager_calls_seconds_count{operation=\"generate\",outcome=\"success\",}");
    assertThat(m).contains("tokenvault_datakey_cache_total{result=\"hit\",}");
    assertThat(m).contains("tokenvault_detokenize_distinct_tokens{client=\"admin\",}");
    assertThat(m).contains("tokenvault_security_alerts_total{detector=\"token_walk\",} 0.0");
    // The first detokenize read the token's row from the file, the next two found it in memory.
    assertThat(counter(m, "tokenvault_store_token_cache_total{result=\"miss\",}")).isPositive();
    assertThat(counter(m, "tokenvault_store_token_cache_total{result=\"hit\",}"))
        .isGreaterThanOrEqualTo(2.0);
    // Every tokenize and detokenize above was a durable write (its audit event at least).
    double commits = counter(m, "tokenvault_store_writer_commits_total");
    assertThat(commits).isPositive();
    assertThat(counter(m, "tokenvault_store_writer_operations_total"))
        .isGreaterThanOrEqualTo(Math.max(commits, 4.0));
    assertThat(counter(m, "tokenvault_store_writer_commits_slow_total")).isBetween(0.0, commits);
    // SQLite acknowledged each of those commits after an fsync of its log, which took time.
    assertThat(counter(m, "tokenvault_store_log_syncs_total")).isPositive();
    assertThat(counter(m, "tokenvault_store_log_sync_seconds_total")).isPositive();
    assertThat(counter(m, "tokenvault_store_log_syncs_slow_total"))
        .isBetween(0.0, counter(m, "tokenvault_store_log_syncs_total"));
    // Far fewer writes here than a log cycle (4,096 frames): none ended, none paused the writer.
    assertThat(counter(m, "tokenvault_store_wal_cycles_total")).isZero();
    assertThat(counter(m, "tokenvault_store_wal_writer_pause_seconds_total")).isZero();
    assertThat(counter(m, "tokenvault_store_wal_database_syncs_total")).isZero();
    assertThat(counter(m, "tokenvault_store_wal_database_sync_seconds_total")).isZero();
  }

  private static double counter(String metrics, String series) {
    return metrics.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + series + " in /metrics"));
  }

  @Test
  @Order(3)
  void aBurstOfAuthenticationFailuresRaisesAnAlert() {
    for (int i = 0; i < 20; i++) {
      record(http.get("/metrics", "not-a-token-" + i));
    }
    assertThat(metrics())
        .contains("tokenvault_security_alerts_total{detector=\"auth_failure_burst\",} 1.0");
    assertThat(server.logText()).contains("security_alert detector=auth_failure_burst");
  }

  @Test
  @Order(4)
  void detokenizeFailsClosedWhileTheStoreCannotWriteItsAuditEvent() throws Exception {
    String t = tokenize("account", ACCOUNT);
    assertThat(http.postJson("/v1/detokenize", all, "{\"token\":\"" + t + "\"}").statusCode())
        .isEqualTo(200);
    // another process holds SQLite's write lock: reads still work, the audit append cannot
    Path db = server.dataDir.resolve("tokenvault.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      HttpResponse<String> r = record(
          http.postJson("/v1/detokenize", all, "{\"token\":\"" + t + "\"}"));
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(Http.json(r).get("code").asText()).isEqualTo("audit_unavailable");
      assertThat(r.body()).doesNotContain(ACCOUNT);
      s.execute("ROLLBACK");
    }
    HttpResponse<String> after = http.postJson("/v1/detokenize", all, "{\"token\":\"" + t + "\"}");
    assertThat(after.statusCode()).isEqualTo(200);
    String m = metrics();
    assertThat(m).contains("tokenvault_audit_write_failures_total{event=\"Detokenize\",} 1.0");
    assertThat(m).contains("tokenvault_security_alerts_total{detector=\"audit_failure\",} 1.0");
    // the refused detokenization left no Detokenize success event behind
    JsonNode events = Http.json(http.get("/v1/audit?action=Detokenize&token=" + t, all))
        .get("events");
    assertThat(events.size()).isEqualTo(2);
  }

  @Test
  @Order(5)
  void auditQueryFiltersAndPages() {
    JsonNode page = Http.json(http.get(
        "/v1/audit?action=Detokenize&clientId=admin&outcome=success&limit=2", all));
    assertThat(page.get("events").size()).isEqualTo(2);
    long next = page.get("next").asLong();
    JsonNode second = Http.json(http.get(
        "/v1/audit?action=Detokenize&clientId=admin&outcome=success&limit=2&after=" + next, all));
    assertThat(second.get("events").get(0).get("sequence").asLong()).isGreaterThan(next);
    JsonNode e = page.get("events").get(0);
    for (String field : List.of("eventTime", "eventName", "principal", "clientId", "sourceIp",
        "outcome", "token", "requestId", "hash")) {
      assertThat(e.has(field)).as(field).isTrue();
    }
    JsonNode none = Http.json(http.get("/v1/audit?from=2100-01-01T00:00:00Z", all));
    assertThat(none.get("events").size()).isZero();
  }

  @Test
  @Order(6)
  void checkpointsAreSignedAndVerifiedOverHttp() throws Exception {
    JsonNode cps = awaitCheckpoint();
    assertThat(cps.get("events").get(0).get("keyId").asText()).isEqualTo("audit-v1");
    JsonNode v = Http.json(http.get("/v1/audit/verify", all));
    assertThat(v.get("valid").asBoolean()).as(v.toString()).isTrue();
    assertThat(v.get("checkpointsChecked").asLong()).isPositive();
    assertThat(v.get("lastCheckpoint").asText()).startsWith("tvcp1.");
  }

  private JsonNode awaitCheckpoint() throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      JsonNode page = Http.json(http.get("/v1/audit?action=AuditCheckpoint", all));
      if (page.get("events").size() > 0) {
        return page;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("no checkpoint was signed; see " + server.log);
  }

  @Test
  @Order(7)
  void everyRouteWithCardNumbersLeavesNoTraceAnywhere() {
    String token = tokenize("card", MASTERCARD);
    String seedToken = Http.json(http.postJson("/tokenize", all,
        "{\"accountNumber\":\"" + AMEX + "\"}")).get("token").asText();
    List<HttpResponse<String>> rs = new ArrayList<>();
    // valid requests carrying values, metadata and headers
    rs.add(http.send(http.request("/v1/tokens", all).header("Content-Type", "application/json")
        .header("User-Agent", "shop/1.0 card " + VISA).header("X-Request-Id", VISA)
        .header("X-Card", VISA)
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"card\",\"value\":\"" + VISA
            + "\",\"metadata\":{\"note\":\"" + VISA + "\"}}")).build()));
    rs.add(http.postJson("/v1/detokenize", all, "{\"token\":\"" + token + "\"}"));
    rs.add(http.get("/v1/tokens/" + token, all));
    rs.add(http.send(http.request("/v1/payments", all).header("Content-Type", "application/json")
        .header("Idempotency-Key", "order-1")
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token
            + "\",\"amount\":2500,\"currency\":\"USD\"}")).build()));
    rs.add(http.postJson("/payments", all, "{\"token\":\"" + seedToken + "\",\"amount\":12.00}"));
    // malformed: wrong types, bad JSON, wrong content type, oversized, values in odd places
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":" + VISA + "}"));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":\"" + VISA + "\""));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":\"4111111111111112\"}"));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":[\"" + VISA + "\"]}"));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"" + VISA + "\",\"value\":\"x\"}"));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":\"" + VISA
        + "\",\"cvv\":\"123\",\"metadata\":{\"" + VISA + "\":1}}"));
    rs.add(http.postJson("/v1/tokens", all, "{\"type\":\"card\",\"value\":\"" + VISA + "\","
        + "\"padding\":\"" + "x".repeat(20_000) + "\"}"));
    rs.add(http.send(http.request("/v1/tokens", all).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString(VISA)).build()));
    rs.add(http.postJson("/tokenize", all, "{\"accountNumber\":" + AMEX + "0}"));
    rs.add(http.postJson("/tokenize", all, "{\"accountNumber\":\"" + AMEX + "\"},"));
    rs.add(http.postJson("/v1/detokenize", all, "{\"token\":\"" + VISA + "\"}"));
    rs.add(http.postJson("/v1/detokenize", all, "{\"token\":" + VISA + "}"));
    rs.add(http.send(http.request("/v1/payments", all).header("Content-Type", "application/json")
        .header("Idempotency-Key", VISA)
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token
            + "\",\"amount\":2500,\"currency\":\"USD\"}")).build()));
    rs.add(http.send(http.request("/payments", all).header("Content-Type", "application/json")
        .header("Idempotency-Key", MASTERCARD)
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + seedToken
            + "\",\"amount\":1.00}")).build()));
    rs.add(http.postJson("/v1/payments", all, "{\"token\":\"" + VISA + "\",\"amount\":\"" + VISA
        + "\",\"currency\":\"USD\"}"));
    rs.add(http.postJson("/payments", all, "{\"token\":\"" + token + "\",\"amount\":" + VISA
        + "}"));
    rs.add(http.get("/v1/tokens/" + VISA, all));
    rs.add(http.delete("/v1/tokens/" + MASTERCARD, all));
    rs.add(http.get("/v1/payments/" + VISA, all));
    rs.add(http.get("/v1/audit?token=" + VISA + "&principal=" + VISA, all));
    rs.add(http.get("/v1/audit?from=" + VISA + "&limit=" + VISA, all));
    rs.add(http.get("/v1/tokens/" + token + "?card=" + VISA, all));
    rs.add(http.get("/nowhere/" + VISA + "?pan=" + URLEncoder.encode(AMEX, StandardCharsets.UTF_8),
        all));
    rs.add(http.get("/metrics?pan=" + VISA, "Bearer-" + VISA));
    rs.add(http.postJson("/oauth2/token", null, "{\"client_secret\":\"" + VISA + "\"}"));
    rs.add(http.get("/v1/tokens/" + token, VISA));
    for (HttpResponse<String> r : rs) {
      record(r);
      if (r.statusCode() >= 400) {
        assertThat(r.headers().firstValue("Content-Type").orElse("application/problem+json"))
            .as(r.uri() + " " + r.statusCode()).contains("json");
      }
    }
    assertThat(errorBodies.size()).isGreaterThan(20);
    List<String> findings = new ArrayList<>();
    for (int i = 0; i < errorBodies.size(); i++) {
      findings.addAll(LeakScan.findings("error body #" + i,
          errorBodies.get(i).getBytes(StandardCharsets.UTF_8)));
    }
    // the audit trail over HTTP, every page
    long after = 0;
    while (true) {
      HttpResponse<String> page = http.get("/v1/audit?limit=1000&after=" + after, all);
      findings.addAll(LeakScan.findings("GET /v1/audit", page.body().getBytes(StandardCharsets.UTF_8)));
      JsonNode next = Http.json(page).get("next");
      if (next == null || next.isNull()) {
        break;
      }
      after = next.asLong();
    }
    findings.addAll(LeakScan.findings("GET /metrics", metrics().getBytes(StandardCharsets.UTF_8)));
    findings.addAll(LeakScan.findings("GET /v1/audit/verify",
        http.get("/v1/audit/verify", all).body().getBytes(StandardCharsets.UTF_8)));
    findings.addAll(LeakScan.findings(List.of(server.dataDir, server.log)));
    assertThat(findings).isEmpty();
  }

  @Test
  @Order(8)
  void atShutdownTheHeadIsSignedAndTheOfflineCliVerifiesAndFindsTampering() throws Exception {
    server.stop();
    assertThat(server.logText()).contains("audit checkpoint signed");
    Path jar = Path.of(System.getProperty("tokenvault.server.jar",
        "target/quarkus-app/quarkus-run.jar"));
    CliRun ok = cli(jar, "verify", "--data-dir", server.dataDir.toString(), "--checkpoints",
        server.log.toString());
    assertThat(ok.status()).as(ok.out()).isZero();
    assertThat(ok.out()).contains("audit chain valid");
    CliRun export = cli(jar, "export", "--data-dir", server.dataDir.toString());
    assertThat(export.status()).isZero();
    assertThat(export.out()).contains("\"eventName\":\"AuditCheckpoint\"");
    assertThat(LeakScan.findings("audit export", export.out().getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
    try (Connection c = DriverManager.getConnection(
            "jdbc:sqlite:" + server.dataDir.resolve("tokenvault.db"));
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_events SET client_id = 'someone' WHERE seq = 3");
    }
    CliRun broken = cli(jar, "verify", "--data-dir", server.dataDir.toString());
    assertThat(broken.status()).as(broken.out()).isEqualTo(1);
    assertThat(broken.out()).contains("BROKEN at sequence 3: hash_mismatch");
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  record CliRun(int status, String out) {}

  private static CliRun cli(Path jar, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar.toString(), "audit"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new CliRun(p.exitValue(), out);
  }
}
