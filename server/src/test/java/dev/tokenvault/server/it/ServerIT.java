package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenvault.server.auth.PublicRoute;
import dev.tokenvault.server.auth.RequiresScope;
import java.lang.reflect.Method;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole HTTP API against the real server (packaged jar, HTTPS, SQLite file, local key
 * manager, dev issuer) on a random port. Test values are compared without being printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerIT {
  static final String VISA = "4111111111111111";
  static final String MASTERCARD = "5555555555554444";
  static final String AMEX = "378282246310005";
  static final String SEED_ACCOUNT = "1234567890123456";

  VaultServer server;
  Http http;

  @BeforeAll
  void start() {
    // many invalid tokens from one address on purpose: the failure lockout is AbuseControlsIT's
    server = VaultServer.fresh("server", Map.of(
        "tokenvault.rate-limit.auth-failures.max-attempts", "1000",
        "tokenvault.rate-limit.auth-failures.max-attempts-per-address", "1000")).start();
    http = server.http();
  }

  @AfterAll
  void stopAndScan() {
    // while running (the SQLite WAL holds recent writes), then after the shutdown checkpoint
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log)))
        .as("test values found in the data directory or the server log while running")
        .isEmpty();
    server.stop();
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log)))
        .as("test values found in the data directory or the server log")
        .isEmpty();
    assertThat(server.logText()).contains("dev issuer is ON");
    // a card number sent where nothing expects it (the URL path) reaches the access log masked
    assertThat(server.logText()).contains("path=/v1/tokens/[PAN ****1111]");
  }

  private String token(String scopes) {
    return DevTokens.token(server, scopes);
  }

  private static boolean same(JsonNode node, String expected) {
    return node != null && node.isTextual() && node.asText().equals(expected);
  }

  // ---------- the flows ----------

  @Test
  void seedLabFlowTokenizePayDetokenizeAudit() {
    String merchant = token("payments.tokenize payments.create");
    HttpResponse<String> t = http.postJson("/tokenize", merchant,
        "{\"accountNumber\":\"" + SEED_ACCOUNT + "\"}");
    assertThat(t.statusCode()).isEqualTo(200);
    JsonNode tb = Http.json(t);
    assertThat(tb.get("token").asText()).startsWith("tok_");
    assertThat(tb.get("last4").asText()).isEqualTo("3456");
    assertThat(tb.size()).isEqualTo(2);

    HttpResponse<String> p = http.postJson("/payments", merchant,
        "{\"token\":\"" + tb.get("token").asText() + "\",\"amount\":25.00}");
    assertThat(p.statusCode()).isEqualTo(200);
    JsonNode pb = Http.json(p);
    assertThat(pb.get("token").asText()).isEqualTo(tb.get("token").asText());
    assertThat(pb.get("account").asText()).isEqualTo("****3456");
    assertThat(pb.get("amount").decimalValue()).isEqualByComparingTo("25.00");
    assertThat(pb.get("status").asText()).isEqualTo("APPROVED");

    HttpResponse<String> d = http.postJson("/v1/detokenize", token("payments.detokenize"),
        "{\"token\":\"" + tb.get("token").asText() + "\"}");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(same(Http.json(d).get("value"), SEED_ACCOUNT)).as("detokenized value").isTrue();
    assertThat(Http.json(d).get("type").asText()).isEqualTo("account");

    HttpResponse<String> a = http.get("/v1/audit?token=" + tb.get("token").asText(), token("audit.read"));
    assertThat(a.statusCode()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    Http.json(a).get("events").forEach(e -> names.add(e.get("eventName").asText()));
    assertThat(names).contains("Tokenize", "CreatePayment", "Detokenize");
    assertThat(a.body()).doesNotContain(SEED_ACCOUNT);

    HttpResponse<String> v = http.get("/v1/audit/verify", token("audit.read"));
    assertThat(v.statusCode()).isEqualTo(200);
    assertThat(Http.json(v).get("valid").asBoolean()).isTrue();
    assertThat(Http.json(v).get("eventsChecked").asLong()).isGreaterThan(0);
  }

  @Test
  void seedTokenizeTreatsACardNumberAsACard() {
    String tok = token("payments.tokenize payments.read");
    HttpResponse<String> t = http.postJson("/tokenize", tok, "{\"accountNumber\":\"" + AMEX + "\"}");
    assertThat(t.statusCode()).isEqualTo(200);
    String token = Http.json(t).get("token").asText();
    JsonNode meta = Http.json(http.get("/v1/tokens/" + token, tok));
    assertThat(meta.get("type").asText()).isEqualTo("card");
    assertThat(meta.get("scheme").asText()).isEqualTo("amex");
  }

  @Test
  void v1TokensCreateReadDetokenizeDelete() {
    String tok = token(DevTokens.ALL_SCOPES);
    HttpResponse<String> c = http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + MASTERCARD + "\",\"metadata\":{\"order\":\"A-1\"}}");
    assertThat(c.statusCode()).isEqualTo(201);
    JsonNode cb = Http.json(c);
    String token = cb.get("token").asText();
    assertThat(cb.get("type").asText()).isEqualTo("card");
    assertThat(cb.get("last4").asText()).isEqualTo("4444");
    assertThat(cb.get("bin").asText()).isEqualTo("555555");
    assertThat(cb.get("scheme").asText()).isEqualTo("mastercard");
    assertThat(cb.get("fingerprint").asText()).startsWith("fp_");
    assertThat(cb.has("createdAt")).isTrue();
    assertThat(c.body()).doesNotContain(MASTERCARD);

    HttpResponse<String> m = http.get("/v1/tokens/" + token, tok);
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.body()).doesNotContain(MASTERCARD);
    assertThat(Http.json(m).get("metadata").get("order").asText()).isEqualTo("A-1");

    HttpResponse<String> d = http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(same(Http.json(d).get("value"), MASTERCARD)).as("detokenized value").isTrue();

    assertThat(http.delete("/v1/tokens/" + token, tok).statusCode()).isEqualTo(204);
    assertThat(http.postJson("/v1/detokenize", tok, "{\"token\":\"" + token + "\"}").statusCode())
        .isIn(404, 410);
    assertThat(http.get("/v1/tokens/" + token, tok).statusCode()).isIn(404, 410);
  }

  @Test
  void deterministicTokenizationGivesTheSameToken() {
    String tok = token("payments.tokenize");
    String body = "{\"type\":\"card\",\"value\":\"" + VISA + "\",\"deterministic\":true}";
    HttpResponse<String> first = http.postJson("/v1/tokens", tok, body);
    HttpResponse<String> second = http.postJson("/v1/tokens", tok, body);
    assertThat(first.statusCode()).isIn(200, 201);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(Http.json(second).get("token").asText()).isEqualTo(Http.json(first).get("token").asText());
  }

  @Test
  void v1PaymentCreateReplayConflictAndRead() {
    String tok = token("payments.tokenize payments.create payments.read");
    String token = Http.json(http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + VISA + "\"}")).get("token").asText();
    String body = "{\"token\":\"" + token + "\",\"amount\":1999,\"currency\":\"EUR\"}";
    HttpResponse<String> p1 = send(post("/v1/payments", tok, body).header("Idempotency-Key", "order-1"));
    assertThat(p1.statusCode()).isEqualTo(201);
    JsonNode pb = Http.json(p1);
    assertThat(pb.get("id").asText()).startsWith("pay_");
    assertThat(pb.get("status").asText()).isEqualTo("APPROVED");
    assertThat(pb.get("account").asText()).isEqualTo("****1111");
    assertThat(pb.get("amount").asLong()).isEqualTo(1999);
    assertThat(pb.get("currency").asText()).isEqualTo("EUR");
    assertThat(p1.body()).doesNotContain(VISA);

    HttpResponse<String> replay = send(post("/v1/payments", tok, body).header("Idempotency-Key", "order-1"));
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(Http.json(replay)).isEqualTo(pb);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");

    HttpResponse<String> conflict = send(post("/v1/payments", tok,
        body.replace("1999", "2000")).header("Idempotency-Key", "order-1"));
    assertThat(conflict.statusCode()).isEqualTo(422);
    assertProblem(conflict, 422, "idempotency_key_reused");

    HttpResponse<String> get = http.get("/v1/payments/" + pb.get("id").asText(), tok);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(Http.json(get).get("id")).isEqualTo(pb.get("id"));
    assertThat(http.get("/v1/payments/pay_doesnotexist", tok).statusCode()).isEqualTo(404);

    HttpResponse<String> noKey = http.postJson("/v1/payments", tok, body);
    assertProblem(noKey, 400, "validation_failed");
    assertThat(Http.json(noKey).get("errors").get(0).get("field").asText()).isEqualTo("Idempotency-Key");
  }

  @Test
  void sixteenConcurrentRetriesMakeOnePayment() {
    String tok = token("payments.tokenize payments.create");
    String token = Http.json(http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + MASTERCARD + "\"}")).get("token").asText();
    String body = "{\"token\":\"" + token + "\",\"amount\":500,\"currency\":\"USD\"}";
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(http.sendAsync(post("/v1/payments", tok, body).header("Idempotency-Key", "concurrent-1").build()));
    }
    List<HttpResponse<String>> responses = calls.stream().map(CompletableFuture::join).toList();
    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(201));
    Set<String> ids = responses.stream().map(r -> Http.json(r).get("id").asText()).collect(Collectors.toSet());
    assertThat(ids).hasSize(1);
    long created = responses.stream()
        .filter(r -> r.headers().firstValue("Idempotent-Replayed").isEmpty()).count();
    assertThat(created).isEqualTo(1);
    JsonNode events = Http.json(http.get("/v1/audit?eventName=CreatePayment&token=" + token + "&limit=100",
        token("audit.read"))).get("events");
    assertThat(events).hasSize(1);
  }

  @Test
  void declinedTestRuleIsAPaymentNotAnError() {
    String tok = token("payments.tokenize payments.create");
    String token = Http.json(http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + VISA + "\"}")).get("token").asText();
    HttpResponse<String> p = send(post("/v1/payments", tok,
        "{\"token\":\"" + token + "\",\"amount\":1051,\"currency\":\"USD\"}").header("Idempotency-Key", "decline-1"));
    assertThat(p.statusCode()).isEqualTo(201);
    assertThat(Http.json(p).get("status").asText()).isEqualTo("DECLINED");
    assertThat(Http.json(p).get("declineCode").asText()).isEqualTo("insufficient_funds");
  }

  @Test
  void auditPagesAndFilters() {
    String tok = token("payments.tokenize audit.read");
    for (int i = 0; i < 3; i++) {
      http.postJson("/v1/tokens", tok, "{\"type\":\"account\",\"value\":\"" + SEED_ACCOUNT + "\"}");
    }
    JsonNode first = Http.json(http.get("/v1/audit?limit=2", tok));
    assertThat(first.get("events")).hasSize(2);
    long next = first.get("next").asLong();
    JsonNode second = Http.json(http.get("/v1/audit?limit=2&after=" + next, tok));
    assertThat(second.get("events").get(0).get("sequence").asLong()).isGreaterThan(next);

    Instant from = Instant.now().minus(1, ChronoUnit.HOURS);
    JsonNode filtered = Http.json(http.get("/v1/audit?action=Tokenize&clientId=admin&outcome=success&from="
        + from + "&limit=1000", tok));
    assertThat(filtered.get("events")).isNotEmpty().allSatisfy(e -> {
      assertThat(e.get("eventName").asText()).isEqualTo("Tokenize");
      assertThat(e.get("clientId").asText()).isEqualTo("admin");
      assertThat(e.get("outcome").asText()).isEqualTo("success");
      assertThat(e.get("hash").asText()).hasSize(64);
    });
    assertThat(Http.json(http.get("/v1/audit?to=" + from, tok)).get("events")).isEmpty();
  }

  // ---------- authentication ----------

  @Test
  void missingOrBadTokensAre401() {
    HttpResponse<String> none = http.get("/v1/audit", null);
    assertProblem(none, 401, "authentication_required");
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"tokenvault\"");

    Instant now = Instant.now();
    var key = DevTokens.devKey(server.dataDir);
    List<String> bad = new ArrayList<>();
    bad.add("garbage");
    bad.add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA");
    try {
      var foreign = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID(key.getKeyID()).generate();
      bad.add(DevTokens.sign(foreign, DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).build()));
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
    bad.add(DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read",
        now.minus(2, ChronoUnit.HOURS), now.minus(1, ChronoUnit.HOURS)).build()));
    bad.add(DevTokens.sign(key, DevTokens.claims("someone-else", "audit.read", now, now.plusSeconds(300)).build()));
    bad.add(DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300))
        .audience("another-api").build()));
    bad.add(DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read",
        now.plus(1, ChronoUnit.HOURS), now.plus(2, ChronoUnit.HOURS)).build()));
    bad.add(DevTokens.unsigned(DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).build()));
    bad.add(hs256(DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).build(),
        key.toPublicJWK().toJSONString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    for (int i = 0; i < bad.size(); i++) {
      HttpResponse<String> r = http.get("/v1/audit", bad.get(i));
      assertThat(r.statusCode()).as("bad token #%d", i).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate").orElse(""))
          .as("bad token #%d", i).contains("error=\"invalid_token\"");
      assertThat(Http.json(r).get("code").asText()).isEqualTo("invalid_token");
    }
    // the same claims, properly signed, pass: the cases above fail for the reason named
    String good = DevTokens.sign(key, DevTokens.claims("tokenvault-dev", "audit.read", now, now.plusSeconds(300)).build());
    assertThat(http.get("/v1/audit", good).statusCode()).isEqualTo(200);
  }

  private static String hs256(com.nimbusds.jwt.JWTClaimsSet claims, byte[] secret) {
    try {
      byte[] key = java.util.Arrays.copyOf(secret, Math.max(32, secret.length));
      var jwt = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256), claims);
      jwt.sign(new com.nimbusds.jose.crypto.MACSigner(key));
      return jwt.serialize();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  record Route(String method, String path, String body, String scope) {}

  static final List<Route> PROTECTED = List.of(
      new Route("POST", "/v1/tokens", "{}", "payments.tokenize"),
      new Route("GET", "/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", null, "payments.read"),
      new Route("DELETE", "/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", null, "payments.tokenize"),
      new Route("POST", "/v1/detokenize", "{}", "payments.detokenize"),
      new Route("POST", "/v1/payments", "{}", "payments.create"),
      new Route("GET", "/v1/payments/pay_x", null, "payments.read"),
      new Route("GET", "/v1/audit", null, "audit.read"),
      new Route("GET", "/v1/audit/verify", null, "audit.read"),
      new Route("GET", "/metrics", null, "audit.read"),
      new Route("POST", "/tokenize", "{}", "payments.tokenize"),
      new Route("POST", "/payments", "{}", "payments.create"),
      new Route("POST", "/v1/capture-sessions", null, "payments.tokenize"),
      new Route("GET", "/v1/keys", null, "keys.admin"),
      new Route("POST", "/v1/keys/rotate", "{}", "keys.admin"),
      new Route("DELETE", "/v1/keys/versions/*", null, "keys.admin"),
      new Route("POST", "/v1/keys/fingerprint/rotate", "{}", "keys.admin"),
      new Route("DELETE", "/v1/keys/fingerprint/*/versions/*", null, "keys.admin"));

  @Test
  void everyRouteNeedsItsScope() {
    for (Route r : PROTECTED) {
      String others = Arrays.stream(DevTokens.ALL_SCOPES.split(" "))
          .filter(s -> !s.equals(r.scope())).collect(Collectors.joining(" "));
      HttpResponse<String> res = send(request(r, token(others)));
      assertThat(res.statusCode()).as("%s %s without %s", r.method(), r.path(), r.scope()).isEqualTo(403);
      assertThat(res.headers().firstValue("WWW-Authenticate").orElse(""))
          .contains("error=\"insufficient_scope\"").contains(r.scope());
      assertProblem(res, 403, "insufficient_scope");

      HttpResponse<String> anonymous = send(request(r, null));
      assertThat(anonymous.statusCode()).as("%s %s anonymous", r.method(), r.path()).isEqualTo(401);

      HttpResponse<String> allowed = send(request(r, token(r.scope())));
      assertThat(allowed.statusCode()).as("%s %s with %s", r.method(), r.path(), r.scope())
          .isNotIn(401, 403);
    }
    // each refused scope is in the audit trail, attributed to the client
    JsonNode denied = Http.json(http.get("/v1/audit?eventName=AuthFailure&outcome=denied&limit=1000",
        token("audit.read"))).get("events");
    Set<String> codes = new TreeSet<>();
    denied.forEach(e -> {
      assertThat(e.get("clientId").asText()).isEqualTo("admin");
      codes.add(e.get("errorCode").asText());
    });
    assertThat(codes).contains("insufficient_scope:payments.detokenize", "insufficient_scope:audit.read",
        "insufficient_scope:payments.tokenize", "insufficient_scope:payments.create",
        "insufficient_scope:payments.read");
  }

  @Test
  void protectedRouteTableCoversEveryResourceMethod() {
    Set<String> declared = new TreeSet<>();
    for (Method m : resourceMethods()) {
      if (m.getDeclaringClass().isAnnotationPresent(PublicRoute.class) || m.isAnnotationPresent(PublicRoute.class)) {
        continue;
      }
      assertThat(m.getAnnotation(RequiresScope.class)).as("scope of %s", m).isNotNull();
      declared.add(httpMethod(m) + " " + path(m).replaceAll("\\{[^}]+}", "*") + " " + m.getAnnotation(RequiresScope.class).value());
    }
    Set<String> tested = PROTECTED.stream()
        .map(r -> r.method() + " " + r.path().replaceAll("(tok|pay)_\\w+$", "*") + " " + r.scope())
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(tested).isEqualTo(declared);
  }

  // ---------- dev issuer ----------

  @Test
  void devIssuerFollowsRfc6749() {
    String secret = DevTokens.secret(server.dataDir, "merchant");
    HttpResponse<String> basic = http.postForm("/oauth2/token", "grant_type=client_credentials",
        DevTokens.basic("merchant", secret));
    assertThat(basic.statusCode()).isEqualTo(200);
    assertThat(basic.headers().firstValue("Cache-Control")).contains("no-store");
    JsonNode b = Http.json(basic);
    assertThat(b.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(b.get("expires_in").asLong()).isEqualTo(900);
    assertThat(b.get("scope").asText()).isEqualTo("payments.tokenize payments.create payments.read");

    HttpResponse<String> form = http.postForm("/oauth2/token",
        "grant_type=client_credentials&client_id=merchant&client_secret=" + secret + "&scope=payments.read", null);
    assertThat(form.statusCode()).isEqualTo(200);
    assertThat(Http.json(form).get("scope").asText()).isEqualTo("payments.read");

    HttpResponse<String> wrong = http.postForm("/oauth2/token", "grant_type=client_credentials",
        DevTokens.basic("merchant", "not-the-secret"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(Http.json(wrong).get("error").asText()).isEqualTo("invalid_client");
    assertThat(wrong.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic");

    HttpResponse<String> scope = http.postForm("/oauth2/token", "grant_type=client_credentials&scope=audit.read",
        DevTokens.basic("merchant", secret));
    assertThat(scope.statusCode()).isEqualTo(400);
    assertThat(Http.json(scope).get("error").asText()).isEqualTo("invalid_scope");

    HttpResponse<String> grant = http.postForm("/oauth2/token", "grant_type=password",
        DevTokens.basic("merchant", secret));
    assertThat(grant.statusCode()).isEqualTo(400);
    assertThat(Http.json(grant).get("error").asText()).isEqualTo("unsupported_grant_type");

    HttpResponse<String> noGrant = http.postForm("/oauth2/token", "scope=payments.read",
        DevTokens.basic("merchant", secret));
    assertThat(noGrant.statusCode()).isEqualTo(400);
    assertThat(Http.json(noGrant).get("error").asText()).isEqualTo("invalid_request");

    HttpResponse<String> jwks = http.get("/oauth2/jwks", null);
    assertThat(jwks.statusCode()).isEqualTo(200);
    assertThat(Http.json(jwks).get("keys").get(0).has("d")).as("private part published").isFalse();
  }

  @Test
  void launcherDevTokenPrintsAWorkingToken() throws Exception {
    Path root = Path.of(System.getProperty("tokenvault.repo.root", ".."));
    Process p = new ProcessBuilder(root.resolve("tokenvault").toString(), "dev-token",
        "--scopes", "payments.read audit.read", "--data-dir", server.dataDir.toString(),
        "--port", String.valueOf(server.port))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as("launcher exit status").isZero();
    assertThat(out).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    assertThat(http.get("/v1/audit?limit=1", out).statusCode()).isEqualTo(200);
  }

  // ---------- problems ----------

  @Test
  void problemsHaveStableCodesAndNeverEchoInput() {
    String tok = token(DevTokens.ALL_SCOPES);
    HttpResponse<String> malformed = http.postJson("/v1/tokens", tok, "{\"type\":\"card\",\"value\":\"4111");
    assertProblem(malformed, 400, "malformed_json");
    assertThat(malformed.body()).doesNotContain("4111");

    HttpResponse<String> wrongType = http.postJson("/v1/tokens", tok, "{\"type\":\"card\",\"value\":{\"x\":\"378282246310005\"}}");
    assertProblem(wrongType, 400, "validation_failed");
    assertThat(wrongType.body()).doesNotContain("37828");

    HttpResponse<String> luhn = http.postJson("/v1/tokens", tok, "{\"type\":\"card\",\"value\":\"4111111111111112\"}");
    assertProblem(luhn, 400, "validation_failed");
    assertThat(Http.json(luhn).get("errors").get(0).get("code").asText()).isEqualTo("luhn_check_failed");
    assertThat(Http.json(luhn).get("errors").get(0).get("field").asText()).isEqualTo("value");
    assertThat(luhn.body()).doesNotContain("4111111111111112");

    HttpResponse<String> media = send(http.request("/v1/tokens", tok).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("hello")).build());
    assertProblem(media, 415, "unsupported_media_type");

    HttpResponse<String> big = http.postJson("/tokenize", tok, "{\"accountNumber\":\"" + "1".repeat(20_000) + "\"}");
    assertProblem(big, 413, "request_too_large");

    assertProblem(http.get("/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA", tok), 404, "token_not_found");
    assertProblem(http.get("/v1/tokens/not-a-token", tok), 400, "validation_failed");
    HttpResponse<String> panInPath = http.get("/v1/tokens/" + VISA, tok);
    assertProblem(panInPath, 400, "validation_failed");
    assertThat(panInPath.body()).doesNotContain(VISA);
    assertProblem(http.get("/no/such/route", tok), 404, "not_found");
    assertProblem(send(http.request("/v1/audit", tok).PUT(HttpRequest.BodyPublishers.noBody()).build()),
        405, "method_not_allowed");

    assertProblem(http.get("/v1/audit?limit=abc", tok), 400, "validation_failed");
    assertProblem(http.get("/v1/audit?limit=5000", tok), 400, "validation_failed");
    assertProblem(http.get("/v1/audit?from=yesterday", tok), 400, "validation_failed");

    HttpResponse<String> withId = send(http.request("/v1/audit", tok).header("X-Request-Id", "req-123").GET().build());
    assertThat(withId.headers().firstValue("X-Request-Id")).contains("req-123");
  }

  @Test
  void expiredTokenIs410() throws InterruptedException {
    String tok = token("payments.tokenize payments.read");
    String token = Http.json(http.postJson("/v1/tokens", tok,
        "{\"type\":\"card\",\"value\":\"" + AMEX + "\",\"ttlSeconds\":1}")).get("token").asText();
    // wait for the expiry to pass (a bound, not a timing assertion)
    HttpResponse<String> r = http.get("/v1/tokens/" + token, tok);
    for (int i = 0; i < 100 && r.statusCode() == 200; i++) {
      Thread.sleep(100);
      r = http.get("/v1/tokens/" + token, tok);
    }
    assertProblem(r, 410, "token_expired");
  }

  // ---------- transport ----------

  @Test
  void onlyTls13And12WithAeadSuitesAndNoPlainHttp() throws Exception {
    javax.net.ssl.SSLContext ctx = Http.trusting(server.dataDir.resolve("tls/ca.pem"));
    assertThat(handshake(ctx, "TLSv1.3", null)).isEqualTo("TLSv1.3");
    assertThat(handshake(ctx, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).isEqualTo("TLSv1.2");
    assertThat(handshake(ctx, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")).isEqualTo("refused");
    assertThat(handshake(ctx, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384")).isEqualTo("refused");

    try (java.net.Socket plain = new java.net.Socket("127.0.0.1", server.port)) {
      plain.setSoTimeout(10_000);
      plain.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] answer = new byte[12];
      int n;
      try {
        n = plain.getInputStream().read(answer);
      } catch (java.io.IOException e) {
        n = -1;
      }
      String head = n <= 0 ? "" : new String(answer, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
      assertThat(head).doesNotStartWith("HTTP/1.1 200");
    }
  }

  /** The negotiated protocol, or "refused". */
  private String handshake(javax.net.ssl.SSLContext ctx, String protocol, String suite) throws Exception {
    try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
        .createSocket("localhost", server.port)) {
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {protocol});
      if (suite != null) {
        s.setEnabledCipherSuites(new String[] {suite});
      }
      s.startHandshake();
      return s.getSession().getProtocol();
    } catch (javax.net.ssl.SSLException e) {
      return "refused";
    }
  }

  // ---------- OpenAPI ----------

  @Test
  void openApiDescribesExactlyTheRoutes() {
    HttpResponse<String> r = http.get("/openapi?format=json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = Http.json(r);
    assertThat(doc.get("openapi").asText()).startsWith("3.1");
    Set<String> documented = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
      if (Set.of("get", "post", "put", "delete", "patch").contains(m)) {
        documented.add(m.toUpperCase() + " " + p.getKey());
      }
    }));
    Set<String> served = new TreeSet<>();
    for (Method m : resourceMethods()) {
      served.add(httpMethod(m) + " " + path(m));
    }
    Set<String> health = documented.stream().filter(s -> s.startsWith("GET /health"))
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(health).contains("GET /health", "GET /health/live", "GET /health/ready");
    for (String h : health) {
      String p = h.substring(4);
      assertThat(http.get(p, null).statusCode()).as(h).isEqualTo(200);
    }
    documented.removeAll(health);
    assertThat(documented).isEqualTo(served);
  }

  // ---------- helpers ----------

  static List<Method> resourceMethods() {
    List<Method> out = new ArrayList<>();
    for (Class<?> c : List.of(dev.tokenvault.server.api.TokensResource.class,
        dev.tokenvault.server.api.PaymentsResource.class, dev.tokenvault.server.api.AuditResource.class,
        dev.tokenvault.server.api.SeedResource.class, dev.tokenvault.server.auth.DevIssuerResource.class,
        dev.tokenvault.server.api.MetricsResource.class,
        dev.tokenvault.server.capture.CaptureResource.class, dev.tokenvault.server.capture.CheckoutResource.class,
        dev.tokenvault.server.api.KeysResource.class, dev.tokenvault.server.api.UnsealResource.class)) {
      for (Method m : c.getDeclaredMethods()) {
        if (httpMethod(m) != null) {
          out.add(m);
        }
      }
    }
    return out;
  }

  static String httpMethod(Method m) {
    for (var a : m.getAnnotations()) {
      jakarta.ws.rs.HttpMethod hm = a.annotationType().getAnnotation(jakarta.ws.rs.HttpMethod.class);
      if (hm != null) {
        return hm.value();
      }
    }
    return null;
  }

  static String path(Method m) {
    jakarta.ws.rs.Path cp = m.getDeclaringClass().getAnnotation(jakarta.ws.rs.Path.class);
    jakarta.ws.rs.Path mp = m.getAnnotation(jakarta.ws.rs.Path.class);
    String p = (cp == null ? "" : cp.value()) + "/" + (mp == null ? "" : mp.value());
    p = p.replaceAll("/+", "/");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private HttpRequest.Builder post(String path, String bearer, String body) {
    return http.request(path, bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    return http.send(b.build());
  }

  private HttpResponse<String> send(HttpRequest r) {
    return http.send(r);
  }

  private HttpRequest request(Route r, String bearer) {
    HttpRequest.Builder b = http.request(r.path(), bearer);
    if (r.body() != null) {
      b.header("Content-Type", "application/json");
      b.method(r.method(), HttpRequest.BodyPublishers.ofString(r.body()));
    } else {
      b.method(r.method(), HttpRequest.BodyPublishers.noBody());
    }
    return b.build();
  }

  static void assertProblem(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as("status (code %s)", code).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    JsonNode p = Http.json(r);
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("code").asText()).isEqualTo(code);
    assertThat(p.get("type").asText()).isNotEmpty();
    assertThat(p.get("title").asText()).isNotEmpty();
    assertThat(p.get("requestId").asText()).isEqualTo(r.headers().firstValue("X-Request-Id").orElse(null));
  }
}
