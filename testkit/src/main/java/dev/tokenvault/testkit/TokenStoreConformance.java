package dev.tokenvault.testkit;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.ids;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.testkit.Race.Attempt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link TokenStore} (and of the {@link dev.tokenvault.core.audit.AuditLog} it
 * extends), for every adapter. Subclass it with a factory for a fresh store on real storage:
 *
 * <pre>{@code
 * class SqliteTokenStoreTest extends TokenStoreConformance {
 *   @TempDir Path dir;
 *   protected TokenStore newStore() { return SqliteStore.open(dir.resolve("vault.db")); }
 *   ...
 * }
 * }</pre>
 *
 * Each test gets a new, empty store from {@link #newStore()} and closes it afterwards.
 */
public abstract class TokenStoreConformance {

  /** Concurrent deterministic writers in the race test: more than one group-commit batch needs. */
  private static final int RACERS = 64;

  /** A string that stands for a value the vault encrypted; it must never reach storage. */
  private static final String PLAINTEXT_MARKER = "PLAINTEXT-MARKER-do-not-store";

  protected TokenStore store;

  /** A new, empty store on real storage. Called once per test. */
  protected abstract TokenStore newStore() throws Exception;

  /** Closes {@code current} and opens the same storage again (as after a restart). */
  protected abstract TokenStore reopen(TokenStore current) throws Exception;

  /** Everything the store has persisted, as raw bytes (files, table dumps), for leak scans. */
  protected abstract byte[] rawStorageBytes() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---- data keys

  @Test
  void dataKeyWhenInsertedThenFoundWithEveryField() {
    DataKeyRecord key = TestRecords.dataKey(TestRecords.namespace());

    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));

    assertThat(await(store.findDataKey(key.keyId()))).contains(key);
  }

  @Test
  void findDataKeyWhenUnknownThenEmpty() {
    assertThat(await(store.findDataKey("dk_unknown"))).isEmpty();
  }

  @Test
  void insertDataKeyWhenIdExistsThenFailsAndWritesNothing() {
    DataKeyRecord first = TestRecords.dataKey(Namespace.DEFAULT);
    DataKeyRecord second = TestRecords.dataKey(Namespace.DEFAULT, first.keyId());
    await(store.insertDataKey(first, TestRecords.dataKeyEvent(first)));

    Throwable failure = failure(store.insertDataKey(second, TestRecords.dataKeyEvent(second)));

    assertThat(failure).isInstanceOf(StoreException.class);
    assertThat(await(store.findDataKey(first.keyId()))).contains(first);
    assertThat(readAll(store)).hasSize(1);
  }

  @Test
  void insertDataKeyIfAbsentWhenAbsentThenStoredWithItsEvent() {
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    AuditEvent event = TestRecords.dataKeyEvent(key);

    DataKeyRecord stored = await(store.insertDataKeyIfAbsent(key, event));

    assertThat(stored).isEqualTo(key);
    assertThat(await(store.findDataKey(key.keyId()))).contains(key);
    assertThat(ids(readAll(store))).containsExactly(event.eventId());
  }

  @Test
  void insertDataKeyIfAbsentWhenPresentThenReturnsWinnerAndWritesNoEvent() {
    DataKeyRecord winner = TestRecords.dataKey(Namespace.DEFAULT);
    DataKeyRecord loser = TestRecords.dataKey(Namespace.DEFAULT, winner.keyId());
    AuditEvent winnerEvent = TestRecords.dataKeyEvent(winner);
    await(store.insertDataKeyIfAbsent(winner, winnerEvent));

    DataKeyRecord stored =
        await(store.insertDataKeyIfAbsent(loser, TestRecords.dataKeyEvent(loser)));

    assertThat(stored).isEqualTo(winner);
    assertThat(await(store.findDataKey(winner.keyId()))).contains(winner);
    assertThat(ids(readAll(store))).containsExactly(winnerEvent.eventId());
  }

  @Test
  void insertDataKeyIfAbsentWhenSixteenRaceThenAllGetTheOneWinner() throws Exception {
    String keyId = "dk_" + TestRecords.randomHex(12);
    List<Attempt<DataKeyRecord, DataKeyRecord>> outcomes =
        Race.race(
            16,
            i -> {
              DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT, keyId);
              return new Attempt<>(
                  key, store.insertDataKeyIfAbsent(key, TestRecords.dataKeyEvent(key)));
            });

    Set<DataKeyRecord> returned =
        outcomes.stream().map(o -> await(o.stage())).collect(Collectors.toSet());
    assertThat(returned).hasSize(1);
    DataKeyRecord winner = returned.iterator().next();
    assertThat(outcomes).extracting(Attempt::input).contains(winner);
    assertThat(await(store.findDataKey(keyId))).contains(winner);
    assertThat(readAll(store)).hasSize(1);
  }

  // ---- data keys: rewrap after a KEK rotation

  private static DataKeyRecord keyUnder(String keyId, KeyPurpose purpose, String kekId, int version) {
    return new DataKeyRecord(
        keyId,
        Namespace.DEFAULT,
        purpose,
        new WrappedKey(kekId, version, TestRecords.randomBytes(60)),
        TestRecords.now());
  }

  private static AuditEvent rewrapEvent(DataKeyRecord key, WrappedKey to) {
    return AuditEvent.builder(AuditAction.REWRAP_DATA_KEY, RequestContext.system("rewrap"), TestRecords.now())
        .namespace(key.namespace().name())
        .key(to.kekId(), to.kekVersion())
        .build();
  }

  @Test
  void listDataKeysWrappedUnderWhenPagedThenThatVersionOnlyInKeyIdOrderEveryPurpose() {
    List<String> underTwo = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      DataKeyRecord k =
          keyUnder("dk_" + i + TestRecords.randomHex(4),
              i % 2 == 0 ? KeyPurpose.RECORD : KeyPurpose.FINGERPRINT, "kek-a", 2);
      await(store.insertDataKey(k, TestRecords.dataKeyEvent(k)));
      underTwo.add(k.keyId());
    }
    for (DataKeyRecord other :
        List.of(keyUnder("dk_v1", KeyPurpose.RECORD, "kek-a", 1),
            keyUnder("dk_b2", KeyPurpose.RECORD, "kek-b", 2))) {
      await(store.insertDataKey(other, TestRecords.dataKeyEvent(other)));
    }

    List<DataKeyRecord> first = await(store.listDataKeysWrappedUnder("kek-a", 2, null, 2));
    List<DataKeyRecord> second =
        await(store.listDataKeysWrappedUnder("kek-a", 2, first.get(1).keyId(), 2));
    List<DataKeyRecord> third =
        await(store.listDataKeysWrappedUnder("kek-a", 2, second.get(1).keyId(), 2));
    List<DataKeyRecord> after =
        await(store.listDataKeysWrappedUnder("kek-a", 2, third.get(0).keyId(), 2));

    List<String> all = new ArrayList<>();
    for (List<DataKeyRecord> page : List.of(first, second, third)) {
      page.forEach(k -> all.add(k.keyId()));
    }
    assertThat(all).containsExactlyElementsOf(underTwo.stream().sorted().toList());
    assertThat(third).hasSize(1);
    assertThat(after).isEmpty();
    assertThat(await(store.findDataKey(first.get(0).keyId()))).contains(first.get(0));
  }

  @Test
  void countDataKeysByKekVersionCountsEveryPurposeOfThatKekOnly() {
    for (DataKeyRecord k :
        List.of(
            keyUnder("dk_1", KeyPurpose.RECORD, "kek-a", 1),
            keyUnder("dk_2", KeyPurpose.FINGERPRINT, "kek-a", 1),
            keyUnder("dk_3", KeyPurpose.RECORD, "kek-a", 3),
            keyUnder("dk_4", KeyPurpose.RECORD, "kek-b", 1))) {
      await(store.insertDataKey(k, TestRecords.dataKeyEvent(k)));
    }

    assertThat(await(store.countDataKeysByKekVersion("kek-a"))).isEqualTo(Map.of(1, 2L, 3, 1L));
    assertThat(await(store.countDataKeysByKekVersion("kek-none"))).isEmpty();
  }

  @Test
  void rewrapDataKeyWhenStillAsExpectedThenReplacedWithItsEventAndDurable() throws Exception {
    DataKeyRecord key = keyUnder("dk_rw", KeyPurpose.FINGERPRINT, "kek-a", 1);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    WrappedKey to = new WrappedKey("kek-a", 2, TestRecords.randomBytes(60));
    AuditEvent event = rewrapEvent(key, to);

    assertThat(await(store.rewrapDataKey(key.keyId(), key.wrapped(), to, event))).isTrue();

    DataKeyRecord expected =
        new DataKeyRecord(key.keyId(), key.namespace(), key.purpose(), to, key.createdAt());
    assertThat(await(store.findDataKey(key.keyId()))).contains(expected);
    assertThat(ids(readAll(store))).endsWith(event.eventId());
    store = reopen(store);
    assertThat(await(store.findDataKey(key.keyId()))).contains(expected);
    assertThat(await(store.countDataKeysByKekVersion("kek-a"))).isEqualTo(Map.of(2, 1L));
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void rewrapDataKeyWhenAlreadyRewrappedOrUnknownThenFalseAndNothingWritten() {
    DataKeyRecord key = keyUnder("dk_rw2", KeyPurpose.RECORD, "kek-a", 1);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    WrappedKey winner = new WrappedKey("kek-a", 2, TestRecords.randomBytes(60));
    WrappedKey loser = new WrappedKey("kek-a", 2, TestRecords.randomBytes(60));
    await(store.rewrapDataKey(key.keyId(), key.wrapped(), winner, rewrapEvent(key, winner)));
    int events = readAll(store).size();

    assertThat(await(store.rewrapDataKey(key.keyId(), key.wrapped(), loser, rewrapEvent(key, loser))))
        .isFalse();
    WrappedKey sameVersionOtherBytes =
        new WrappedKey("kek-a", 2, TestRecords.randomBytes(60));
    assertThat(
            await(store.rewrapDataKey(
                key.keyId(), sameVersionOtherBytes, loser, rewrapEvent(key, loser))))
        .isFalse();
    assertThat(await(store.rewrapDataKey("dk_unknown", key.wrapped(), loser, rewrapEvent(key, loser))))
        .isFalse();

    assertThat(await(store.findDataKey(key.keyId())).orElseThrow().wrapped()).isEqualTo(winner);
    assertThat(readAll(store)).hasSize(events);
  }

  // ---- tokens

  @Test
  void tokenWhenInsertedThenFoundWithEveryField() {
    Namespace ns = TestRecords.namespace();
    TokenRecord record = TestRecords.tokenRecord(ns, givenDataKey(ns)).build();

    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));

    Optional<TokenRecord> found = await(store.findToken(record.token()));
    assertThat(found).contains(record);
    assertThat(found.orElseThrow().ciphertext()).isEqualTo(record.ciphertext());
  }

  @Test
  void tokenWhenOptionalFieldsAbsentThenFoundWithNulls() {
    Namespace ns = TestRecords.namespace();
    TokenRecord record =
        TestRecords.tokenRecord(ns, givenDataKey(ns))
            .account()
            .expiresAt(null)
            .metadata(Map.of())
            .build();

    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));

    TokenRecord found = await(store.findToken(record.token())).orElseThrow();
    assertThat(found).isEqualTo(record);
    assertThat(found.bin()).isNull();
    assertThat(found.scheme()).isNull();
    assertThat(found.expiresAt()).isNull();
    assertThat(found.metadata()).isEmpty();
  }

  /**
   * Text beyond ASCII (two- to four-byte UTF-8, an empty value) reads back exactly: the SQLite
   * store decodes text columns itself (SqliteDialect.getText), and the audit hash covers them.
   */
  @Test
  void textWhenBeyondAsciiThenReadBackExactlyAndTheChainVerifies() {
    Namespace ns = TestRecords.namespace();
    Map<String, String> metadata =
        Map.of("city", "Zürich", "store", "東京駅 🚉", "note", "", "quote", "\"'\\");
    TokenRecord record =
        TestRecords.tokenRecord(ns, givenDataKey(ns)).metadata(metadata).build();
    RequestContext caller =
        new RequestContext(
            "sérvice-ø", "merchant-ü", List.of("payments.tokenize"), "203.0.113.7",
            "Agent/1.0 (Ελληνικά; 🚀)", "CN=Müller Zahlungen GmbH,O=Ünïcødé", "req-ß");
    AuditEvent event =
        AuditEvent.builder(AuditAction.TOKENIZE, caller, TestRecords.now())
            .namespace(ns.name())
            .token(record.token().value())
            .key(record.dataKeyId(), 1)
            .encryptionContext(Map.of("purpose", "récord 🔑"))
            .build();

    await(store.insertToken(record, event));

    TokenRecord found = await(store.findToken(record.token())).orElseThrow();
    assertThat(found).isEqualTo(record);
    assertThat(found.metadata()).isEqualTo(metadata);
    List<StoredAuditEvent> log = readAll(store);
    AuditEvent stored = log.get(log.size() - 1).event();
    assertThat(stored).isEqualTo(event.chain(log.get(log.size() - 2).event().hash()));
    assertThat(stored.actor().userAgent()).isEqualTo("Agent/1.0 (Ελληνικά; 🚀)");
    assertIntactFromGenesis(log);
  }

  @Test
  void findTokenWhenUnknownThenEmpty() {
    assertThat(await(store.findToken(TestRecords.token()))).isEmpty();
  }

  @Test
  void insertTokenWhenTokenExistsThenDuplicateTokenAndNothingWritten() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    TokenRecord first = TestRecords.tokenRecord(ns, keyId).build();
    TokenRecord second = TestRecords.tokenRecord(ns, keyId).token(first.token()).build();
    await(store.insertToken(first, TestRecords.tokenizeEvent(first)));
    List<StoredAuditEvent> before = readAll(store);

    Throwable failure = failure(store.insertToken(second, TestRecords.tokenizeEvent(second)));

    assertThat(failure).isInstanceOf(StoreException.DuplicateToken.class);
    assertThat(await(store.findToken(first.token()))).contains(first);
    assertThat(readAll(store)).isEqualTo(before);
  }

  @Test
  void insertTokenWhenWrittenThenEventStoredAsGivenAndChained() {
    Namespace ns = TestRecords.namespace();
    TokenRecord record = TestRecords.tokenRecord(ns, givenDataKey(ns)).build();
    AuditEvent event = TestRecords.tokenizeEvent(record);

    await(store.insertToken(record, event));

    List<StoredAuditEvent> log = readAll(store);
    AuditEvent stored = log.get(log.size() - 1).event();
    assertThat(stored).isEqualTo(event.chain(log.get(log.size() - 2).event().hash()));
    assertIntactFromGenesis(log);
  }

  // ---- deterministic tokens

  @Test
  void deterministicInsertWhenAbsentThenCreatedWithItsEvent() {
    Namespace ns = TestRecords.namespace();
    TokenRecord record =
        TestRecords.tokenRecord(ns, givenDataKey(ns))
            .deterministic(TestRecords.fingerprint())
            .build();

    InsertResult result =
        await(store.insertTokenIfFingerprintAbsent(record, untokenized(record), TestRecords.now()));

    assertThat(result.created()).isTrue();
    assertThat(result.record()).isEqualTo(record);
    assertThat(await(store.findToken(record.token()))).contains(record);
    assertThat(tokenEvents(record.token())).hasSize(1);
  }

  @Test
  void deterministicInsertWhenLiveOneExistsThenReturnedAndEventCarriesItsToken() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String fp = TestRecords.fingerprint();
    TokenRecord first = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();
    TokenRecord second = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();
    await(store.insertTokenIfFingerprintAbsent(first, untokenized(first), TestRecords.now()));
    AuditEvent secondEvent = untokenized(second);

    InsertResult result =
        await(store.insertTokenIfFingerprintAbsent(second, secondEvent, TestRecords.now()));

    assertThat(result.created()).isFalse();
    assertThat(result.record()).isEqualTo(first);
    assertThat(await(store.findToken(second.token()))).isEmpty();
    List<StoredAuditEvent> log = readAll(store);
    AuditEvent last = log.get(log.size() - 1).event();
    assertThat(last.eventId()).isEqualTo(secondEvent.eventId());
    assertThat(last.token()).isEqualTo(first.token().value());
    assertIntactFromGenesis(log);
  }

  @Test
  void deterministicInsertWhenSixtyFourWritersRaceThenOneToken() throws Exception {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String fp = TestRecords.fingerprint();
    Instant now = TestRecords.now();

    List<Attempt<TokenRecord, InsertResult>> outcomes =
        Race.race(
            RACERS,
            i -> {
              TokenRecord r = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();
              return new Attempt<>(r, store.insertTokenIfFingerprintAbsent(r, untokenized(r), now));
            });

    List<InsertResult> results = outcomes.stream().map(o -> await(o.stage())).toList();
    Set<Token> tokens = results.stream().map(r -> r.record().token()).collect(Collectors.toSet());
    assertThat(tokens).hasSize(1);
    Token winner = tokens.iterator().next();
    assertThat(results).filteredOn(InsertResult::created).hasSize(1);
    assertThat(await(store.findToken(winner))).isPresent();
    for (Attempt<TokenRecord, InsertResult> o : outcomes) {
      if (!o.input().token().equals(winner)) {
        assertThat(await(store.findToken(o.input().token()))).isEmpty();
      }
    }
    assertThat(tokenEvents(winner)).hasSize(RACERS);
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void deterministicInsertWhenDifferentNamespacesThenNoCollision() {
    Namespace a = TestRecords.namespace();
    Namespace b = TestRecords.namespace();
    String fp = TestRecords.fingerprint();
    TokenRecord inA = TestRecords.tokenRecord(a, givenDataKey(a)).deterministic(fp).build();
    TokenRecord inB = TestRecords.tokenRecord(b, givenDataKey(b)).deterministic(fp).build();
    Instant now = TestRecords.now();

    InsertResult ra = await(store.insertTokenIfFingerprintAbsent(inA, untokenized(inA), now));
    InsertResult rb = await(store.insertTokenIfFingerprintAbsent(inB, untokenized(inB), now));

    assertThat(ra.created()).isTrue();
    assertThat(rb.created()).isTrue();
    assertThat(ra.record().token()).isNotEqualTo(rb.record().token());
  }

  @Test
  void deterministicInsertWhenExistingExpiredThenReplaced() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String fp = TestRecords.fingerprint();
    Instant expiry = TestRecords.now().plus(Duration.ofMinutes(5));
    TokenRecord old =
        TestRecords.tokenRecord(ns, keyId).deterministic(fp).expiresAt(expiry).build();
    TokenRecord fresh = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();
    await(store.insertTokenIfFingerprintAbsent(old, untokenized(old), TestRecords.now()));
    // Read before the replacement: a store that caches rows holds it now.
    assertThat(await(store.findToken(old.token()))).contains(old);

    InsertResult result =
        await(store.insertTokenIfFingerprintAbsent(fresh, untokenized(fresh), expiry));

    assertThat(result.created()).isTrue();
    assertThat(result.record()).isEqualTo(fresh);
    assertThat(await(store.findToken(old.token()))).isEmpty();
    assertThat(await(store.findToken(fresh.token()))).contains(fresh);
  }

  @Test
  void deterministicInsertWhenExistingExpiresLaterThenKept() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String fp = TestRecords.fingerprint();
    Instant expiry = TestRecords.now().plus(Duration.ofMinutes(5));
    TokenRecord old =
        TestRecords.tokenRecord(ns, keyId).deterministic(fp).expiresAt(expiry).build();
    TokenRecord fresh = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();
    await(store.insertTokenIfFingerprintAbsent(old, untokenized(old), TestRecords.now()));

    InsertResult result =
        await(
            store.insertTokenIfFingerprintAbsent(
                fresh, untokenized(fresh), expiry.minusNanos(1_000)));

    assertThat(result.created()).isFalse();
    assertThat(result.record()).isEqualTo(old);
  }

  @Test
  void deterministicInsertWhenOnlyRandomTokensShareFingerprintThenCreated() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String fp = TestRecords.fingerprint();
    TokenRecord random1 = TestRecords.tokenRecord(ns, keyId).fingerprint(fp).build();
    TokenRecord random2 = TestRecords.tokenRecord(ns, keyId).fingerprint(fp).build();
    await(store.insertToken(random1, TestRecords.tokenizeEvent(random1)));
    await(store.insertToken(random2, TestRecords.tokenizeEvent(random2)));
    TokenRecord det = TestRecords.tokenRecord(ns, keyId).deterministic(fp).build();

    InsertResult result =
        await(store.insertTokenIfFingerprintAbsent(det, untokenized(det), TestRecords.now()));

    assertThat(result.created()).isTrue();
    assertThat(await(store.findToken(random1.token()))).contains(random1);
    assertThat(await(store.findToken(random2.token()))).contains(random2);
  }

  @Test
  void deterministicInsertWhenTokenExistsThenDuplicateTokenAndNothingWritten() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    TokenRecord random = TestRecords.tokenRecord(ns, keyId).build();
    await(store.insertToken(random, TestRecords.tokenizeEvent(random)));
    TokenRecord det =
        TestRecords.tokenRecord(ns, keyId)
            .token(random.token())
            .deterministic(TestRecords.fingerprint())
            .build();
    List<StoredAuditEvent> before = readAll(store);

    Throwable failure =
        failure(store.insertTokenIfFingerprintAbsent(det, untokenized(det), TestRecords.now()));

    assertThat(failure).isInstanceOf(StoreException.DuplicateToken.class);
    assertThat(await(store.findToken(random.token()))).contains(random);
    assertThat(readAll(store)).isEqualTo(before);
  }

  // ---- delete

  @Test
  void deleteTokenWhenNamespaceMatchesThenDeletedAndAudited() {
    Namespace ns = TestRecords.namespace();
    TokenRecord record = givenToken(ns);
    AuditEvent event = TestRecords.deleteEvent(record.token(), ns);
    // Read before the delete: a store that caches rows holds it now.
    assertThat(await(store.findToken(record.token()))).contains(record);

    boolean deleted = await(store.deleteToken(record.token(), ns, event));

    assertThat(deleted).isTrue();
    assertThat(await(store.findToken(record.token()))).isEmpty();
    List<StoredAuditEvent> log = readAll(store);
    assertThat(log.get(log.size() - 1).event().eventId()).isEqualTo(event.eventId());
    assertIntactFromGenesis(log);
  }

  @Test
  void deleteTokenWhenOtherNamespaceThenKeptAndNoEvent() {
    Namespace owner = TestRecords.namespace();
    Namespace other = TestRecords.namespace();
    TokenRecord record = givenToken(owner);
    List<StoredAuditEvent> before = readAll(store);

    boolean deleted =
        await(
            store.deleteToken(
                record.token(), other, TestRecords.deleteEvent(record.token(), other)));

    assertThat(deleted).isFalse();
    assertThat(await(store.findToken(record.token()))).contains(record);
    assertThat(readAll(store)).isEqualTo(before);
  }

  @Test
  void deleteTokenWhenUnknownThenFalseAndNoEvent() {
    Token unknown = TestRecords.token();

    boolean deleted =
        await(
            store.deleteToken(
                unknown, Namespace.DEFAULT, TestRecords.deleteEvent(unknown, Namespace.DEFAULT)));

    assertThat(deleted).isFalse();
    assertThat(readAll(store)).isEmpty();
  }

  // ---- audit

  @Test
  void auditLogWhenEveryKindOfWriteThenOneChainedEventPerWrite() {
    Namespace ns = TestRecords.namespace();
    List<String> expected = new ArrayList<>();
    DataKeyRecord key = TestRecords.dataKey(ns);
    AuditEvent keyEvent = TestRecords.dataKeyEvent(key);
    await(store.insertDataKey(key, keyEvent));
    expected.add(keyEvent.eventId());
    DataKeyRecord fpKey = TestRecords.dataKey(ns);
    AuditEvent fpKeyEvent = TestRecords.dataKeyEvent(fpKey);
    await(store.insertDataKeyIfAbsent(fpKey, fpKeyEvent));
    expected.add(fpKeyEvent.eventId());
    TokenRecord random = TestRecords.tokenRecord(ns, key.keyId()).build();
    AuditEvent randomEvent = TestRecords.tokenizeEvent(random);
    await(store.insertToken(random, randomEvent));
    expected.add(randomEvent.eventId());
    String fp = TestRecords.fingerprint();
    for (int i = 0; i < 2; i++) {
      TokenRecord det = TestRecords.tokenRecord(ns, key.keyId()).deterministic(fp).build();
      AuditEvent detEvent = untokenized(det);
      await(store.insertTokenIfFingerprintAbsent(det, detEvent, TestRecords.now()));
      expected.add(detEvent.eventId());
    }
    AuditEvent read =
        TestRecords.event(AuditAction.DETOKENIZE).token(random.token().value()).build();
    await(store.append(read));
    expected.add(read.eventId());
    AuditEvent delete = TestRecords.deleteEvent(random.token(), ns);
    await(store.deleteToken(random.token(), ns, delete));
    expected.add(delete.eventId());

    List<StoredAuditEvent> log = readAll(store);

    assertThat(ids(log)).containsExactlyElementsOf(expected);
    assertIntactFromGenesis(log);
  }

  @Test
  void appendWhenEventWithEveryFieldThenStoredExactlyAndChained() {
    AuditEvent event =
        TestRecords.event(AuditAction.DETOKENIZE)
            .token(TestRecords.token().value())
            .outcome(Outcome.DENIED, "scope_missing")
            .build();

    await(store.append(event));

    List<StoredAuditEvent> log = readAll(store);
    assertThat(log).hasSize(1);
    assertThat(log.get(0).event()).isEqualTo(event.chain(AuditEvent.GENESIS));
    assertIntactFromGenesis(log);
  }

  @Test
  void auditChainWhenManyConcurrentAppendsThenIntact() throws Exception {
    List<Attempt<AuditEvent, Void>> outcomes =
        Race.race(
            RACERS,
            i -> {
              AuditEvent e = TestRecords.event(AuditAction.GET_TOKEN_METADATA).build();
              return new Attempt<>(e, store.append(e));
            });
    outcomes.forEach(o -> await(o.stage()));

    List<StoredAuditEvent> log = readAll(store);

    assertThat(log).hasSize(RACERS);
    assertIntactFromGenesis(log);
  }

  @Test
  void queryWhenFilteredThenOnlyMatchingEventsInOrder() {
    Instant t0 = TestRecords.now().minus(Duration.ofHours(1));
    Token t1 = TestRecords.token();
    Token t2 = TestRecords.token();
    AuditEvent e1 = appended(AuditAction.TOKENIZE, "alice", "c1", t1, Outcome.SUCCESS, null, t0);
    AuditEvent e2 =
        appended(
            AuditAction.DETOKENIZE,
            "bob",
            "c2",
            t1,
            Outcome.DENIED,
            "forbidden",
            t0.plus(Duration.ofMinutes(1)));
    AuditEvent e3 =
        appended(
            AuditAction.DETOKENIZE,
            "alice",
            "c1",
            t2,
            Outcome.SUCCESS,
            null,
            t0.plus(Duration.ofMinutes(2)));
    AuditEvent e4 =
        appended(
            AuditAction.DELETE_TOKEN,
            "carol",
            "c3",
            t2,
            Outcome.ERROR,
            "store_unavailable",
            t0.plus(Duration.ofMinutes(3)));

    assertThat(queryIds(q().eventName(AuditAction.DETOKENIZE)))
        .containsExactly(e2.eventId(), e3.eventId());
    assertThat(queryIds(q().principal("alice"))).containsExactly(e1.eventId(), e3.eventId());
    assertThat(queryIds(q().clientId("c3"))).containsExactly(e4.eventId());
    assertThat(queryIds(q().token(t1.value()))).containsExactly(e1.eventId(), e2.eventId());
    assertThat(queryIds(q().outcome(Outcome.DENIED))).containsExactly(e2.eventId());
    assertThat(queryIds(q().eventName(AuditAction.DETOKENIZE).principal("alice")))
        .containsExactly(e3.eventId());
    assertThat(queryIds(q().principal("nobody"))).isEmpty();
  }

  @Test
  void queryByTokenWhenStoredThenDeletedThenItsWholeHistoryInOrderAndPaged() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    TokenRecord r = TestRecords.tokenRecord(ns, keyId).build();
    TokenRecord other = TestRecords.tokenRecord(ns, keyId).build();
    List<String> history = new ArrayList<>();
    await(store.insertToken(other, TestRecords.tokenizeEvent(other)));
    AuditEvent created = TestRecords.tokenizeEvent(r);
    await(store.insertToken(r, created)); // the newest row: SQLite may reuse its rowid once deleted
    history.add(created.eventId());
    for (int i = 0; i < 2; i++) {
      AuditEvent read = TestRecords.event(AuditAction.DETOKENIZE).token(r.token().value()).build();
      await(store.append(read));
      history.add(read.eventId());
      await(store.append(
          TestRecords.event(AuditAction.DETOKENIZE).token(other.token().value()).build()));
    }
    AuditEvent delete = TestRecords.deleteEvent(r.token(), ns);
    assertThat(await(store.deleteToken(r.token(), ns, delete))).isTrue();
    history.add(delete.eventId());
    AuditEvent refused =
        TestRecords.event(AuditAction.DETOKENIZE)
            .token(r.token().value())
            .outcome(Outcome.DENIED, "token_not_found")
            .build();
    await(store.append(refused));
    history.add(refused.eventId());
    // a later token (which may get the deleted one's row number) must not inherit its history
    TokenRecord later = TestRecords.tokenRecord(ns, keyId).build();
    await(store.insertToken(later, TestRecords.tokenizeEvent(later)));

    assertThat(queryIds(q().token(r.token().value()))).containsExactlyElementsOf(history);
    assertThat(queryIds(q().token(r.token().value()).eventName(AuditAction.DETOKENIZE)))
        .containsExactly(history.get(1), history.get(2), history.get(4));
    List<String> paged = new ArrayList<>();
    long after = 0;
    for (int pages = 0; pages < 10; pages++) {
      List<StoredAuditEvent> page =
          await(store.query(q().token(r.token().value()).after(after).limit(2).build()));
      if (page.isEmpty()) {
        break;
      }
      assertThat(page).hasSizeLessThanOrEqualTo(2);
      paged.addAll(ids(page));
      after = page.get(page.size() - 1).sequence();
    }
    assertThat(paged).containsExactlyElementsOf(history);
    assertThat(queryIds(q().token(other.token().value()))).hasSize(3);
    assertThat(queryIds(q().token(later.token().value()))).hasSize(1);
  }

  @Test
  void queryWhenTimeRangeThenFromInclusiveToExclusive() {
    Instant t0 = TestRecords.now().minus(Duration.ofHours(1));
    List<AuditEvent> events = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      events.add(
          appended(
              AuditAction.DETOKENIZE,
              "alice",
              "c1",
              TestRecords.token(),
              Outcome.SUCCESS,
              null,
              t0.plus(Duration.ofMinutes(i))));
    }

    List<String> ids =
        queryIds(q().from(t0.plus(Duration.ofMinutes(1))).to(t0.plus(Duration.ofMinutes(3))));

    assertThat(ids).containsExactly(events.get(1).eventId(), events.get(2).eventId());
    assertThat(queryIds(q().from(t0.plus(Duration.ofNanos(1000))))).hasSize(3);
  }

  @Test
  void queryWhenPagedByAfterSequenceAndLimitThenEveryEventOnce() {
    List<String> appended = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      AuditEvent e = TestRecords.event(AuditAction.DETOKENIZE).build();
      await(store.append(e));
      appended.add(e.eventId());
    }

    List<StoredAuditEvent> page1 = await(store.query(q().limit(2).build()));
    List<StoredAuditEvent> page2 =
        await(store.query(q().limit(2).after(page1.get(1).sequence()).build()));
    List<StoredAuditEvent> page3 =
        await(store.query(q().limit(2).after(page2.get(1).sequence()).build()));
    List<StoredAuditEvent> page4 =
        await(store.query(q().limit(2).after(page3.get(0).sequence()).build()));

    assertThat(ids(page1)).containsExactlyElementsOf(appended.subList(0, 2));
    assertThat(ids(page2)).containsExactlyElementsOf(appended.subList(2, 4));
    assertThat(ids(page3)).containsExactlyElementsOf(appended.subList(4, 5));
    assertThat(page4).isEmpty();
  }

  // ---- restart and storage

  @Test
  void reopenWhenClosedThenEverythingStillThereAndChainContinues() throws Exception {
    Namespace ns = TestRecords.namespace();
    DataKeyRecord key = TestRecords.dataKey(ns);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    TokenRecord random = TestRecords.tokenRecord(ns, key.keyId()).build();
    await(store.insertToken(random, TestRecords.tokenizeEvent(random)));
    TokenRecord det =
        TestRecords.tokenRecord(ns, key.keyId()).deterministic(TestRecords.fingerprint()).build();
    await(store.insertTokenIfFingerprintAbsent(det, untokenized(det), TestRecords.now()));
    await(store.append(TestRecords.event(AuditAction.DETOKENIZE).build()));
    List<StoredAuditEvent> before = readAll(store);

    store = reopen(store);

    assertThat(await(store.findDataKey(key.keyId()))).contains(key);
    assertThat(await(store.findToken(random.token()))).contains(random);
    assertThat(await(store.findToken(det.token()))).contains(det);
    assertThat(readAll(store)).isEqualTo(before);
    TokenRecord again =
        TestRecords.tokenRecord(ns, key.keyId()).deterministic(det.fingerprint()).build();
    assertThat(
            await(
                    store.insertTokenIfFingerprintAbsent(
                        again, untokenized(again), TestRecords.now()))
                .record())
        .isEqualTo(det);
    await(store.append(TestRecords.event(AuditAction.DETOKENIZE).build()));
    List<StoredAuditEvent> after = readAll(store);
    assertThat(after)
        .hasSize(before.size() + 2)
        .startsWith(before.toArray(StoredAuditEvent[]::new));
    assertIntactFromGenesis(after);
  }

  @Test
  void rawStorageWhenWrittenThenHoldsClearMetadataButNoPlaintextMarker() throws Exception {
    Namespace ns = TestRecords.namespace();
    String canary = "CANARY-" + TestRecords.randomHex(8);
    TokenRecord record =
        TestRecords.tokenRecord(ns, givenDataKey(ns)).metadata(Map.of("order", canary)).build();
    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));

    String raw = new String(rawStorageBytes(), StandardCharsets.ISO_8859_1);

    assertThat(raw).as("the hook sees stored data").contains(canary);
    assertThat(raw).doesNotContain(PLAINTEXT_MARKER);
  }

  // ---- fingerprint-key versions

  @Test
  void listDataKeysWhenFilteredThenThatPurposeAndNamespaceOnlyInOrder() {
    Namespace a = TestRecords.namespace();
    Namespace b = TestRecords.namespace();
    givenDataKey(a);
    List<DataKeyRecord> fks = new ArrayList<>();
    for (DataKeyRecord k :
        List.of(
            TestRecords.fingerprintKey(a, 2),
            TestRecords.fingerprintKey(a, 1),
            TestRecords.fingerprintKey(b, 1))) {
      await(store.insertDataKey(k, TestRecords.dataKeyEvent(k)));
      fks.add(k);
    }

    assertThat(await(store.listDataKeys(KeyPurpose.FINGERPRINT, a)))
        .containsExactly(fks.get(1), fks.get(0));
    assertThat(await(store.listDataKeys(KeyPurpose.FINGERPRINT, null)))
        .containsExactlyInAnyOrderElementsOf(fks);
    assertThat(await(store.listDataKeys(KeyPurpose.SIGNING, a))).isEmpty();
  }

  @Test
  void deleteDataKeyWhenPresentThenGoneWithItsEventElseFalseAndNoEvent() {
    Namespace ns = TestRecords.namespace();
    DataKeyRecord fk = TestRecords.fingerprintKey(ns, 1);
    await(store.insertDataKey(fk, TestRecords.dataKeyEvent(fk)));
    AuditEvent retire = TestRecords.event(AuditAction.RETIRE_FINGERPRINT_KEY).build();

    assertThat(await(store.deleteDataKey(fk.keyId(), retire))).isTrue();
    assertThat(await(store.findDataKey(fk.keyId()))).isEmpty();
    assertThat(await(store.deleteDataKey(fk.keyId(), TestRecords.event("Again").build())))
        .isFalse();
    assertThat(ids(readAll(store))).endsWith(retire.eventId()).hasSize(2);
  }

  @Test
  void deterministicInsertWhenAnOlderFingerprintHoldsALiveTokenThenItIsReturned() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    TokenRecord old = TestRecords.tokenRecord(ns, keyId).deterministic(v1).build();
    await(store.insertTokenIfFingerprintAbsent(old, untokenized(old), TestRecords.now()));
    TokenRecord fresh =
        TestRecords.tokenRecord(ns, keyId).deterministic(TestRecords.fingerprint(2)).build();

    InsertResult result =
        await(
            store.insertTokenIfFingerprintAbsent(
                fresh, List.of(v1), "fk_v3_" + ns.name(), untokenized(fresh), TestRecords.now()));

    assertThat(result.created()).isFalse();
    assertThat(result.record()).isEqualTo(old);
    assertThat(await(store.findToken(fresh.token()))).isEmpty();
    assertThat(tokenEvents(old.token())).hasSize(2);
  }

  @Test
  void deterministicInsertWhenTheSuccessorKeyExistsThenSupersededAndNothingWritten() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    DataKeyRecord v2 = TestRecords.fingerprintKey(ns, 2);
    await(store.insertDataKey(v2, TestRecords.dataKeyEvent(v2)));
    int events = readAll(store).size();
    TokenRecord stale =
        TestRecords.tokenRecord(ns, keyId).deterministic(TestRecords.fingerprint(1)).build();

    Throwable failure =
        failure(
            store.insertTokenIfFingerprintAbsent(
                stale, List.of(), v2.keyId(), untokenized(stale), TestRecords.now()));

    assertThat(failure).isInstanceOf(StoreException.FingerprintKeySuperseded.class);
    assertThat(await(store.findToken(stale.token()))).isEmpty();
    assertThat(readAll(store)).hasSize(events);
  }

  @Test
  void deterministicInsertWhenTheOlderFingerprintsTokenExpiredThenReplacedUnderTheCurrent() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    Instant expiry = TestRecords.now().plus(Duration.ofMinutes(5));
    TokenRecord old =
        TestRecords.tokenRecord(ns, keyId).deterministic(v1).expiresAt(expiry).build();
    await(store.insertTokenIfFingerprintAbsent(old, untokenized(old), TestRecords.now()));
    String v2 = TestRecords.fingerprint(2);
    TokenRecord fresh = TestRecords.tokenRecord(ns, keyId).deterministic(v2).build();

    InsertResult result =
        await(store.insertTokenIfFingerprintAbsent(fresh, List.of(v1), null, untokenized(fresh), expiry));

    assertThat(result.created()).isTrue();
    assertThat(await(store.findToken(old.token()))).isEmpty();
    // The old fingerprint is free again, the new one taken.
    TokenRecord again = TestRecords.tokenRecord(ns, keyId).deterministic(v2).build();
    assertThat(
            await(store.insertTokenIfFingerprintAbsent(again, untokenized(again), expiry))
                .record()
                .token())
        .isEqualTo(fresh.token());
  }

  @Test
  void listTokensByFingerprintVersionWhenPagedThenThatVersionOfThatNamespaceEachOnce() {
    Namespace ns = TestRecords.namespace();
    Namespace other = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String otherKey = givenDataKey(other);
    Set<Token> v1 = new java.util.HashSet<>();
    for (int i = 0; i < 7; i++) {
      TokenRecord r =
          i % 2 == 0
              ? TestRecords.tokenRecord(ns, keyId).fingerprint(TestRecords.fingerprint(1)).build()
              : TestRecords.tokenRecord(ns, keyId).deterministic(TestRecords.fingerprint(1)).build();
      await(store.insertToken(r, TestRecords.tokenizeEvent(r)));
      v1.add(r.token());
    }
    TokenRecord v2 =
        TestRecords.tokenRecord(ns, keyId).fingerprint(TestRecords.fingerprint(2)).build();
    TokenRecord elsewhere =
        TestRecords.tokenRecord(other, otherKey).fingerprint(TestRecords.fingerprint(1)).build();
    await(store.insertToken(v2, TestRecords.tokenizeEvent(v2)));
    await(store.insertToken(elsewhere, TestRecords.tokenizeEvent(elsewhere)));

    List<Token> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var page = await(store.listTokensByFingerprintVersion(ns, 1, cursor, 3));
      page.tokens().forEach(r -> seen.add(r.token()));
      cursor = page.next();
      assertThat(++pages).isLessThan(100);
    } while (cursor != null);

    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(v1);
    assertThat(
            await(store.listTokensByFingerprintVersion(ns, 2, null, 10)).tokens())
        .extracting(TokenRecord::token)
        .containsExactly(v2.token());
  }

  @Test
  void countTokensByFingerprintVersionCountsVersionsBelowTheGivenOneInThatNamespace() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    for (int version : List.of(1, 1, 2, 3, 3, 3)) {
      TokenRecord r =
          TestRecords.tokenRecord(ns, keyId).fingerprint(TestRecords.fingerprint(version)).build();
      await(store.insertToken(r, TestRecords.tokenizeEvent(r)));
    }
    givenToken(TestRecords.namespace());

    assertThat(await(store.countTokensByFingerprintVersion(ns, 3)))
        .isEqualTo(Map.of(1, 2L, 2, 1L));
    assertThat(await(store.countTokensByFingerprintVersion(ns, 1))).isEmpty();
  }

  @Test
  void refingerprintTokenWhenStillExpectedThenMovedWithItsEventAndTheOldFingerprintFreed()
      throws Exception {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    String v2 = TestRecords.fingerprint(2);
    TokenRecord det = TestRecords.tokenRecord(ns, keyId).deterministic(v1).build();
    await(store.insertTokenIfFingerprintAbsent(det, untokenized(det), TestRecords.now()));
    TokenRecord random = TestRecords.tokenRecord(ns, keyId).fingerprint(v1).build();
    await(store.insertToken(random, TestRecords.tokenizeEvent(random)));
    AuditEvent moveDet =
        TestRecords.event(AuditAction.REFINGERPRINT_TOKEN).token(det.token().value()).build();
    AuditEvent moveRandom =
        TestRecords.event(AuditAction.REFINGERPRINT_TOKEN).token(random.token().value()).build();

    // Read before the move: a store that caches rows holds them now.
    assertThat(await(store.findToken(det.token())).orElseThrow().fingerprint()).isEqualTo(v1);
    assertThat(await(store.findToken(random.token())).orElseThrow().fingerprint()).isEqualTo(v1);

    assertThat(await(store.refingerprintToken(det.token(), v1, v2, moveDet))).isTrue();
    assertThat(await(store.refingerprintToken(random.token(), v1, v2, moveRandom))).isTrue();

    // Before and after a reopen, both rows are found moved.
    assertThat(await(store.findToken(det.token())).orElseThrow().fingerprint()).isEqualTo(v2);
    assertThat(await(store.findToken(random.token())).orElseThrow().fingerprint()).isEqualTo(v2);
    store = reopen(store);
    assertThat(await(store.findToken(det.token())).orElseThrow().fingerprint()).isEqualTo(v2);
    assertThat(await(store.findToken(random.token())).orElseThrow().fingerprint()).isEqualTo(v2);
    assertThat(ids(readAll(store))).endsWith(moveDet.eventId(), moveRandom.eventId());
    // The deterministic token is now found under v2 only; v1 names nothing any more.
    TokenRecord byV2 = TestRecords.tokenRecord(ns, keyId).deterministic(v2).build();
    assertThat(
            await(store.insertTokenIfFingerprintAbsent(byV2, untokenized(byV2), TestRecords.now())))
        .satisfies(r -> assertThat(r.record().token()).isEqualTo(det.token()));
    TokenRecord byV1 = TestRecords.tokenRecord(ns, keyId).deterministic(v1).build();
    assertThat(
            await(store.insertTokenIfFingerprintAbsent(byV1, untokenized(byV1), TestRecords.now()))
                .created())
        .isTrue();
    assertThat(await(store.countTokensByFingerprintVersion(ns, 2))).isEqualTo(Map.of(1, 1L));
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void refingerprintTokenWhenTheFingerprintChangedOrTheTokenIsUnknownThenFalseAndNothingWritten() {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    TokenRecord det = TestRecords.tokenRecord(ns, keyId).deterministic(v1).build();
    await(store.insertTokenIfFingerprintAbsent(det, untokenized(det), TestRecords.now()));
    int events = readAll(store).size();

    assertThat(
            await(
                store.refingerprintToken(
                    det.token(),
                    TestRecords.fingerprint(1),
                    TestRecords.fingerprint(2),
                    TestRecords.event(AuditAction.REFINGERPRINT_TOKEN).build())))
        .isFalse();
    assertThat(
            await(
                store.refingerprintToken(
                    TestRecords.token(),
                    v1,
                    TestRecords.fingerprint(2),
                    TestRecords.event(AuditAction.REFINGERPRINT_TOKEN).build())))
        .isFalse();
    assertThat(await(store.findToken(det.token())).orElseThrow().fingerprint()).isEqualTo(v1);
    assertThat(readAll(store)).hasSize(events);
  }

  /**
   * The transition's race, on the real engine: a value's token was made under version 1; version
   * 2 is current; many writers tokenize the value (fingerprints v2 then v1) while the job moves
   * the token from v1 to v2. Every writer gets that token; none creates another.
   */
  @Test
  void deterministicInsertWhenWritersRaceWithTheMoveThenAllGetTheOneToken() throws Exception {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    String v2 = TestRecords.fingerprint(2);
    await(store.insertDataKey(TestRecords.fingerprintKey(ns, 2), TestRecords.dataKeyEvent(
        TestRecords.fingerprintKey(ns, 2))));
    TokenRecord original = TestRecords.tokenRecord(ns, keyId).deterministic(v1).build();
    await(store.insertTokenIfFingerprintAbsent(original, untokenized(original), TestRecords.now()));
    Instant now = TestRecords.now();
    String successor = "fk_v3_" + ns.name();

    List<Attempt<TokenRecord, InsertResult>> outcomes =
        Race.race(
            RACERS,
            i -> {
              if (i == RACERS / 2) {
                AuditEvent move =
                    TestRecords.event(AuditAction.REFINGERPRINT_TOKEN)
                        .token(original.token().value())
                        .build();
                return new Attempt<>(
                    original,
                    store
                        .refingerprintToken(original.token(), v1, v2, move)
                        .thenApply(moved -> new InsertResult(original, false)));
              }
              TokenRecord r = TestRecords.tokenRecord(ns, keyId).deterministic(v2).build();
              return new Attempt<>(
                  r,
                  store.insertTokenIfFingerprintAbsent(r, List.of(v1), successor, untokenized(r), now));
            });

    for (Attempt<TokenRecord, InsertResult> o : outcomes) {
      InsertResult r = await(o.stage());
      assertThat(r.created()).isFalse();
      assertThat(r.record().token()).isEqualTo(original.token());
      if (!o.input().token().equals(original.token())) {
        assertThat(await(store.findToken(o.input().token()))).isEmpty();
      }
    }
    assertThat(await(store.findToken(original.token())).orElseThrow().fingerprint()).isEqualTo(v2);
    assertThat(await(store.countTokensByFingerprintVersion(ns, 2))).isEmpty();
    assertIntactFromGenesis(readAll(store));
  }

  /**
   * Writers that disagree on the current version race for a new value: those that still think
   * version 1 is current are refused (version 2 exists), the others make exactly one token.
   */
  @Test
  void deterministicInsertWhenStaleAndCurrentWritersRaceThenOneTokenAndStaleOnesSuperseded()
      throws Exception {
    Namespace ns = TestRecords.namespace();
    String keyId = givenDataKey(ns);
    String v1 = TestRecords.fingerprint(1);
    String v2 = TestRecords.fingerprint(2);
    DataKeyRecord fk2 = TestRecords.fingerprintKey(ns, 2);
    await(store.insertDataKey(fk2, TestRecords.dataKeyEvent(fk2)));
    Instant now = TestRecords.now();

    List<Attempt<TokenRecord, InsertResult>> outcomes =
        Race.race(
            RACERS,
            i -> {
              boolean stale = i % 2 == 0;
              TokenRecord r =
                  TestRecords.tokenRecord(ns, keyId).deterministic(stale ? v1 : v2).build();
              return new Attempt<>(
                  r,
                  stale
                      ? store.insertTokenIfFingerprintAbsent(r, List.of(), fk2.keyId(), untokenized(r), now)
                      : store.insertTokenIfFingerprintAbsent(
                          r, List.of(v1), "fk_v3_" + ns.name(), untokenized(r), now));
            });

    Set<Token> tokens = new java.util.HashSet<>();
    for (Attempt<TokenRecord, InsertResult> o : outcomes) {
      if (o.input().fingerprint().equals(v1)) {
        assertThat(failure(o.stage())).isInstanceOf(StoreException.FingerprintKeySuperseded.class);
      } else {
        tokens.add(await(o.stage()).record().token());
      }
    }
    assertThat(tokens).hasSize(1);
    assertThat(await(store.countTokensByFingerprintVersion(ns, 3))).isEqualTo(Map.of(2, 1L));
    assertIntactFromGenesis(readAll(store));
  }

  // ---- helpers

  /** Stores a data key for {@code ns} and returns its id (tokens reference one). */
  protected String givenDataKey(Namespace ns) {
    DataKeyRecord key = TestRecords.dataKey(ns);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    return key.keyId();
  }

  protected TokenRecord givenToken(Namespace ns) {
    TokenRecord record = TestRecords.tokenRecord(ns, givenDataKey(ns)).build();
    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));
    return record;
  }

  /** A tokenize event as the vault writes it for a deterministic insert: no token yet. */
  private static AuditEvent untokenized(TokenRecord record) {
    return TestRecords.tokenizeEvent(record).withToken(null);
  }

  private List<StoredAuditEvent> tokenEvents(Token token) {
    return await(store.query(q().token(token.value()).eventName(AuditAction.TOKENIZE).build()));
  }

  private AuditEvent appended(
      String name,
      String principal,
      String clientId,
      Token token,
      Outcome outcome,
      String errorCode,
      Instant time) {
    AuditEvent e =
        AuditEvent.builder(name, TestRecords.actor(principal, clientId), time)
            .namespace("default")
            .token(token.value())
            .outcome(outcome, errorCode)
            .build();
    await(store.append(e));
    return e;
  }

  private List<String> queryIds(AuditQueryBuilder q) {
    return ids(await(store.query(q.build())));
  }

  private static AuditQueryBuilder q() {
    return AuditQueryBuilder.query();
  }
}
