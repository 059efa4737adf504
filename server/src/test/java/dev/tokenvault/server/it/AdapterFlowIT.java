package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One HTTP flow suite, run by the real server (packaged jar, HTTPS, dev issuer) on each store
 * and key manager: a subclass names its {@link Backend}. Each subclass starts one vault process,
 * and restarts it once (the last test) to show that every token and payment the suite made is
 * still there. Afterwards the data directory, the server log and the store's raw rows or items
 * are searched for every tokenized value.
 *
 * <p>{@link ServerIT} covers the rest of the API (auth, TLS, problems, OpenAPI) on the default
 * backend; this suite covers what depends on the store and the key manager.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AdapterFlowIT {
  static final String VISA = "4111111111111111";
  static final String MASTERCARD = "5555555555554444";
  static final String AMEX = "378282246310005";
  static final String SEED_ACCOUNT = "1234567890123456";

  Backend backend;
  VaultServer server;
  Http http;

  /** Every token the suite made and kept, with its value: checked again after the restart. */
  final Map<String, String> tokens = new ConcurrentHashMap<>();
  /** Every payment the suite made: Idempotency-Key → payment id (with its request body). */
  final Map<String, String[]> payments = new ConcurrentHashMap<>();

  /** The store and key manager under test (started here, closed after the suite). */
  abstract Backend openBackend();

  @BeforeAll
  void start() {
    backend = openBackend();
    server = VaultServer.fresh("flow-" + backend.name(), backend.properties(), backend.environment())
        .start();
    http = server.http();
  }

  @AfterAll
  void stopAndScan() {
    try {
      if (server != null) {
        List<Path> roots = new ArrayList<>(List.of(server.dataDir, server.log));
        roots.addAll(backend.extraScanRoots());
        assertThat(LeakScan.findings(roots))
            .as("test values in the data directory or the server log while running").isEmpty();
        byte[] dump = backend.rawDump();
        if (dump.length > 0) {
          // the dump is the real thing: it holds the tokens the suite made, not their values
          String text = new String(dump, java.nio.charset.StandardCharsets.ISO_8859_1);
          assertThat(tokens.keySet()).as("tokens in the raw dump").anyMatch(text::contains);
        }
        assertThat(LeakScan.findings(backend.name() + " rows/items", dump))
            .as("test values in the store's raw rows or items").isEmpty();
        server.stop();
        assertThat(LeakScan.findings(roots))
            .as("test values in the data directory or the server log").isEmpty();
        assertThat(server.logText()).contains("vault ready: store=");
        backend.assertNoSecretIn("the server log", server.logText());
      }
    } finally {
      if (backend != null) {
        backend.close();
      }
    }
  }

  String token(String scopes) {
    return DevTokens.token(server, scopes);
  }

  static boolean same(JsonNode node, String expected) {
    return node != null && node.isTextual() && node.asText().equals(expected);
  }

  /** A new random token for {@code card}, kept in {@link #tokens} for the later checks. */
  String keptToken(String bearer, String card) {
    String token = Http.json(http.postJson("/v1/tokens", bearer,
        "{\"type\":\"card\",\"value\":\"" + card + "\"}")).get("token").asText();
    tokens.put(token, card);
    return token;
  }

  HttpRequest payment(String bearer, String key, String body) {
    return http.request("/v1/payments", bearer).header("Content-Type", "application/json")
        .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  List<String> eventNames(String query) {
    HttpResponse<String> a = http.get("/v1/audit?" + query + "&limit=1000", token("audit.read"));
    assertThat(a.statusCode()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    Http.json(a).get("events").forEach(e -> names.add(e.get("eventName").asText()));
    return names;
  }

  void assertAuditChainValid() {
    HttpResponse<String> v = http.get("/v1/audit/verify", token("audit.read"));
    assertThat(v.statusCode()).isEqualTo(200);
    assertThat(Http.json(v).get("valid").asBoolean()).as("audit chain valid").isTrue();
    assertThat(Http.json(v).get("eventsChecked").asLong()).isGreaterThan(0);
  }

  @Test
  @Order(1)
  void seedLabFlowTokenizePayDetokenizeAuditVerify() {
    String merchant = token("payments.tokenize payments.create");
    HttpResponse<String> t = http.postJson("/tokenize", merchant,
        "{\"accountNumber\":\"" + SEED_ACCOUNT + "\"}");
    assertThat(t.statusCode()).isEqualTo(200);
    String token = Http.json(t).get("token").asText();
    assertThat(token).startsWith("tok_");
    assertThat(Http.json(t).get("last4").asText()).isEqualTo("3456");
    tokens.put(token, SEED_ACCOUNT);

    HttpResponse<String> p = http.postJson("/payments", merchant,
        "{\"token\":\"" + token + "\",\"amount\":25.00}");
    assertThat(p.statusCode()).isEqualTo(200);
    assertThat(Http.json(p).get("status").asText()).isEqualTo("APPROVED");
    assertThat(Http.json(p).get("account").asText()).isEqualTo("****3456");

    HttpResponse<String> d = http.postJson("/v1/detokenize", token("payments.detokenize"),
        "{\"token\":\"" + token + "\"}");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(same(Http.json(d).get("value"), SEED_ACCOUNT)).as("detokenized value").isTrue();

    assertThat(eventNames("token=" + token)).contains("Tokenize", "CreatePayment", "Detokenize");
    assertAuditChainValid();
  }

  @Test
  @Order(2)
  void v1TokensCreateReadDeleteThen404() {
    String tok = token(DevTokens.ALL_SCOPES);
    HttpResponse<String> c = http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + MASTERCARD + "\",\"metadata\":{\"order\":\"A-1\"}}");
    assertThat(c.statusCode()).isEqualTo(201);
    String token = Http.json(c).get("token").asText();
    assertThat(Http.json(c).get("last4").asText()).isEqualTo("4444");
    assertThat(Http.json(c).get("scheme").asText()).isEqualTo("mastercard");

    HttpResponse<String> m = http.get("/v1/tokens/" + token, tok);
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.body()).doesNotContain(MASTERCARD);
    assertThat(Http.json(m).get("metadata").get("order").asText()).isEqualTo("A-1");

    HttpResponse<String> d = http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
    assertThat(same(Http.json(d).get("value"), MASTERCARD)).as("detokenized value").isTrue();

    assertThat(http.delete("/v1/tokens/" + token, tok).statusCode()).isEqualTo(204);
    ServerIT.assertProblem(http.get("/v1/tokens/" + token, tok), 404, "token_not_found");
    ServerIT.assertProblem(http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}"),
        404, "token_not_found");
    assertThat(eventNames("token=" + token)).contains("Tokenize", "DeleteToken");
  }

  @Test
  @Order(3)
  void deterministicTokensAreEqual() {
    String tok = token("payments.tokenize");
    String body = "{\"type\":\"card\",\"value\":\"" + AMEX + "\",\"deterministic\":true}";
    HttpResponse<String> first = http.postJson("/v1/tokens", tok, body);
    HttpResponse<String> second = http.postJson("/v1/tokens", tok, body);
    assertThat(first.statusCode()).isIn(200, 201);
    assertThat(second.statusCode()).isEqualTo(200);
    String token = Http.json(first).get("token").asText();
    assertThat(Http.json(second).get("token").asText()).isEqualTo(token);
    HttpResponse<String> other = http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + VISA + "\",\"deterministic\":true}");
    assertThat(Http.json(other).get("token").asText()).isNotEqualTo(token);
    tokens.put(token, AMEX);
    tokens.put(Http.json(other).get("token").asText(), VISA);
  }

  @Test
  @Order(4)
  void paymentCreateReplayAndRead() {
    String tok = token("payments.tokenize payments.create payments.read");
    String token = keptToken(tok, VISA);
    String body = "{\"token\":\"" + token + "\",\"amount\":1999,\"currency\":\"EUR\"}";
    HttpResponse<String> p1 = http.send(payment(tok, "flow-order-1", body));
    assertThat(p1.statusCode()).isEqualTo(201);
    String id = Http.json(p1).get("id").asText();
    assertThat(Http.json(p1).get("status").asText()).isEqualTo("APPROVED");
    HttpResponse<String> replay = http.send(payment(tok, "flow-order-1", body));
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(Http.json(replay)).isEqualTo(Http.json(p1));
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    ServerIT.assertProblem(http.send(payment(tok, "flow-order-1", body.replace("1999", "2000"))),
        422, "idempotency_key_reused");
    HttpResponse<String> get = http.get("/v1/payments/" + id, tok);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(Http.json(get)).isEqualTo(Http.json(p1));
    payments.put("flow-order-1", new String[] {id, body});
  }

  @Test
  @Order(5)
  void sixteenConcurrentRetriesOfOneKeyMakeOnePayment() {
    String tok = token("payments.tokenize payments.create");
    String token = keptToken(tok, MASTERCARD);
    String body = "{\"token\":\"" + token + "\",\"amount\":500,\"currency\":\"USD\"}";
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(http.sendAsync(payment(tok, "flow-concurrent-1", body)));
    }
    List<HttpResponse<String>> responses = calls.stream().map(CompletableFuture::join).toList();
    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(201));
    Set<String> ids = responses.stream().map(r -> Http.json(r).get("id").asText())
        .collect(Collectors.toSet());
    assertThat(ids).hasSize(1);
    assertThat(responses.stream().filter(r -> r.headers().firstValue("Idempotent-Replayed").isEmpty()))
        .as("responses that created the payment").hasSize(1);
    assertThat(eventNames("action=CreatePayment&outcome=success&token=" + token))
        .as("CreatePayment events").containsExactly("CreatePayment");
    payments.put("flow-concurrent-1", new String[] {ids.iterator().next(), body});
  }

  /**
   * Idempotency keys that hold a card number, on purpose or by chance (a UUID whose digits run
   * 4111 1111 1111 1111 across its dashes), are accepted and found again; the store keeps only a
   * keyed reference of them, which the leak scan of the raw rows or items checks after the suite
   * (the restart test replays both).
   */
  @Test
  @Order(6)
  void idempotencyKeysHoldingCardNumbersAreAcceptedAndNeverStored() {
    String tok = token("payments.tokenize payments.create");
    String token = keptToken(tok, AMEX);
    String body = "{\"token\":\"" + token + "\",\"amount\":4200,\"currency\":\"USD\"}";
    for (String key : List.of("order-" + VISA, "41111111-1111-1111-a111-0123456789ab")) {
      HttpResponse<String> first = http.send(payment(tok, key, body));
      assertThat(first.statusCode()).isEqualTo(201);
      HttpResponse<String> replay = http.send(payment(tok, key, body));
      assertThat(replay.statusCode()).isEqualTo(201);
      assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
      assertThat(Http.json(replay)).isEqualTo(Http.json(first));
      payments.put(key, new String[] {Http.json(first).get("id").asText(), body});
    }
  }

  /**
   * KEK rotation on this store and key manager: every token made so far stays readable after the
   * background rewrap and the retirement of the old version (and, in the next test, a restart).
   * AWS KMS versions are KMS keys an operator configures, so there the vault refuses (409).
   */
  @Test
  @Order(90)
  void kekRotationRewrapsAndRetiresWithoutLosingAToken() throws InterruptedException {
    assertThat(tokens).isNotEmpty();
    String admin = token("keys.admin");
    String tok = token(DevTokens.ALL_SCOPES);
    HttpResponse<String> rotated = http.postJson("/v1/keys/rotate", admin, "");
    if (backend.properties().getOrDefault("tokenvault.keys.type", "local").equals("awskms")) {
      assertThat(rotated.statusCode()).isEqualTo(409);
      assertThat(Http.json(rotated).get("code").asText()).isEqualTo("kek_managed_externally");
      return;
    }
    assertThat(rotated.statusCode()).isEqualTo(202);
    int previous = Http.json(rotated).get("previousVersion").asInt();
    JsonNode report = null;
    for (int i = 0; i < 600; i++) {
      report = Http.json(http.get("/v1/keys", admin));
      if (!report.get("rewrap").get("state").asText().equals("running")) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(report.get("rewrap").get("state").asText()).isEqualTo("done");
    for (JsonNode v : report.get("versions")) {
      if (v.get("version").asInt() != report.get("currentVersion").asInt()) {
        assertThat(v.get("dataKeys").asLong()).as("data keys left under v%s", v.get("version")).isZero();
      }
    }
    tokens.forEach((token, value) -> {
      HttpResponse<String> d = http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
      assertThat(d.statusCode()).as("detokenize %s after rotation", token).isEqualTo(200);
      assertThat(same(Http.json(d).get("value"), value)).isTrue();
    });
    HttpResponse<String> retired = http.delete("/v1/keys/versions/" + previous, admin);
    assertThat(retired.statusCode()).isEqualTo(200);
    assertAuditChainValid();
  }

  @Test
  @Order(100)
  void restartKeepsEveryTokenAndPayment() {
    assertThat(tokens).hasSizeGreaterThanOrEqualTo(5);
    assertThat(payments).hasSize(4);
    server.stop();
    server.start();
    http = server.http();
    String tok = token(DevTokens.ALL_SCOPES);
    tokens.forEach((token, value) -> {
      HttpResponse<String> d = http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
      assertThat(d.statusCode()).as("detokenize %s after restart", token).isEqualTo(200);
      assertThat(same(Http.json(d).get("value"), value)).as("value of %s after restart", token).isTrue();
    });
    payments.forEach((key, idAndBody) -> {
      HttpResponse<String> get = http.get("/v1/payments/" + idAndBody[0], tok);
      assertThat(get.statusCode()).as("payment %s after restart", idAndBody[0]).isEqualTo(200);
      HttpResponse<String> replay = http.send(payment(tok, key, idAndBody[1]));
      assertThat(replay.statusCode()).isEqualTo(201);
      assertThat(Http.json(replay).get("id").asText()).isEqualTo(idAndBody[0]);
    });
    assertAuditChainValid();
  }
}
