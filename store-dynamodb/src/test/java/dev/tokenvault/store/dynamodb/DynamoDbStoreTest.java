package dev.tokenvault.store.dynamodb;

import static dev.tokenvault.store.dynamodb.Fixtures.await;
import static dev.tokenvault.store.dynamodb.Fixtures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditChainVerifier;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.ChainVerification;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.testkit.TestContexts;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/** The DynamoDB store against DynamoDB Local: records, conditions, races, audit chain, tables. */
class DynamoDbStoreTest {
  @RegisterExtension static final LocalDynamo DYNAMO = new LocalDynamo();

  private final List<DynamoDbStore> opened = new ArrayList<>();
  private String prefix;
  private DynamoDbStore store;

  @BeforeEach
  void open() {
    prefix = DYNAMO.freshPrefix();
    store = node();
  }

  @AfterEach
  void close() {
    opened.forEach(DynamoDbStore::close);
  }

  /** Another vault node on the same tables. */
  private DynamoDbStore node() {
    DynamoDbStore s = DYNAMO.store(prefix);
    opened.add(s);
    return s;
  }

  private List<StoredAuditEvent> allEvents() {
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

  /** Sequences 1..n without gaps, every hash valid, every event linked to the one before. */
  private static void assertChainIntact(List<StoredAuditEvent> events) {
    String previous = AuditEvent.GENESIS;
    for (int i = 0; i < events.size(); i++) {
      StoredAuditEvent e = events.get(i);
      assertThat(e.sequence()).isEqualTo(i + 1);
      assertThat(e.event().verifyHash()).as("hash of event %d", e.sequence()).isTrue();
      assertThat(e.event().previousHash()).as("link of event %d", e.sequence()).isEqualTo(previous);
      previous = e.event().hash();
    }
  }

  /** Starts {@code n} calls as close together as threads allow; returns their stages. */
  private static <T> List<CompletionStage<T>> race(int n, IntFunction<CompletionStage<T>> call)
      throws InterruptedException {
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<CompletionStage<T>> stages = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                stages.add(call.apply(index));
              });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    return stages;
  }

  // ---- tokens

  @Test
  void tokenWhenInsertedThenEveryFieldRoundTrips() {
    TokenRecord card =
        Fixtures.card(
            new Namespace("shop-1"),
            Fixtures.hex(32),
            false,
            Instant.parse("2027-01-01T00:00:00.987654321Z"));
    TokenRecord account = Fixtures.account(Namespace.DEFAULT);

    await(store.insertToken(card, Fixtures.tokenize(card)));
    await(store.insertToken(account, Fixtures.tokenize(account)));

    assertThat(await(store.findToken(card.token()))).contains(card);
    assertThat(await(store.findToken(account.token()))).contains(account);
    assertThat(await(store.findToken(Fixtures.card().token()))).isEmpty();
  }

  @Test
  void tokenWhenExpiringThenTtlAttributeIsEpochSecondsRoundedUp() {
    TokenRecord card =
        Fixtures.card(
            Namespace.DEFAULT, Fixtures.hex(32), false, Instant.parse("2027-01-01T00:00:00.25Z"));

    await(store.insertToken(card, Fixtures.tokenize(card)));

    long expected = Instant.parse("2027-01-01T00:00:01Z").getEpochSecond();
    assertThat(DYNAMO.rawText(prefix)).contains("expires_at=" + expected + "\n");
  }

  @Test
  void insertTokenWhenTokenExistsThenDuplicateTokenAndNoEvent() {
    TokenRecord first = Fixtures.card();
    AuditEvent firstEvent = Fixtures.tokenize(first);
    await(store.insertToken(first, firstEvent));
    TokenRecord clash =
        new TokenRecord(
            first.token(),
            first.namespace(),
            first.type(),
            Fixtures.bytes(49),
            "dk_other",
            Fixtures.hex(32),
            false,
            "9999",
            null,
            null,
            Instant.now(),
            null,
            null);

    Throwable failure = failure(store.insertToken(clash, Fixtures.tokenize(clash)));

    assertThat(failure).isInstanceOf(StoreException.DuplicateToken.class);
    assertThat(await(store.findToken(first.token()))).contains(first);
    assertThat(allEvents())
        .extracting(e -> e.event().eventId())
        .containsExactly(firstEvent.eventId());
  }

  @Test
  void deterministicWhen64WritersOnFourNodesThenOneTokenForAll() throws Exception {
    Namespace ns = new Namespace("merchant-7");
    String fingerprint = Fixtures.hex(32);
    List<DynamoDbStore> nodes = List.of(store, node(), node(), node());
    Instant now = Instant.now();

    List<CompletionStage<InsertResult>> stages =
        race(
            64,
            i -> {
              TokenRecord candidate = Fixtures.card(ns, fingerprint, true, null);
              return nodes
                  .get(i % nodes.size())
                  .insertTokenIfFingerprintAbsent(candidate, Fixtures.tokenize(candidate), now);
            });

    List<InsertResult> results = stages.stream().map(Fixtures::await).toList();
    Set<String> tokens =
        results.stream().map(r -> r.record().token().value()).collect(Collectors.toSet());
    assertThat(tokens).hasSize(1);
    assertThat(results).filteredOn(InsertResult::created).hasSize(1);
    String winner = tokens.iterator().next();
    String raw = DYNAMO.rawText(prefix);
    assertThat(raw.split("\ntype=card\n", -1)).as("one token item").hasSize(2);
    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(64);
    assertThat(events).allSatisfy(e -> assertThat(e.event().token()).isEqualTo(winner));
    assertChainIntact(events);
  }

  @Test
  void deterministicWhenWinnerExpiredThenReplacedAndErased() {
    Namespace ns = new Namespace("merchant-8");
    String fingerprint = Fixtures.hex(32);
    Instant t0 = Instant.parse("2026-11-23T00:00:00Z");
    TokenRecord old = Fixtures.card(ns, fingerprint, true, t0.plusSeconds(60));
    assertThat(
            await(store.insertTokenIfFingerprintAbsent(old, Fixtures.tokenize(old), t0)).created())
        .isTrue();
    TokenRecord sameWhileLive = Fixtures.card(ns, fingerprint, true, null);
    assertThat(
            await(
                store.insertTokenIfFingerprintAbsent(
                    sameWhileLive, Fixtures.tokenize(sameWhileLive), t0.plusSeconds(59))))
        .isEqualTo(new InsertResult(old, false));

    TokenRecord fresh = Fixtures.card(ns, fingerprint, true, null);
    InsertResult after =
        await(
            store.insertTokenIfFingerprintAbsent(
                fresh, Fixtures.tokenize(fresh), t0.plusSeconds(60)));

    assertThat(after).isEqualTo(new InsertResult(fresh, true));
    assertThat(await(store.findToken(old.token()))).isEmpty();
    TokenRecord again = Fixtures.card(ns, fingerprint, true, null);
    assertThat(
            await(
                    store.insertTokenIfFingerprintAbsent(
                        again, Fixtures.tokenize(again), t0.plusSeconds(3600)))
                .record())
        .isEqualTo(fresh);
    assertThat(allEvents())
        .extracting(e -> e.event().token())
        .containsExactly(
            old.token().value(), old.token().value(), fresh.token().value(), fresh.token().value());
  }

  @Test
  void deterministicWhenExpiredWinnerRacedBySixteenOnTwoNodesThenOneReplacement() throws Exception {
    Namespace ns = new Namespace("merchant-10");
    String fingerprint = Fixtures.hex(32);
    Instant t0 = Instant.parse("2026-11-23T00:00:00Z");
    TokenRecord old = Fixtures.card(ns, fingerprint, true, t0.plusSeconds(1));
    await(store.insertTokenIfFingerprintAbsent(old, Fixtures.tokenize(old), t0));
    List<DynamoDbStore> nodes = List.of(store, node());

    List<CompletionStage<InsertResult>> stages =
        race(
            16,
            i -> {
              TokenRecord candidate = Fixtures.card(ns, fingerprint, true, null);
              return nodes
                  .get(i % 2)
                  .insertTokenIfFingerprintAbsent(
                      candidate, Fixtures.tokenize(candidate), t0.plusSeconds(2));
            });

    List<InsertResult> results = stages.stream().map(Fixtures::await).toList();
    assertThat(results).filteredOn(InsertResult::created).hasSize(1);
    assertThat(results.stream().map(r -> r.record().token()).collect(Collectors.toSet()))
        .hasSize(1)
        .doesNotContain(old.token());
    assertThat(await(store.findToken(old.token()))).isEmpty();
    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(17);
    assertChainIntact(events);
  }

  @Test
  void deterministicWhenTokenCollidesThenDuplicateTokenAndNothingWritten() {
    TokenRecord existing = Fixtures.card();
    await(store.insertToken(existing, Fixtures.tokenize(existing)));
    TokenRecord clash =
        new TokenRecord(
            existing.token(),
            new Namespace("other"),
            existing.type(),
            Fixtures.bytes(49),
            "dk_x",
            Fixtures.hex(32),
            true,
            "0000",
            null,
            null,
            Instant.now(),
            null,
            null);

    assertThat(
            failure(
                store.insertTokenIfFingerprintAbsent(
                    clash, Fixtures.tokenize(clash), Instant.now())))
        .isInstanceOf(StoreException.DuplicateToken.class);

    assertThat(DYNAMO.rawText(prefix)).doesNotContain(Items.FINGERPRINT_PREFIX);
    assertThat(allEvents()).hasSize(1);
    assertThat(await(store.findToken(existing.token()))).contains(existing);
  }

  @Test
  void deterministicWhenCreatedThenEventCarriesTheNewToken() {
    TokenRecord r = Fixtures.card(new Namespace("merchant-11"), Fixtures.hex(32), true, null);
    AuditEvent withoutToken =
        AuditEvent.builder(AuditAction.TOKENIZE, TestContexts.merchant(), Instant.now())
            .namespace("merchant-11")
            .build();

    await(store.insertTokenIfFingerprintAbsent(r, withoutToken, Instant.now()));

    assertThat(allEvents()).extracting(e -> e.event().token()).containsExactly(r.token().value());
  }

  @Test
  void deterministicInsertWhenRecordNotDeterministicThenRefused() {
    TokenRecord random = Fixtures.card();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                store.insertTokenIfFingerprintAbsent(
                    random, Fixtures.tokenize(random), Instant.now()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(allEvents()).isEmpty();
  }

  @Test
  void deterministicIsPerNamespace() {
    String fingerprint = Fixtures.hex(32);
    TokenRecord a = Fixtures.card(new Namespace("tenant-a"), fingerprint, true, null);
    TokenRecord b = Fixtures.card(new Namespace("tenant-b"), fingerprint, true, null);

    assertThat(
            await(store.insertTokenIfFingerprintAbsent(a, Fixtures.tokenize(a), Instant.now()))
                .created())
        .isTrue();
    assertThat(
            await(store.insertTokenIfFingerprintAbsent(b, Fixtures.tokenize(b), Instant.now()))
                .created())
        .isTrue();
  }

  @Test
  void deleteWhenDeterministicThenFingerprintGoneAndNextInsertCreates() {
    Namespace ns = new Namespace("merchant-9");
    String fingerprint = Fixtures.hex(32);
    TokenRecord first = Fixtures.card(ns, fingerprint, true, null);
    await(store.insertTokenIfFingerprintAbsent(first, Fixtures.tokenize(first), Instant.now()));

    assertThat(
            await(
                store.deleteToken(
                    first.token(),
                    ns,
                    Fixtures.event(AuditAction.DELETE_TOKEN, TestContexts.merchant(), first))))
        .isTrue();

    assertThat(await(store.findToken(first.token()))).isEmpty();
    assertThat(DYNAMO.rawText(prefix))
        .doesNotContain(Items.FINGERPRINT_PREFIX)
        .doesNotContain(new String(first.ciphertext(), StandardCharsets.ISO_8859_1));
    TokenRecord second = Fixtures.card(ns, fingerprint, true, null);
    assertThat(
            await(
                store.insertTokenIfFingerprintAbsent(
                    second, Fixtures.tokenize(second), Instant.now())))
        .isEqualTo(new InsertResult(second, true));
  }

  @Test
  void deleteIsNamespaceScopedAndAuditedOnlyWhenSomethingWasDeleted() {
    TokenRecord card = Fixtures.card(new Namespace("owner"), Fixtures.hex(32), false, null);
    await(store.insertToken(card, Fixtures.tokenize(card)));
    AuditEvent wrongNs = Fixtures.event(AuditAction.DELETE_TOKEN, TestContexts.merchant(), card);
    AuditEvent right = Fixtures.event(AuditAction.DELETE_TOKEN, TestContexts.merchant(), card);
    AuditEvent again = Fixtures.event(AuditAction.DELETE_TOKEN, TestContexts.merchant(), card);

    assertThat(await(store.deleteToken(card.token(), new Namespace("intruder"), wrongNs)))
        .isFalse();
    assertThat(await(store.findToken(card.token()))).isPresent();
    assertThat(await(store.deleteToken(card.token(), new Namespace("owner"), right))).isTrue();
    assertThat(await(store.deleteToken(card.token(), new Namespace("owner"), again))).isFalse();

    assertThat(await(store.findToken(card.token()))).isEmpty();
    assertThat(allEvents())
        .extracting(e -> e.event().eventName())
        .containsExactly(AuditAction.TOKENIZE, AuditAction.DELETE_TOKEN);
    assertThat(DYNAMO.rawText(prefix)).doesNotContain("ciphertext=");
  }

  // ---- data keys

  @Test
  void dataKeyRoundTripsAndDuplicateFailsWithoutEvent() {
    DataKeyRecord key = Fixtures.dataKey("dk_" + Fixtures.hex(6));
    AuditEvent event = Fixtures.dataKeyEvent(key);
    await(store.insertDataKey(key, event));

    Throwable failure =
        failure(store.insertDataKey(Fixtures.dataKey(key.keyId()), Fixtures.dataKeyEvent(key)));

    assertThat(failure).isInstanceOf(StoreException.class);
    assertThat(await(store.findDataKey(key.keyId()))).contains(key);
    assertThat(await(store.findDataKey("dk_missing"))).isEmpty();
    List<StoredAuditEvent> events = allEvents();
    assertThat(events)
        .extracting(StoredAuditEvent::event)
        .containsExactly(event.chain(AuditEvent.GENESIS));
  }

  @Test
  void dataKeyIfAbsentWhen16RaceOnTwoNodesThenAllGetTheWinnerAndOneEvent() throws Exception {
    String keyId = "dk_" + Fixtures.hex(6);
    List<DynamoDbStore> nodes = List.of(store, node());

    List<CompletionStage<DataKeyRecord>> stages =
        race(
            16,
            i -> {
              DataKeyRecord k = Fixtures.dataKey(keyId);
              return nodes.get(i % 2).insertDataKeyIfAbsent(k, Fixtures.dataKeyEvent(k));
            });

    Set<DataKeyRecord> returned = stages.stream().map(Fixtures::await).collect(Collectors.toSet());
    assertThat(returned).hasSize(1);
    assertThat(await(store.findDataKey(keyId))).contains(returned.iterator().next());
    assertThat(allEvents()).hasSize(1);
  }

  // ---- audit

  @Test
  void auditChainIntactWhen32WritersOnTwoNodes() throws Exception {
    List<DynamoDbStore> nodes = List.of(store, node());

    List<CompletionStage<Void>> stages =
        race(
            32,
            i -> {
              TokenRecord r = Fixtures.card();
              return i % 4 == 0
                  ? nodes
                      .get(i % 2)
                      .append(Fixtures.event(AuditAction.DETOKENIZE, TestContexts.merchant(), r))
                  : nodes.get(i % 2).insertToken(r, Fixtures.tokenize(r));
            });
    stages.forEach(Fixtures::await);

    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(32);
    assertChainIntact(events);
    assertThat(events)
        .filteredOn(e -> e.event().eventName().equals(AuditAction.DETOKENIZE))
        .hasSize(8);
  }

  @Test
  void auditChainWhenAnotherNodeMovedTheHeadThenRereadsAndLinksAfterIt() {
    DynamoDbStore other = node();
    TokenRecord first = Fixtures.card();
    TokenRecord second = Fixtures.card();
    TokenRecord third = Fixtures.card();
    await(store.insertToken(first, Fixtures.tokenize(first))); // store caches head 1
    await(other.insertToken(second, Fixtures.tokenize(second))); // head moves to 2

    await(store.insertToken(third, Fixtures.tokenize(third))); // stale head: must retry

    assertThat(store.auditChainRetries()).isEqualTo(1);
    assertThat(other.auditChainRetries()).isZero();
    List<StoredAuditEvent> events = allEvents();
    assertThat(events)
        .extracting(e -> e.event().token())
        .containsExactly(first.token().value(), second.token().value(), third.token().value());
    assertChainIntact(events);
  }

  @Test
  void auditChainWhenAnItemIsEditedInTheTableThenVerifierFindsIt() {
    for (int i = 0; i < 3; i++) {
      TokenRecord r = Fixtures.card();
      await(store.insertToken(r, Fixtures.tokenize(r)));
    }
    assertThat(await(AuditChainVerifier.verify(store)).intact()).isTrue();

    try (DynamoDbClient client = DYNAMO.client()) {
      client.updateItem(
          b ->
              b.tableName(prefix + "tokenization-vault-audit")
                  .key(AuditChain.key(2))
                  .updateExpression("SET principal = :p")
                  .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("someone-else"))));
    }

    ChainVerification result = await(AuditChainVerifier.verify(store));
    assertThat(result.intact()).isFalse();
    assertThat(result.brokenAtSequence()).isEqualTo(2);
    assertThat(result.reason()).isEqualTo("hash_mismatch");
  }

  /** Holds the writer thread until {@code gate} opens, so that writes queue up behind it. */
  private CompletionStage<Void> holdWriter(java.util.concurrent.CountDownLatch gate) {
    TokenRecord r = Fixtures.card();
    return store
        .writer()
        .submit(
            "hold",
            () -> {
              try {
                gate.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return new BatchWriter.Write<Void>(
                  List.of(),
                  Fixtures.event(AuditAction.DETOKENIZE, TestContexts.merchant(), r),
                  s -> null,
                  f -> {});
            });
  }

  @Test
  void writesQueuedBehindATransactionAreCommittedTogether() {
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    CompletionStage<Void> held = holdWriter(gate);
    List<TokenRecord> records = IntStream.range(0, 20).mapToObj(i -> Fixtures.card()).toList();
    List<CompletionStage<Void>> queued =
        records.stream().map(r -> store.insertToken(r, Fixtures.tokenize(r))).toList();

    gate.countDown();
    await(held);
    queued.forEach(Fixtures::await);

    assertThat(store.writeTransactions())
        .as("one for the held write, one for the queue")
        .isLessThanOrEqualTo(2);
    for (TokenRecord r : records) {
      assertThat(await(store.findToken(r.token()))).contains(r);
    }
    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(21);
    assertChainIntact(events);
  }

  @Test
  void batchWhenDynamoDbRefusesOneWriteThenOnlyThatWriteFails() {
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    CompletionStage<Void> held = holdWriter(gate);
    TokenRecord good1 = Fixtures.card();
    TokenRecord tooLarge =
        new TokenRecord(
            Fixtures.card().token(),
            Namespace.DEFAULT,
            dev.tokenvault.core.value.ValueType.CARD,
            Fixtures.bytes(49),
            "dk_x",
            Fixtures.hex(32),
            false,
            "1111",
            null,
            null,
            Instant.now(),
            null,
            Map.of("note", "x".repeat(420_000)));
    TokenRecord good2 = Fixtures.card();
    CompletionStage<Void> first = store.insertToken(good1, Fixtures.tokenize(good1));
    CompletionStage<Void> refused = store.insertToken(tooLarge, Fixtures.tokenize(tooLarge));
    CompletionStage<Void> second = store.insertToken(good2, Fixtures.tokenize(good2));

    gate.countDown();

    await(held);
    await(first);
    await(second);
    assertThat(failure(refused)).isInstanceOf(StoreException.class);
    assertThat(await(store.findToken(good1.token()))).contains(good1);
    assertThat(await(store.findToken(good2.token()))).contains(good2);
    assertThat(await(store.findToken(tooLarge.token()))).isEmpty();
    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(3);
    assertChainIntact(events);
  }

  @Test
  void auditChainContinuesAfterReopen() {
    TokenRecord r = Fixtures.card();
    await(store.insertToken(r, Fixtures.tokenize(r)));
    store.close();
    opened.remove(store);
    store = node();

    await(store.append(Fixtures.event(AuditAction.DETOKENIZE, TestContexts.merchant(), r)));

    List<StoredAuditEvent> events = allEvents();
    assertThat(events).hasSize(2);
    assertChainIntact(events);
    assertThat(await(store.findToken(r.token()))).contains(r);
  }

  @Test
  void auditQueryFiltersOnEveryFieldAndPages() {
    Instant t0 = Instant.parse("2026-11-23T10:00:00Z");
    List<AuditEvent> written = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String client = i % 2 == 0 ? "client-even" : "client-odd";
      AuditEvent e =
          AuditEvent.builder(
                  i % 3 == 0 ? AuditAction.DETOKENIZE : AuditAction.TOKENIZE,
                  TestContexts.client(client),
                  t0.plusSeconds(i))
              .token("tok_" + "A".repeat(21) + (char) ('a' + i))
              .outcome(i == 7 ? Outcome.DENIED : Outcome.SUCCESS, i == 7 ? "forbidden" : null)
              .build();
      await(store.append(e));
      written.add(e);
    }

    assertThat(
            query(
                new AuditQuery(AuditAction.DETOKENIZE, null, null, null, null, null, null, 0, 100)))
        .containsExactly(1L, 4L, 7L, 10L);
    assertThat(query(new AuditQuery(null, "sub-client-odd", null, null, null, null, null, 0, 100)))
        .containsExactly(2L, 4L, 6L, 8L, 10L, 12L);
    assertThat(query(new AuditQuery(null, null, "client-even", null, null, null, null, 0, 100)))
        .containsExactly(1L, 3L, 5L, 7L, 9L, 11L);
    assertThat(
            query(
                new AuditQuery(null, null, null, written.get(5).token(), null, null, null, 0, 100)))
        .containsExactly(6L);
    assertThat(query(new AuditQuery(null, null, null, null, Outcome.DENIED, null, null, 0, 100)))
        .containsExactly(8L);
    assertThat(
            query(
                new AuditQuery(
                    null, null, null, null, null, t0.plusSeconds(3), t0.plusSeconds(6), 0, 100)))
        .as("from inclusive, to exclusive")
        .containsExactly(4L, 5L, 6L);
    assertThat(query(new AuditQuery(null, null, null, null, null, null, null, 0, 5)))
        .containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(query(new AuditQuery(null, null, null, null, null, null, null, 5, 5)))
        .containsExactly(6L, 7L, 8L, 9L, 10L);
    assertThat(query(new AuditQuery(null, null, null, null, null, null, null, 10, 5)))
        .containsExactly(11L, 12L);
    assertThat(
            query(
                new AuditQuery(
                    AuditAction.TOKENIZE, null, "client-odd", null, null, null, null, 4, 2)))
        .containsExactly(6L, 8L);
    List<StoredAuditEvent> all = allEvents();
    assertThat(all)
        .extracting(e -> e.event().eventId())
        .containsExactlyElementsOf(written.stream().map(AuditEvent::eventId).toList());
    for (int i = 0; i < written.size(); i++) {
      AuditEvent w = written.get(i);
      assertThat(all.get(i).event())
          .isEqualTo(w.chain(i == 0 ? AuditEvent.GENESIS : all.get(i - 1).event().hash()));
    }
  }

  @Test
  void auditQueryPagesThroughMoreEventsThanOneDynamoDbPage() {
    int n = 520;
    for (int i = 1; i <= n; i++) {
      TokenRecord r = Fixtures.card();
      String name = i % 100 == 0 ? AuditAction.ROTATE_KEY : AuditAction.DETOKENIZE;
      store.append(Fixtures.event(name, TestContexts.merchant(), r));
    }
    await(
        store.append(
            Fixtures.event(AuditAction.ROTATE_KEY, TestContexts.merchant(), Fixtures.card())));

    assertThat(
            query(
                new AuditQuery(AuditAction.ROTATE_KEY, null, null, null, null, null, null, 0, 10)))
        .containsExactly(100L, 200L, 300L, 400L, 500L, 521L);
    assertThat(allEvents()).hasSize(n + 1);
    assertChainIntact(allEvents());
  }

  private List<Long> query(AuditQuery q) {
    return await(store.query(q)).stream().map(StoredAuditEvent::sequence).toList();
  }

  // ---- payments

  @Test
  void paymentWhen16SameKeyRetriesOnTwoNodesThenOnePayment() throws Exception {
    List<DynamoDbStore> nodes = List.of(store, node());

    List<CompletionStage<PaymentInsert>> stages =
        race(
            16,
            i -> {
              Payment p = Fixtures.payment("merchant-a", "idem-123");
              return nodes.get(i % 2).insertPaymentIfAbsent(p, Fixtures.paymentEvent(p));
            });

    List<PaymentInsert> results = stages.stream().map(Fixtures::await).toList();
    assertThat(results).filteredOn(PaymentInsert::created).hasSize(1);
    Payment winner =
        results.stream().filter(PaymentInsert::created).findFirst().orElseThrow().payment();
    assertThat(results).allSatisfy(r -> assertThat(r.payment()).isEqualTo(winner));
    assertThat(await(store.findPayment(winner.id()))).contains(winner);
    assertThat(allEvents()).hasSize(1);
  }

  @Test
  void paymentIdempotencyKeysArePerClientAndUnambiguous() {
    Payment a = Fixtures.payment("a#b", "c");
    Payment b = Fixtures.payment("a", "b#c");
    Payment declined =
        new Payment(
            "pay_" + Fixtures.hex(10),
            Namespace.DEFAULT,
            Fixtures.card().token(),
            "****0004",
            5,
            "USD",
            dev.tokenvault.core.payment.PaymentStatus.DECLINED,
            "insufficient_funds",
            null,
            "x",
            "k",
            Fixtures.hex(32),
            Instant.now());

    assertThat(await(store.insertPaymentIfAbsent(a, Fixtures.paymentEvent(a))).created()).isTrue();
    assertThat(await(store.insertPaymentIfAbsent(b, Fixtures.paymentEvent(b))).created()).isTrue();
    assertThat(await(store.insertPaymentIfAbsent(declined, Fixtures.paymentEvent(declined))))
        .isEqualTo(new PaymentInsert(declined, true));

    assertThat(await(store.findPayment(a.id()))).contains(a);
    assertThat(await(store.findPayment(b.id()))).contains(b);
    assertThat(await(store.findPayment(declined.id()))).contains(declined);
    assertThat(await(store.findPayment("pay_missing"))).isEmpty();
    assertThat(await(store.findPayment(Items.idempotencyId("a", "b#c")))).isEmpty();
  }

  // ---- raw storage

  @Test
  void rawItemsHoldOnlyCiphertextAndSafeMetadata() {
    String pan = "4111111111111111";
    TokenRecord card = Fixtures.card(); // last4 1111, bin 411111: the value itself never arrives
    await(store.insertToken(card, Fixtures.tokenize(card)));
    Payment p = Fixtures.payment("merchant-a", "idem-raw");
    await(store.insertPaymentIfAbsent(p, Fixtures.paymentEvent(p)));

    String raw = DYNAMO.rawText(prefix);

    assertThat(raw).doesNotContain(pan).doesNotContain(pan.substring(0, 12));
    assertThat(raw)
        .contains(
            "last4=1111\n",
            "bin=411111\n",
            "metadata={channel:web,order:A-17,}",
            "masked_account=****1111\n");
    assertThat(raw).contains(new String(card.ciphertext(), StandardCharsets.ISO_8859_1));
  }

  // ---- tables and failures

  @Test
  void createTablesIsIdempotentAndEnablesTtl() {
    DynamoDbStore second = node(); // creates again over existing tables

    TokenRecord r = Fixtures.card();
    await(second.insertToken(r, Fixtures.tokenize(r)));

    try (DynamoDbClient client = DYNAMO.client()) {
      assertThat(client.listTables().tableNames()).containsAll(store.tableNames());
      assertThat(
              client
                  .describeTimeToLive(b -> b.tableName(prefix + "tokenization-vault"))
                  .timeToLiveDescription()
                  .timeToLiveStatus())
          .isEqualTo(TimeToLiveStatus.ENABLED);
      assertThat(
              client
                  .describeTimeToLive(b -> b.tableName(prefix + "tokenization-vault"))
                  .timeToLiveDescription()
                  .attributeName())
          .isEqualTo("expires_at");
    }
    assertThat(await(store.findToken(r.token()))).contains(r);
  }

  @Test
  void tablesAreNotCreatedByDefaultAndMissingTablesFailAsStoreException() {
    String other = DYNAMO.freshPrefix();
    DynamoDbStore noCreate =
        new DynamoDbStore(DYNAMO.settings(other).withCreateTables(false), DYNAMO.client());
    opened.add(noCreate);
    TokenRecord r = Fixtures.card();

    assertThat(failure(noCreate.insertToken(r, Fixtures.tokenize(r))))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("ResourceNotFoundException");
    assertThat(failure(noCreate.findToken(r.token()))).isInstanceOf(StoreException.class);
    try (DynamoDbClient client = DYNAMO.client()) {
      assertThat(client.listTables().tableNames()).noneMatch(t -> t.startsWith(other));
    }
  }

  @Test
  void openTakesCredentialsFromTheDefaultProviderChain() {
    // Fake credentials (DynamoDB Local takes letters and digits only), from the chain's
    // system-property source.
    System.setProperty("aws.accessKeyId", "fakeFromChain");
    System.setProperty("aws.secretAccessKey", "fakeFromChain");
    try (DynamoDbStore opened = DynamoDbStore.open(DYNAMO.settings(prefix))) {
      TokenRecord r = Fixtures.card();
      await(opened.insertToken(r, Fixtures.tokenize(r)));
      // Read back through the same credentials: DynamoDB Local keeps one database per access key.
      assertThat(await(opened.findToken(r.token()))).contains(r);
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }

  @Test
  void closedStoreFailsWithStoreException() {
    DynamoDbStore closing = node();
    closing.close();

    assertThat(failure(closing.findToken(Fixtures.card().token())))
        .isInstanceOf(StoreException.class);
  }

  @Test
  void settingsRejectBadPrefixAndDefaultToNoTableCreation() {
    DynamoDbSettings defaults = DynamoDbSettings.of("eu-west-1");
    assertThat(defaults.createTables()).isFalse();
    assertThat(defaults.tablePrefix()).isEmpty();
    assertThat(defaults.endpoint()).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.withTablePrefix("bad prefix"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new Tables("prod-").all())
        .containsExactly(
            "prod-tokenization-vault",
            "prod-tokenization-vault-keys",
            "prod-tokenization-vault-payments",
            "prod-tokenization-vault-audit");
  }
}
