package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Vault-process crash safety: the vault process is killed with SIGKILL again and again while
 * client threads tokenize and pay over HTTPS, and restarted on the same data directory and store.
 * Clients record every answer they saw acknowledged (201 with the token or the payment id) and
 * every payment whose answer they never saw (in doubt). After each restart:
 *
 * <ul>
 *   <li>every acknowledged token detokenizes to its value, and so does every token the audit
 *       trail says was made (whether or not its client saw the answer): no record fails to
 *       decrypt;
 *   <li>every payment's Idempotency-Key, retried with its request, answers the payment id the
 *       client saw acknowledged (or, for one in doubt, one id from then on);
 *   <li>no Idempotency-Key produced two payments: each token is paid under one key only, and has
 *       exactly one successful {@code CreatePayment} event;
 *   <li>{@code /v1/audit/verify} is valid.
 * </ul>
 *
 * <p>The kill comes after a number of acknowledged writes in the round, so it lands in the
 * middle of the clients' traffic; nothing is measured in time.
 *
 * <p>Run for SQLite and PostgreSQL only. There is no DynamoDB subclass on purpose: DynamoDB Local
 * does not survive its own crashes (docs/dynamodb.md: on files, killed under load and started
 * again, it had lost 49 of 50 writes it had acknowledged; in memory it keeps nothing), and its
 * durability is not the vault's to prove: real DynamoDB acknowledges only durable writes. The
 * DynamoDB store's own crash test (store-dynamodb {@code DynamoDbCrashTest}) kills vault nodes
 * against a live engine instead; {@link DynamoDbFlowIT} covers the HTTP flow and a restart.
 */
abstract class CrashSafetyIT {
  static final List<String> CARDS = List.of("4111111111111111", "5555555555554444", "378282246310005");
  static final int ROUNDS = 5;
  static final int CLIENTS = 4;
  /** Acknowledged writes (tokens and payments) per round before the kill. */
  static final int ACKS_BEFORE_KILL = 40;
  /** Requests in flight at once while verifying (the store commits them in groups). */
  static final int WINDOW = 32;

  /** The store under test (with the local key manager). */
  abstract Backend openBackend();

