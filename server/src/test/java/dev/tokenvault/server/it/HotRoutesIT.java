package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The hot routes ({@code api.HotRoutes}: tokenize, detokenize, create and read a payment, served
 * as Vert.x handlers) answer exactly as the REST resources do. Every request here is sent twice:
 * as clients send it (the hot route claims it) and with {@code Accept: application/json;q=1} (an
 * {@code Accept} the hot routes leave to the REST layer, which answers it with JSON as usual), and
 * the two answers must agree on status, problem code, field errors, the headers that matter and
 * every body field that is not random.
 *
 * <p>Which path answered is visible: the hot routes send the JSON media type without a charset
 * parameter (RFC 8259 defines none), the REST layer with one; and only a hot route answers a
 * streamed body over the limit with a problem (the REST layer's is Vert.x's bare 413).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HotRoutesIT {
  static final String VIA_REST = "application/json;q=1";
  static final String CARD = "4111111111111111";

  VaultServer server;
  Http http;
  String merchant; // the admin dev client: the merchant one may not detokenize
  String narrow;

  @BeforeAll
  void start() {
    server = VaultServer.fresh("hot-routes", Map.of()).start();
    http = server.http();
    merchant = DevTokens.token(server, "admin",
        "payments.tokenize payments.detokenize payments.create payments.read");
    narrow = DevTokens.token(server, "admin", "payments.read");
  }

  @AfterAll
  void stop() {
    server.stop();
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
  }

  /** One request, sent down both paths: [hot, rest]. */
  HttpResponse<String>[] both(UnaryOperator<HttpRequest.Builder> request) {
    @SuppressWarnings("unchecked")
    HttpResponse<String>[] r = new HttpResponse[2];
    r[0] = http.send(request.apply(HttpRequest.newBuilder()).build());
    r[1] = http.send(request.apply(HttpRequest.newBuilder()).header("Accept", VIA_REST).build());
    assertThat(r[0].statusCode()).as("status, hot vs REST").isEqualTo(r[1].statusCode());
    String hotType = r[0].headers().firstValue("Content-Type").orElse("");
    String restType = r[1].headers().firstValue("Content-Type").orElse("");
    if (hotType.startsWith("application/json")) {
      assertThat(hotType).as("the hot route answered").isEqualTo("application/json");
      assertThat(restType).as("the REST layer answered").startsWith("application/json;");
    } else {
      assertThat(hotType).isEqualTo(restType);
    }
    for (String h : List.of("WWW-Authenticate", "Retry-After", "Idempotent-Replayed", "Cache-Control",
        "X-Content-Type-Options", "Strict-Transport-Security")) {
      assertThat(r[0].headers().firstValue(h)).as(h).isEqualTo(r[1].headers().firstValue(h));
    }
    assertThat(r[0].headers().firstValue("X-Request-Id")).isPresent();
    return r;
  }

  HttpRequest.Builder post(HttpRequest.Builder b, String path, String bearer, String json) {
    b.uri(java.net.URI.create(http.base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    return bearer == null ? b : b.header("Authorization", "Bearer " + bearer);
  }

  /** The body without what differs by design between two calls (ids, times, random tokens). */
  static JsonNode stable(HttpResponse<String> r, String... volatileFields) {
    JsonNode n = Http.json(r);
    if (n instanceof ObjectNode o) {
      o.remove("requestId");
      for (String f : volatileFields) {
        assertThat(o.has(f)).as("field %s", f).isTrue();
        o.remove(f);
      }
    }
    return n;
  }

  @Test
  void tokenizeAnswersAsTheResourceDoes() {
    var created = both(b -> post(b, "/v1/tokens", merchant, "{\"type\":\"card\",\"value\":\"" + CARD + "\"}"));
    assertThat(created[0].statusCode()).isEqualTo(201);
    assertThat(stable(created[0], "token", "createdAt", "fingerprint"))
        .isEqualTo(stable(created[1], "token", "createdAt", "fingerprint"));
    assertThat(Http.json(created[0]).get("last4").asText()).isEqualTo("1111");

    // deterministic: both paths find the same token for the same value
    String det = "{\"type\":\"card\",\"value\":\"5555555555554444\",\"deterministic\":true}";
    HttpResponse<String> made = http.postJson("/v1/tokens", merchant, det);
    assertThat(made.statusCode()).isEqualTo(201);
    var again = both(b -> post(b, "/v1/tokens", merchant, det));
    assertThat(again[0].statusCode()).isEqualTo(200);
    assertThat(Http.json(again[0])).isEqualTo(Http.json(again[1])).isEqualTo(Http.json(made));

    for (String bad : List.of(
        "{\"type\":\"card\",\"value\":\"4111111111111112\"}",    // Luhn
        "{\"type\":\"card\"}",                                     // missing value
        "{\"type\":\"cheque\",\"value\":\"" + CARD + "\"}",       // unknown type
        "{\"type\":\"card\",\"value\":[1]}",                       // wrong shape
        "{\"type\":\"card\",\"value\":",                           // not JSON
        "{\"type\":\"card\",\"value\":\"" + CARD + "\",\"ttlSeconds\":0}",
        "")) {                                                     // no body
      var r = both(b -> post(b, "/v1/tokens", merchant, bad));
      assertThat(r[0].statusCode()).as(bad.isEmpty() ? "empty body" : "a bad request").isEqualTo(400);
      assertThat(stable(r[0])).isEqualTo(stable(r[1]));
      assertThat(r[0].body()).doesNotContain(CARD).doesNotContain("4111111111111112");
    }
  }

  @Test
  void refusalsAnswerAsTheFilterDoes() {
    String body = "{\"type\":\"card\",\"value\":\"" + CARD + "\"}";
    var none = both(b -> post(b, "/v1/tokens", null, body));
    assertThat(none[0].statusCode()).isEqualTo(401);
    assertThat(stable(none[0])).isEqualTo(stable(none[1]));

    var invalid = both(b -> post(b, "/v1/tokens", "not.a.jwt", body));
    assertThat(invalid[0].statusCode()).isEqualTo(401);
    assertThat(invalid[0].headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
    assertThat(stable(invalid[0])).isEqualTo(stable(invalid[1]));

    // two Authorization headers: never read as the first one alone
    HttpResponse<String> twice = http.send(post(HttpRequest.newBuilder(), "/v1/tokens", merchant, body)
        .header("Authorization", "Bearer " + narrow).build());
    assertThat(twice.statusCode()).isEqualTo(401);

    var scope = both(b -> post(b, "/v1/tokens", narrow, body));
    assertThat(scope[0].statusCode()).isEqualTo(403);
    assertThat(scope[0].headers().firstValue("WWW-Authenticate").orElse(""))
        .contains("scope=\"payments.tokenize\"");
    assertThat(stable(scope[0])).isEqualTo(stable(scope[1]));
  }

  @Test
  void detokenizeAnswersAsTheResourceDoes() {
    String token = Http.json(http.postJson("/v1/tokens", merchant,
        "{\"type\":\"card\",\"value\":\"378282246310005\"}")).get("token").asText();

    var found = both(b -> post(b, "/v1/detokenize", merchant, "{\"token\":\"" + token + "\"}"));
    assertThat(found[0].statusCode()).isEqualTo(200);
    assertThat(Http.json(found[0])).isEqualTo(Http.json(found[1]));
    assertThat(Http.json(found[0]).get("value").asText()).isEqualTo("378282246310005");

    var unknown = both(b -> post(b, "/v1/detokenize", merchant, "{\"token\":\"tok_AAAAAAAAAAAAAAAAAAAAAA\"}"));
    assertThat(unknown[0].statusCode()).isEqualTo(404);
    assertThat(stable(unknown[0])).isEqualTo(stable(unknown[1]));

    var malformed = both(b -> post(b, "/v1/detokenize", merchant, "{\"token\":\"x\"}"));
    assertThat(malformed[0].statusCode()).isEqualTo(400);
    assertThat(stable(malformed[0])).isEqualTo(stable(malformed[1]));
  }

  @Test
  void paymentsAnswerAsTheResourceDoes() {
    String token = Http.json(http.postJson("/v1/tokens", merchant,
        "{\"type\":\"card\",\"value\":\"" + CARD + "\"}")).get("token").asText();
    String pay = "{\"token\":\"" + token + "\",\"amount\":2500,\"currency\":\"USD\"}";

    // two new payments, one down each path (one key each: the second would be a replay)
    HttpResponse<String> hot = http.send(post(HttpRequest.newBuilder(), "/v1/payments", merchant, pay)
        .header("Idempotency-Key", freshKey()).build());
    HttpResponse<String> rest = http.send(post(HttpRequest.newBuilder(), "/v1/payments", merchant, pay)
        .header("Idempotency-Key", freshKey()).header("Accept", VIA_REST).build());
    assertThat(hot.statusCode()).isEqualTo(201).isEqualTo(rest.statusCode());
    assertThat(hot.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(hot.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(rest.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(stable(hot, "id", "createdAt", "authorizationCode"))
        .isEqualTo(stable(rest, "id", "createdAt", "authorizationCode"));

    String fresh = freshKey();
    HttpResponse<String> original = http.send(post(HttpRequest.newBuilder(), "/v1/payments",
        merchant, pay).header("Idempotency-Key", fresh).build());
    assertThat(original.statusCode()).as(original.body()).isEqualTo(201);
    var replays = both(b -> post(b, "/v1/payments", merchant, pay).header("Idempotency-Key", fresh));
    assertThat(replays[0].headers().firstValue("Idempotent-Replayed")).as(replays[0].body())
        .contains("true");
    assertThat(Http.json(replays[0])).isEqualTo(Http.json(replays[1]));

    var noKey = both(b -> post(b, "/v1/payments", merchant, pay));
    assertThat(noKey[0].statusCode()).isEqualTo(400);
    assertThat(stable(noKey[0])).isEqualTo(stable(noKey[1]));

    // a key holding a card number is accepted (only a keyed reference of it is stored)
    String cardKey = "k-" + CARD;
    HttpResponse<String> made = http.send(post(HttpRequest.newBuilder(), "/v1/payments",
        merchant, pay).header("Idempotency-Key", cardKey).build());
    assertThat(made.statusCode()).isEqualTo(201);
    var cardReplays = both(b -> post(b, "/v1/payments", merchant, pay)
        .header("Idempotency-Key", cardKey));
    assertThat(cardReplays[0].headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(Http.json(cardReplays[0])).isEqualTo(Http.json(made));
    assertThat(cardReplays[0].body()).doesNotContain(CARD);

    String id = Http.json(hot).get("id").asText();
    var read = both(b -> b.uri(java.net.URI.create(http.base + "/v1/payments/" + id))
        .header("Authorization", "Bearer " + merchant).GET());
    assertThat(read[0].statusCode()).isEqualTo(200);
    assertThat(Http.json(read[0])).isEqualTo(Http.json(read[1]));

    var missing = both(b -> b.uri(java.net.URI.create(http.base + "/v1/payments/pay_none"))
        .header("Authorization", "Bearer " + merchant).GET());
    assertThat(missing[0].statusCode()).isEqualTo(404);
    assertThat(stable(missing[0])).isEqualTo(stable(missing[1]));
  }

  /**
   * A refusal answered before the body is read (no token, a wrong scope, a bad token) leaves an
   * HTTP/1.1 keep-alive connection able to serve the next request (the server lets the unread body
   * go by): a stuck connection would time this out.
   */
  @Test
  void aRefusedRequestLeavesTheKeepAliveConnectionUsable() throws Exception {
    HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(Http.trusting(server.dataDir.resolve("tls").resolve("ca.pem"))).build();
    String body = "{\"type\":\"card\",\"value\":\"" + CARD + "\"}";
    for (String bearer : new String[] {null, narrow, "not.a.jwt"}) {
      HttpResponse<String> refused = h1.send(post(HttpRequest.newBuilder(), "/v1/tokens", bearer, body)
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isIn(401, 403);
      HttpResponse<String> next = h1.send(post(HttpRequest.newBuilder(), "/v1/tokens", merchant, body)
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(next.statusCode()).as("the request after a refusal, same connection").isEqualTo(201);
    }
  }

  @Test
  void aStreamedBodyOverTheLimitGetsTheProblemOnBothPaths() {
    // a client of its own: a 413 ends an HTTP/1.1 connection under any other requests on it
    Http http = new Http(this.http.base, Http.trusting(server.dataDir.resolve("tls").resolve("ca.pem")));
    byte[] big = ("{\"type\":\"card\",\"value\":\"" + "1".repeat(20_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> hot = http.send(post(HttpRequest.newBuilder(), "/v1/tokens", merchant, "")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
    assertThat(hot.statusCode()).isEqualTo(413);
    assertThat(hot.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(Http.json(hot).get("code").asText()).isEqualTo("request_too_large");
    assertThat(hot.body()).doesNotContain("1111111111");

    // the same request left to the REST layer: the same problem (HttpPipeline reads it)
    HttpResponse<String> rest = http.send(post(HttpRequest.newBuilder(), "/v1/tokens", merchant, "")
        .header("Accept", VIA_REST)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
    assertThat(rest.statusCode()).isEqualTo(413);
    assertThat(rest.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(Http.json(rest).get("code").asText()).isEqualTo("request_too_large");
    assertThat(rest.body()).doesNotContain("1111111111");

    // a streamed body within the limit still reaches the REST layer whole
    byte[] small = ("{\"type\":\"card\",\"value\":\"" + CARD + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> fits = http.send(post(HttpRequest.newBuilder(), "/v1/tokens", merchant, "")
        .header("Accept", VIA_REST)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(small))).build());
    assertThat(fits.statusCode()).isEqualTo(201);
    assertThat(fits.headers().firstValue("Content-Type").orElse("")).as("answered by the REST layer")
        .startsWith("application/json;charset=UTF-8");
    assertThat(Http.json(fits).get("token").asText()).isNotBlank();
  }

  /**
   * A new Idempotency-Key, as most clients make them: a random UUID (about 1.2% of them hold a
   * Luhn-valid run of 12-19 digits across their dashes, which the vault accepts and never stores).
   */
  private static String freshKey() {
    return UUID.randomUUID().toString();
  }
}
