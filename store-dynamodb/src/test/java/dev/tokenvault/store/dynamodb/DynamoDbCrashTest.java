package dev.tokenvault.store.dynamodb;

import static dev.tokenvault.store.dynamodb.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditChainVerifier;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.value.Token;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * "Acknowledged means durable, and nothing is half-written" against real crashes of the vault: a
 * child JVM (a vault node) writes random and deterministic tokens and payments against DynamoDB
 * Local and reports each acknowledged write; it is killed with SIGKILL mid-stream, again and again,
 * a new child taking over the same tables each time. Afterwards every acknowledged write is there,
 * every token item has exactly one Tokenize event of its own creation and every event names a
 * stored record, each idempotency key has one payment, and the chain verifies. The kill lands at an
 * arbitrary point (often with a transaction in flight); DynamoDB applies a transaction whole or not
 * at all, which is what this checks from the outside.
 */
class DynamoDbCrashTest {
  @RegisterExtension static final LocalDynamo DYNAMO = new LocalDynamo();

  /** Vault processes killed in a row. */
  private static final int KILLS = 3;

  /** Acknowledgements to see before each kill: enough for many batches to have committed. */
  private static final int ACKS_BEFORE_KILL = 120;

  @Test
  void killWhenWritesInFlightThenAcknowledgedWritesSurviveAndNothingIsHalfWritten()
      throws Exception {
    String prefix = DYNAMO.freshPrefix();
    DYNAMO.store(prefix).close(); // creates the tables
    List<String> acknowledged = new ArrayList<>();
    for (int kill = 0; kill < KILLS; kill++) {
      acknowledged.addAll(runAndKill(prefix));
    }

    try (DynamoDbStore store =
        new DynamoDbStore(DYNAMO.settings(prefix).withCreateTables(false), DYNAMO.client())) {
      for (String line : acknowledged) {
        String id = line.substring(2);
        if (line.startsWith("P ")) {
          assertThat(await(store.findPayment(id))).as(line).isPresent();
        } else {
          assertThat(await(store.findToken(new Token(id)))).as(line).isPresent();
        }
      }
      List<StoredAuditEvent> events = readAll(store);
      assertThat(await(AuditChainVerifier.verify(store)).intact()).isTrue();

      Set<String> tokenItems = new HashSet<>();
      Set<String> paymentItems = new HashSet<>();
      Map<String, String> idempotencyItems = new HashMap<>();
      try (DynamoDbClient client = DYNAMO.client()) {
        client.scanPaginator(b -> b.tableName(prefix + Tables.TOKENS_SUFFIX)).items().stream()
            .map(item -> item.get("token").s())
            .filter(Token::isWellFormed)
            .forEach(tokenItems::add);
        for (Map<String, AttributeValue> item :
            client.scanPaginator(b -> b.tableName(prefix + Tables.PAYMENTS_SUFFIX)).items()) {
          String id = item.get("id").s();
          if (id.startsWith(Items.IDEMPOTENCY_PREFIX)) {
            idempotencyItems.put(id, item.get("payment_id").s());
          } else {
            paymentItems.add(id);
          }
        }
      }
      // Every created record has its event, every event its record: no half-written transaction.
      // (A deterministic token's later callers add events naming it; an expired one is never
      // replaced here, since nothing expires.)
      Set<String> tokenizeEventTokens = new HashSet<>();
      events.stream()
          .filter(e -> e.event().eventName().equals(AuditAction.TOKENIZE))
          .forEach(e -> tokenizeEventTokens.add(e.event().token()));
      assertThat(tokenizeEventTokens).isEqualTo(tokenItems);
      long paymentEvents =
          events.stream()
              .filter(e -> e.event().eventName().equals(AuditAction.CREATE_PAYMENT))
              .count();
      assertThat(paymentEvents).isEqualTo(paymentItems.size());
      assertThat(new HashSet<>(idempotencyItems.values())).isEqualTo(paymentItems);
      assertThat(idempotencyItems).hasSizeLessThanOrEqualTo(50);
    }
  }

  private static List<StoredAuditEvent> readAll(DynamoDbStore store) {
    List<StoredAuditEvent> all = new ArrayList<>();
    long after = 0;
    while (true) {
      List<StoredAuditEvent> page =
          await(
              store.query(
                  new AuditQuery(
                      null, null, null, null, null, null, null, after, AuditQuery.MAX_LIMIT)));
      if (page.isEmpty()) {
        return all;
      }
      all.addAll(page);
      after = page.get(page.size() - 1).sequence();
    }
  }

  /** Starts a vault process, waits for some acknowledgements, kills it; returns every ack. */
  private static List<String> runAndKill(String prefix) throws Exception {
    Process child = startChild(prefix);
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
      assertThat(lines.readLine()).isEqualTo("READY");
      while (acknowledged.size() < ACKS_BEFORE_KILL) {
        String line = lines.readLine();
        assertThat(line).as("child output (it died early?)").isNotNull();
        acknowledged.add(line);
      }
      // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the
      // pipe, losing the last acknowledgements in it.
      child.toHandle().destroyForcibly();
      child.waitFor();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.length() > 2 && "TDP".indexOf(line.charAt(0)) >= 0 && line.charAt(1) == ' ') {
          acknowledged.add(line);
        }
      }
    } finally {
      child.destroyForcibly();
    }
    return acknowledged;
  }

  private static Process startChild(String prefix) throws Exception {
    String classPath = System.getProperty("surefire.test.class.path");
    if (classPath == null) {
      classPath = System.getProperty("java.class.path");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            classPath,
            "-Dorg.slf4j.simpleLogger.logFile=System.err",
            CrashingDynamoWriter.class.getName(),
            DYNAMO.endpoint().toString(),
            prefix)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }
}