  /** Token → value, for every token a client saw acknowledged. */
  private final Map<String, String> ackTokens = new ConcurrentHashMap<>();
  /** Idempotency-Key → payment id, for every payment a client saw acknowledged. */
  private final Map<String, String> ackPayments = new ConcurrentHashMap<>();
  /** Idempotency-Key → request body, for every payment sent. */
  private final Map<String, String> bodies = new ConcurrentHashMap<>();
  /** Idempotency-Key → paid token. */
  private final Map<String, String> paidTokens = new ConcurrentHashMap<>();
  /** Keys sent whose answer the client never saw (the process died first). */
  private final Set<String> inDoubt = ConcurrentHashMap.newKeySet();
  /** Answers that are neither an acknowledgement nor a dropped connection. */
  private final List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());

  @Test
  void sigkillAgainAndAgainWhileClientsTokenizeAndPayLosesNothingAcknowledged() throws Exception {
    try (Backend backend = openBackend();
        VaultServer server = VaultServer.fresh("crash-" + backend.name(), backend.properties(),
            backend.environment())) {
      server.start();
      for (int round = 1; round <= ROUNDS; round++) {
        runAndKill(server, round);
        assertThat(server.exitValue()).as("exit status after SIGKILL").isEqualTo(137);
        server.start();
        verifyAfterRestart(server, round);
      }
      assertThat(unexpected).as("answers other than 201 or a dropped connection").isEmpty();
      assertThat(inDoubt).as("payments in doubt left unsettled").isEmpty();
      assertThat(ackPayments).hasSizeGreaterThanOrEqualTo(ROUNDS);

      List<Path> roots = new ArrayList<>(List.of(server.dataDir, server.log));
      roots.addAll(backend.extraScanRoots());
      assertThat(LeakScan.findings(roots)).as("test values in the data directory or the log").isEmpty();
      assertThat(LeakScan.findings(backend.name() + " rows", backend.rawDump()))
          .as("test values in the store's raw rows").isEmpty();
      server.stop();
      backend.assertNoSecretIn("the server log", server.logText());
    }
  }

  private void runAndKill(VaultServer server, int round) throws InterruptedException {
    String bearer = DevTokens.token(server, "payments.tokenize payments.create");
    Http http = server.http();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch enough = new CountDownLatch(ACKS_BEFORE_KILL);
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      Thread t = new Thread(() -> {
        for (int n = 0; !stop.get(); n++) {
          String value = CARDS.get((client + n) % CARDS.size());
          String token;
          try {
            HttpResponse<String> r = http.postJson("/v1/tokens", bearer,
                "{\"type\":\"card\",\"value\":\"" + value + "\"}");
            if (r.statusCode() != 201) {
              unexpected.add("tokenize answered " + r.statusCode());
              continue;
            }
            token = Http.json(r).get("token").asText();
            ackTokens.put(token, value);
            enough.countDown();
          } catch (RuntimeException dropped) {
            continue; // never acknowledged: the client knows nothing of this token
          }
          String key = "crash-r" + round + "-c" + client + "-" + n;
          String body = "{\"token\":\"" + token + "\",\"amount\":" + (100 + n) + ",\"currency\":\"USD\"}";
          bodies.put(key, body);
          paidTokens.put(key, token);
          inDoubt.add(key);
          try {
            HttpResponse<String> p = http.send(payment(http, bearer, key, body));
            if (p.statusCode() != 201) {
              unexpected.add("payment answered " + p.statusCode());
              continue;
            }
            ackPayments.put(key, Http.json(p).get("id").asText());
            inDoubt.remove(key);
            enough.countDown();
          } catch (RuntimeException dropped) {
            // in doubt: retried after the restart
          }
        }
      }, "crash-client-" + client);
      t.start();
      clients.add(t);
    }
    try {
      assertThat(enough.await(120, TimeUnit.SECONDS))
          .as("round %d: %d writes acknowledged before the kill", round, ACKS_BEFORE_KILL).isTrue();
      server.kill();
    } finally {
      stop.set(true);
      for (Thread t : clients) {
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(t.isAlive()).as("client thread stopped").isFalse();
      }
    }
  }

  private static HttpRequest payment(Http http, String bearer, String key, String body) {
    return http.request("/v1/payments", bearer).header("Content-Type", "application/json")
        .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private void verifyAfterRestart(VaultServer server, int round) {
    Http http = server.http();
    String bearer = DevTokens.token(server, DevTokens.ALL_SCOPES);

    // every token the vault committed (per its audit trail) decrypts, seen by a client or not;
    // the acknowledged ones are among them and decrypt to the value their client sent
    List<String> committed = tokenizedTokens(http, bearer);
    assertThat(committed).as("round %d: committed tokens include the acknowledged ones", round)
        .containsAll(ackTokens.keySet());
    List<HttpResponse<String>> detokenized = all(http, committed.stream().map(token -> post(http, bearer,
        "/v1/detokenize", "{\"token\":\"" + token + "\"}")).toList());
    for (int i = 0; i < committed.size(); i++) {
      String token = committed.get(i);
      HttpResponse<String> d = detokenized.get(i);
      assertThat(d.statusCode()).as("round %d: detokenize %s", round, token).isEqualTo(200);
      JsonNode v = Http.json(d).get("value");
      String expected = ackTokens.get(token);
      assertThat(v != null && (expected == null ? CARDS.contains(v.asText()) : v.asText().equals(expected)))
          .as("round %d: value of %s (acknowledged: %s)", round, token, expected != null).isTrue();
    }

    // every key, retried, answers its one payment; a payment in doubt is settled by the retry
    List<String> keys = new ArrayList<>(bodies.keySet());
    List<HttpResponse<String>> retried = all(http, keys.stream()
        .map(key -> payment(http, bearer, key, bodies.get(key))).toList());
    Map<String, String> settled = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      String key = keys.get(i);
      HttpResponse<String> r = retried.get(i);
      assertThat(r.statusCode()).as("round %d: retry of %s", round, key).isEqualTo(201);
      String id = Http.json(r).get("id").asText();
      String acknowledged = ackPayments.get(key);
      if (acknowledged != null) {
        assertThat(id).as("round %d: retry of acknowledged %s", round, key).isEqualTo(acknowledged);
        assertThat(r.headers().firstValue("Idempotent-Replayed")).contains("true");
      } else {
        settled.put(key, id);
      }
    }
    ackPayments.putAll(settled);
    inDoubt.removeAll(settled.keySet());
    List<String> ids = new ArrayList<>(ackPayments.values());
    List<HttpResponse<String>> read = all(http, ids.stream()
        .map(id -> http.request("/v1/payments/" + id, bearer).GET().build()).toList());
    for (int i = 0; i < ids.size(); i++) {
      assertThat(read.get(i).statusCode()).as("round %d: payment %s", round, ids.get(i)).isEqualTo(200);
    }

    // no key made two payments: each token is paid under one key, so one CreatePayment each
    List<String> paid = new ArrayList<>(paidTokens.values());
    List<HttpResponse<String>> events = all(http, paid.stream().map(token -> http.request(
        "/v1/audit?action=CreatePayment&outcome=success&limit=1000&token=" + token, bearer).GET().build())
        .toList());
    for (int i = 0; i < paid.size(); i++) {
      assertThat(events.get(i).statusCode()).isEqualTo(200);
      assertThat(Http.json(events.get(i)).get("events"))
          .as("round %d: CreatePayment events of %s", round, paid.get(i)).hasSize(1);
    }

    HttpResponse<String> verify = http.get("/v1/audit/verify", bearer);
    assertThat(verify.statusCode()).isEqualTo(200);
    assertThat(Http.json(verify).get("valid").asBoolean()).as("round %d: audit chain valid", round).isTrue();
  }

  private static HttpRequest post(Http http, String bearer, String path, String json) {
    return http.request(path, bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  /** Sends every request, {@value #WINDOW} at a time; the answers in the order of the requests. */
  private static List<HttpResponse<String>> all(Http http, List<HttpRequest> requests) {
    List<HttpResponse<String>> out = new ArrayList<>();
    for (int from = 0; from < requests.size(); from += WINDOW) {
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> window = new ArrayList<>();
      for (HttpRequest r : requests.subList(from, Math.min(requests.size(), from + WINDOW))) {
        window.add(http.sendAsync(r));
      }
      window.forEach(f -> out.add(f.join()));
    }
    return out;
  }

  /** Every token of a successful Tokenize event, paging through the audit trail. */
  private static List<String> tokenizedTokens(Http http, String bearer) {
    List<String> out = new ArrayList<>();
    String after = null;
    while (true) {
      HttpResponse<String> r = http.get("/v1/audit?action=Tokenize&outcome=success&limit=1000"
          + (after == null ? "" : "&after=" + after), bearer);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode page = Http.json(r);
      page.get("events").forEach(e -> out.add(e.get("token").asText()));
      JsonNode next = page.get("next");
      if (next == null || next.isNull() || page.get("events").isEmpty()) {
        return out;
      }
      after = next.asText();
    }
  }
}
