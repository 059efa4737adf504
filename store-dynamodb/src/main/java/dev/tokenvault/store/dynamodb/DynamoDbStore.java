package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenPage;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The {@link TokenStore} and {@link PaymentStore} on Amazon DynamoDB, for vaults that run as many
 * stateless nodes. Table layout: {@link Tables}; item layout: {@link Items}; the IAM policy and
 * table definitions for production: {@code docs/dynamodb.md}.
 *
 * <h2>Threads</h2>
 *
 * The SDK's synchronous client (on {@code url-connection-client}) runs on the store's own threads,
 * never the caller's: every method returns at once and completes its stage from there, so callers
 * on an event loop are never blocked. Audited writes run on <b>one writer thread</b> with group
 * commit ({@link BatchWriter}): they serialize on the audit chain head anyway (see below), one
 * thread means this process never races itself for the head, and writes that queue up behind a
 * transaction go together into the next one. Reads run on a small pool. Stages complete on those
 * threads: a caller that must continue on its own context hops back itself.
 *
 * <h2>Atomicity and conditions</h2>
 *
 * Every write is part of one {@code TransactWriteItems}: the record items with their {@code
 * attribute_not_exists}/equality conditions, the audit event and the chain head ({@link
 * AuditChain}), possibly beside other writes of the same batch. Either all land or none. A {@code
 * TransactionCanceledException} whose reason is {@code ConditionalCheckFailed} on one of our items
 * is control flow (the token exists, another node won the fingerprint or the idempotency key),
 * never an error; every other SDK failure is translated into {@link StoreException} at this class's
 * edge. Reads are strongly consistent.
 *
 * <h2>Deterministic tokens</h2>
 *
 * A fingerprint item in the tokens table, partition key {@code fp#<namespace>#<fingerprint>}, names
 * the namespace's token for that fingerprint. During a fingerprint-key transition an insert reads
 * the items of the value's fingerprint under every stored version and condition-checks each one it
 * found absent, plus the absence of the successor key, in the insert's transaction; a
 * re-fingerprint puts the new item, deletes the old one and updates the token in one transaction. It is created with {@code attribute_not_exists} in
 * the same transaction as the token item, so of any number of concurrent writers (on any number of
 * nodes) exactly one creates it; the others see the cancellation, read the winner and return it
 * (with their event naming it). An expired (or deleted) winner is replaced under the condition that
 * the fingerprint item still names that winner; the expired token item is deleted in the same
 * transaction.
 *
 * <h2>Durability</h2>
 *
 * DynamoDB acknowledges a write only after it is durably stored in multiple Availability Zones, so
 * a completed stage is a durable write. A write whose outcome is unknown (the network failed after
 * the SDK's retries, which reuse one client request token so they cannot apply twice) completes
 * with {@link StoreException}; it either happened whole, event included, or not at all.
 *
 * <h2>Throughput: the single chain head</h2>
 *
 * The audit trail is one hash chain, so every audited write, on every node, updates one head item:
 * transactions are serialized across the whole deployment, one per round trip (tens of milliseconds
 * in a region), and nodes that race for the head retry ({@link #auditChainRetries()}). Group commit
 * softens this within a node: a transaction carries up to 100 items, i.e. about 20 to 99 writes
 * with their events depending on their kind, so a loaded node writes a batch per round trip rather
 * than one write (mean batch = audited writes / {@link #writeTransactions()}). Across nodes the
 * head is still one serialization point, and cross-node contention grows with the number of nodes.
 * Reads do not touch the head and scale freely. Sharding would lift the limit: K chains (partition
 * key {@code chain = shard}, shard chosen per node or by hash of the token) multiply audited write
 * throughput by about K, each chain verifiable on its own, at the price of no total order across
 * shards (the audit query would merge K chains and page with a per-shard cursor). Not done: one
 * chain keeps {@link AuditQuery}'s single sequence.
 */
public final class DynamoDbStore implements TokenStore, PaymentStore {
  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbStore.class);

  /**
   * Concurrent reads per store. A read is a network wait of a few milliseconds; 16 in flight serve
   * thousands of reads per second per node without a large thread footprint.
   */
  private static final int READ_THREADS = 16;

  /** Audit events fetched per Query page; the query filters in memory, so pages are large. */
  private static final int AUDIT_PAGE = 500;

  /**
   * Bound of one HTTP attempt. DynamoDB answers in milliseconds; an attempt still open after this
   * is a stuck connection, better retried (the SDK retries with the same client request token).
   */
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Bound of one call including the SDK's retries, so a request fails with a store error (503)
   * instead of hanging a writer thread that every audited write waits behind.
   */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  /** How long {@link #close()} waits for reads in flight. */
  private static final long CLOSE_WAIT_SECONDS = 30;

  private final DynamoDbClient client;

  /** Closed with the client: the credentials provider {@link #open} made, or nothing. */
  private final SdkAutoCloseable owned;

  private final Tables tables;
  private final AuditChain chain;
  private final BatchWriter writer;
  private final ExecutorService readers;

  /**
   * Opens a store with a client for {@code settings}, credentials from the SDK's default provider
   * chain (environment, system properties, profile, container or instance role). Creates the tables
   * first when {@link DynamoDbSettings#createTables()} says so.
   */
  public static DynamoDbStore open(DynamoDbSettings settings) {
    Objects.requireNonNull(settings, "settings");
    DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
    DynamoDbClientBuilder builder =
        DynamoDbClient.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .overrideConfiguration(
                o -> o.apiCallAttemptTimeout(ATTEMPT_TIMEOUT).apiCallTimeout(CALL_TIMEOUT));
    settings.endpoint().ifPresent(builder::endpointOverride);
    return new DynamoDbStore(settings, builder.build(), credentials);
  }

  /**
   * A store on {@code client}, which it then owns (and closes). Creates the tables first when
   * {@link DynamoDbSettings#createTables()} says so: that blocks the calling thread, once, at
   * start-up.
   */
  public DynamoDbStore(DynamoDbSettings settings, DynamoDbClient client) {
    this(settings, client, () -> {});
  }

  private DynamoDbStore(DynamoDbSettings settings, DynamoDbClient client, SdkAutoCloseable owned) {
    Objects.requireNonNull(settings, "settings");
    this.client = Objects.requireNonNull(client, "client");
    this.owned = owned;
    this.tables = new Tables(settings.tablePrefix());
    if (settings.createTables()) {
      try {
        tables.createIfMissing(client);
      } catch (SdkException e) {
        client.close();
        owned.close();
        throw new StoreException("could not create the DynamoDB tables: " + code(e), e);
      }
    }
    this.chain = new AuditChain(client, tables.audit);
    this.readers = Executors.newFixedThreadPool(READ_THREADS, threads("tokenvault-dynamodb-read"));
    this.writer =
        new BatchWriter(
            chain,
            Map.of(
                tables.tokens, List.of("token"),
                tables.keys, List.of("key_id"),
                tables.payments, List.of("id"),
                tables.audit, List.of("chain", "seq")),
            readers,
            "tokenvault-dynamodb-writer");
  }

  /** The table names in use (for operators and tests). */
  public List<String> tableNames() {
    return tables.all();
  }

  /**
   * How many audited transactions this store retried because another node advanced the audit chain
   * head first (or DynamoDB reported contention). A metric: a steadily rising rate means the single
   * chain head is the bottleneck (see the class notes on sharding).
   */
  public long auditChainRetries() {
    return chain.retries();
  }

  /**
   * How many transactions this store committed. Audited writes per transaction is the mean group
   * commit batch: near 1 when idle, growing with load.
   */
  public long writeTransactions() {
    return chain.transactions();
  }

  /** The writer, for tests that need to hold it. */
  BatchWriter writer() {
    return writer;
  }

  // ---- audit

  @Override
  public CompletionStage<Void> append(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "append audit event",
        () -> new BatchWriter.Write<Void>(List.of(), event, stored -> null, failed -> {}));
  }

  @Override
  public CompletionStage<List<StoredAuditEvent>> query(AuditQuery q) {
    Objects.requireNonNull(q, "query");
    return onReader(
        "query audit events",
        () -> {
          List<StoredAuditEvent> out = new ArrayList<>();
          Map<String, AttributeValue> start = null;
          QueryResponse page;
          do {
            Map<String, AttributeValue> exclusiveStart = start;
            page =
                client.query(
                    b ->
                        b.tableName(tables.audit)
                            .keyConditionExpression("#c = :c AND #s > :after")
                            .expressionAttributeNames(Map.of("#c", "chain", "#s", "seq"))
                            .expressionAttributeValues(
                                Map.of(
                                    ":c",
                                    Items.s(AuditChain.CHAIN),
                                    ":after",
                                    Items.n(q.afterSequence())))
                            .consistentRead(true)
                            .scanIndexForward(true)
                            .limit(AUDIT_PAGE)
                            .exclusiveStartKey(exclusiveStart));
            for (Map<String, AttributeValue> item : page.items()) {
              StoredAuditEvent stored = Items.auditEvent(item);
              if (matches(q, stored.event())) {
                out.add(stored);
                if (out.size() == q.limit()) {
                  return out;
                }
              }
            }
            start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
          } while (start != null && !start.isEmpty());
          return out;
        });
  }

  private static boolean matches(AuditQuery q, AuditEvent e) {
    return (q.eventName() == null || q.eventName().equals(e.eventName()))
        && (q.principal() == null || q.principal().equals(e.actor().principal()))
        && (q.clientId() == null || q.clientId().equals(e.actor().clientId()))
        && (q.token() == null || q.token().equals(e.token()))
        && (q.outcome() == null || q.outcome() == e.outcome())
        && (q.from() == null || !e.eventTime().isBefore(q.from()))
        && (q.to() == null || e.eventTime().isBefore(q.to()));
  }

  // ---- data keys

  @Override
  public CompletionStage<Void> insertDataKey(DataKeyRecord key, AuditEvent event) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "insert data key",
        () ->
            new BatchWriter.Write<Void>(
                List.of(putDataKey(key)),
                event,
                stored -> null,
                failed -> {
                  throw new StoreException("data key already exists: " + key.keyId(), null);
                }));
  }

  @Override
  public CompletionStage<DataKeyRecord> insertDataKeyIfAbsent(DataKeyRecord key, AuditEvent event) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "insert data key if absent",
        () -> {
          Optional<DataKeyRecord> existing = getDataKey(key.keyId());
          if (existing.isPresent()) {
            return new BatchWriter.Done<>(existing.get());
          }
          // Rejected: another writer stored the id first; prepared again, the read finds it.
          return new BatchWriter.Write<>(
              List.of(putDataKey(key)), event, stored -> key, failed -> {});
        });
  }

  private TransactWriteItem putDataKey(DataKeyRecord key) {
    return put(
        tables.keys,
        Items.dataKey(key),
        "attribute_not_exists(#k)",
        Map.of("#k", "key_id"),
        Map.of());
  }

  @Override
  public CompletionStage<Optional<DataKeyRecord>> findDataKey(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return onReader("find data key", () -> getDataKey(keyId));
  }

  private Optional<DataKeyRecord> getDataKey(String keyId) {
    return get(tables.keys, Items.dataKeyKey(keyId)).map(Items::dataKey);
  }

  /**
   * A consistent scan of the keys table, filtered and sorted here: the table holds a few data
   * keys per namespace, and only background rewrap and the key report call this.
   */
  private List<DataKeyRecord> dataKeysOf(String kekId) {
    List<DataKeyRecord> out = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> exclusiveStart = start;
      ScanResponse page =
          client.scan(
              b ->
                  b.tableName(tables.keys)
                      .consistentRead(true)
                      .filterExpression("#k = :k")
                      .expressionAttributeNames(Map.of("#k", "kek_id"))
                      .expressionAttributeValues(Map.of(":k", Items.s(kekId)))
                      .exclusiveStartKey(exclusiveStart));
      for (Map<String, AttributeValue> item : page.items()) {
        out.add(Items.dataKey(item));
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    return out;
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeysWrappedUnder(
      String kekId, int kekVersion, String afterKeyId, int limit) {
    Objects.requireNonNull(kekId, "kekId");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    return onReader(
        "list data keys",
        () ->
            dataKeysOf(kekId).stream()
                .filter(k -> k.wrapped().kekVersion() == kekVersion)
                .filter(k -> afterKeyId == null || k.keyId().compareTo(afterKeyId) > 0)
                .sorted(java.util.Comparator.comparing(DataKeyRecord::keyId))
                .limit(limit)
                .toList());
  }

  @Override
  public CompletionStage<Map<Integer, Long>> countDataKeysByKekVersion(String kekId) {
    Objects.requireNonNull(kekId, "kekId");
    return onReader(
        "count data keys",
        () -> {
          Map<Integer, Long> counts = new java.util.TreeMap<>();
          for (DataKeyRecord k : dataKeysOf(kekId)) {
            counts.merge(k.wrapped().kekVersion(), 1L, Long::sum);
          }
          return counts;
        });
  }

  @Override
  public CompletionStage<Boolean> rewrapDataKey(
      String keyId, WrappedKey expected, WrappedKey rewrapped, AuditEvent event) {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(rewrapped, "rewrapped");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "rewrap data key",
        () -> {
          Optional<DataKeyRecord> found = getDataKey(keyId);
          if (found.isEmpty() || !found.get().wrapped().equals(expected)) {
            return new BatchWriter.Done<>(false);
          }
          DataKeyRecord old = found.get();
          DataKeyRecord updated =
              new DataKeyRecord(keyId, old.namespace(), old.purpose(), rewrapped, old.createdAt());
          // Rejected: another writer changed the wrapping first; prepared again, the read sees it.
          return new BatchWriter.Write<>(
              List.of(
                  put(
                      tables.keys,
                      Items.dataKey(updated),
                      "#k = :k AND #v = :v AND #w = :w",
                      Map.of("#k", "kek_id", "#v", "kek_version", "#w", "wrapped"),
                      Map.of(
                          ":k", Items.s(expected.kekId()),
                          ":v", Items.n(expected.kekVersion()),
                          ":w",
                              AttributeValue.fromB(
                                  software.amazon.awssdk.core.SdkBytes.fromByteArray(
                                      expected.ciphertext()))))),
              event,
              stored -> true,
              failed -> {});
        });
  }

  // ---- tokens

  @Override
  public CompletionStage<Void> insertToken(TokenRecord record, AuditEvent event) {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "insert token",
        () ->
            new BatchWriter.Write<Void>(
                List.of(putNewToken(record)),
                event,
                stored -> null,
                failed -> {
                  throw new StoreException.DuplicateToken(record.token().value());
                }));
  }

  @Override
  public CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record,
      List<String> olderFingerprints,
      String successorKeyId,
      AuditEvent event,
      Instant now) {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(olderFingerprints, "olderFingerprints");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(now, "now");
    if (!record.deterministic()) {
      throw new IllegalArgumentException("record must be deterministic");
    }
    List<String> candidates = new ArrayList<>(1 + olderFingerprints.size());
    candidates.add(record.fingerprint());
    candidates.addAll(olderFingerprints);
    return writer.submit(
        "insert deterministic token",
        () -> {
          // Every fingerprint item read here is written or condition-checked in the transaction
          // below, and so is the successor key: if any changed since the read, the transaction
          // is cancelled and this is prepared again. That makes the reads and the insert one
          // step, across nodes.
          List<TransactWriteItem> items = new ArrayList<>(candidates.size() + 3);
          for (int i = 0; i < candidates.size(); i++) {
            Map<String, AttributeValue> fpKey =
                Items.fingerprintKey(record.namespace(), candidates.get(i));
            Optional<Map<String, AttributeValue>> fp = get(tables.tokens, fpKey);
            if (fp.isEmpty()) {
              items.add(
                  i == 0
                      ? put(
                          tables.tokens,
                          Items.fingerprint(record),
                          "attribute_not_exists(#t)",
                          Map.of("#t", "token"),
                          Map.of())
                      : conditionCheck(
                          tables.tokens, fpKey, "attribute_not_exists(#t)", Map.of("#t", "token"),
                          Map.of()));
              continue;
            }
            String target = Items.str(fp.get(), "target");
            Optional<TokenRecord> winner =
                get(tables.tokens, Items.tokenKey(target)).map(Items::token);
            if (winner.isPresent() && !winner.get().isExpiredAt(now)) {
              // A live winner: the answer, as of the read above (its linearization point). The
              // event only records that this caller got it, so it needs no condition: it joins any
              // batch, however many callers race for one fingerprint.
              TokenRecord found = winner.get();
              return new BatchWriter.Write<>(
                  List.of(),
                  event.withToken(found.token().value()),
                  stored -> new InsertResult(found, false),
                  failed -> {});
            }
            // Expired (or deleted) winner: take its place, only if it is still the one named.
            items.add(
                i == 0
                    ? put(
                        tables.tokens,
                        Items.fingerprint(record),
                        "#tg = :tg",
                        Map.of("#tg", "target"),
                        Map.of(":tg", Items.s(target)))
                    : TransactWriteItem.builder()
                        .delete(
                            Delete.builder()
                                .tableName(tables.tokens)
                                .key(fpKey)
                                .conditionExpression("#tg = :tg")
                                .expressionAttributeNames(Map.of("#tg", "target"))
                                .expressionAttributeValues(Map.of(":tg", Items.s(target)))
                                .build())
                        .build());
            if (winner.isPresent()) {
              items.add(
                  TransactWriteItem.builder()
                      .delete(
                          Delete.builder()
                              .tableName(tables.tokens)
                              .key(Items.tokenKey(target))
                              .build())
                      .build());
            }
          }
          int successorIndex = -1;
          if (successorKeyId != null) {
            successorIndex = items.size();
            items.add(
                conditionCheck(
                    tables.keys,
                    Items.dataKeyKey(successorKeyId),
                    "attribute_not_exists(#k)",
                    Map.of("#k", "key_id"),
                    Map.of()));
          }
          int tokenIndex = items.size();
          items.add(putNewToken(record));
          int superseded = successorIndex;
          return new BatchWriter.Write<>(
              items,
              event.withToken(record.token().value()),
              stored -> new InsertResult(record, true),
              failed -> {
                if (failed.contains(tokenIndex)) {
                  throw new StoreException.DuplicateToken(record.token().value());
                }
                if (failed.contains(superseded)) {
                  throw new StoreException.FingerprintKeySuperseded(successorKeyId);
                }
                // A fingerprint item changed under us: prepare again and read the new winner.
              });
        });
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeys(KeyPurpose purpose, Namespace namespace) {
    Objects.requireNonNull(purpose, "purpose");
    return onReader(
        "list data keys",
        () -> {
          List<DataKeyRecord> out = new ArrayList<>();
          Map<String, AttributeValue> start = null;
          String filter = namespace == null ? "#p = :p" : "#p = :p AND #ns = :ns";
          Map<String, String> names =
              namespace == null
                  ? Map.of("#p", "purpose")
                  : Map.of("#p", "purpose", "#ns", "namespace");
          Map<String, AttributeValue> values =
              namespace == null
                  ? Map.of(":p", Items.s(purpose.name()))
                  : Map.of(":p", Items.s(purpose.name()), ":ns", Items.s(namespace.name()));
          do {
            Map<String, AttributeValue> exclusiveStart = start;
            ScanResponse page =
                client.scan(
                    b ->
                        b.tableName(tables.keys)
                            .consistentRead(true)
                            .filterExpression(filter)
                            .expressionAttributeNames(names)
                            .expressionAttributeValues(values)
                            .exclusiveStartKey(exclusiveStart));
            for (Map<String, AttributeValue> item : page.items()) {
              out.add(Items.dataKey(item));
            }
            start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
          } while (start != null && !start.isEmpty());
          out.sort(
              java.util.Comparator.comparing((DataKeyRecord k) -> k.namespace().name())
                  .thenComparing(DataKeyRecord::keyId));
          return List.copyOf(out);
        });
  }

  @Override
  public CompletionStage<Boolean> deleteDataKey(String keyId, AuditEvent event) {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "delete data key",
        () -> {
          if (getDataKey(keyId).isEmpty()) {
            return new BatchWriter.Done<>(false);
          }
          // Rejected: deleted meanwhile; prepared again, the read says so.
          return new BatchWriter.Write<>(
              List.of(
                  TransactWriteItem.builder()
                      .delete(
                          Delete.builder()
                              .tableName(tables.keys)
                              .key(Items.dataKeyKey(keyId))
                              .conditionExpression("attribute_exists(#k)")
                              .expressionAttributeNames(Map.of("#k", "key_id"))
                              .build())
                      .build()),
              event,
              stored -> true,
              failed -> {});
        });
  }

  /**
   * One page of a consistent scan of the tokens table, filtered to the namespace's token items
   * (fingerprint items have no ciphertext), then to the version here: the table has no index by
   * namespace, and only the background re-fingerprint job calls this. A page may come back empty
   * with a cursor (the scan's page held none of them).
   */
  @Override
  public CompletionStage<TokenPage> listTokensByFingerprintVersion(
      Namespace namespace, int version, String cursor, int limit) {
    Objects.requireNonNull(namespace, "namespace");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    return onReader(
        "list tokens by fingerprint version",
        () -> {
          ScanResponse page =
              client.scan(
                  b ->
                      b.tableName(tables.tokens)
                          .consistentRead(true)
                          .limit(limit)
                          .filterExpression("#ns = :ns AND attribute_exists(#c)")
                          .expressionAttributeNames(Map.of("#ns", "namespace", "#c", "ciphertext"))
                          .expressionAttributeValues(Map.of(":ns", Items.s(namespace.name())))
                          .exclusiveStartKey(cursor == null ? null : Items.tokenKey(cursor)));
          List<TokenRecord> out = new ArrayList<>();
          for (Map<String, AttributeValue> item : page.items()) {
            TokenRecord r = Items.token(item);
            if (FingerprintFormat.version(r.fingerprint()) == version) {
              out.add(r);
            }
          }
          String next =
              page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                  ? Items.str(page.lastEvaluatedKey(), "token")
                  : null;
          return new TokenPage(out, next);
        });
  }

  /** A consistent scan of the namespace's token items (see {@link #listTokensByFingerprintVersion}). */
  @Override
  public CompletionStage<Map<Integer, Long>> countTokensByFingerprintVersion(
      Namespace namespace, int belowVersion) {
    Objects.requireNonNull(namespace, "namespace");
    return onReader(
        "count tokens by fingerprint version",
        () -> {
          Map<Integer, Long> counts = new java.util.TreeMap<>();
          Map<String, AttributeValue> start = null;
          do {
            Map<String, AttributeValue> exclusiveStart = start;
            ScanResponse page =
                client.scan(
                    b ->
                        b.tableName(tables.tokens)
                            .consistentRead(true)
                            .projectionExpression("#fp")
                            .filterExpression("#ns = :ns AND attribute_exists(#c)")
                            .expressionAttributeNames(
                                Map.of("#ns", "namespace", "#c", "ciphertext", "#fp", "fingerprint"))
                            .expressionAttributeValues(Map.of(":ns", Items.s(namespace.name())))
                            .exclusiveStartKey(exclusiveStart));
            for (Map<String, AttributeValue> item : page.items()) {
              int v = FingerprintFormat.version(Items.str(item, "fingerprint"));
              if (v < belowVersion) {
                counts.merge(v, 1L, Long::sum);
              }
            }
            start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
          } while (start != null && !start.isEmpty());
          return counts;
        });
  }

  @Override
  public CompletionStage<Boolean> refingerprintToken(
      Token token, String expected, String replacement, AuditEvent event) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(replacement, "replacement");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "refingerprint token",
        () -> {
          Optional<TokenRecord> found =
              get(tables.tokens, Items.tokenKey(token.value())).map(Items::token);
          if (found.isEmpty() || !found.get().fingerprint().equals(expected)) {
            return new BatchWriter.Done<>(false);
          }
          TokenRecord r = found.get();
          TokenRecord moved =
              new TokenRecord(
                  r.token(), r.namespace(), r.type(), r.ciphertext(), r.dataKeyId(), replacement,
                  r.deterministic(), r.last4(), r.bin(), r.scheme(), r.createdAt(), r.expiresAt(),
                  r.metadata());
          List<TransactWriteItem> items = new ArrayList<>(3);
          items.add(
              put(
                  tables.tokens,
                  Items.token(moved),
                  "#fp = :fp",
                  Map.of("#fp", "fingerprint"),
                  Map.of(":fp", Items.s(expected))));
          int newIndex = -1;
          if (r.deterministic()) {
            // The uniqueness entry moves with the token: the new one created, the old one gone.
            newIndex = items.size();
            items.add(
                put(
                    tables.tokens,
                    Items.fingerprint(moved),
                    "attribute_not_exists(#t)",
                    Map.of("#t", "token"),
                    Map.of()));
            Map<String, AttributeValue> oldKey = Items.fingerprintKey(r.namespace(), expected);
            Optional<Map<String, AttributeValue>> old = get(tables.tokens, oldKey);
            if (old.isPresent() && token.value().equals(Items.str(old.get(), "target"))) {
              items.add(
                  TransactWriteItem.builder()
                      .delete(
                          Delete.builder()
                              .tableName(tables.tokens)
                              .key(oldKey)
                              .conditionExpression("#tg = :tg")
                              .expressionAttributeNames(Map.of("#tg", "target"))
                              .expressionAttributeValues(Map.of(":tg", Items.s(token.value())))
                              .build())
                      .build());
            }
          }
          int clash = newIndex;
          return new BatchWriter.Write<>(
              items,
              event,
              stored -> true,
              failed -> {
                if (failed.contains(clash) && failed.size() == 1) {
                  throw new StoreException(
                      "another deterministic token holds the replacement fingerprint", null);
                }
                // The token changed or went meanwhile: prepared again, the read tells which.
              });
        });
  }

  private static TransactWriteItem conditionCheck(
      String table,
      Map<String, AttributeValue> key,
      String condition,
      Map<String, String> names,
      Map<String, AttributeValue> values) {
    ConditionCheck.Builder check =
        ConditionCheck.builder()
            .tableName(table)
            .key(key)
            .conditionExpression(condition)
            .expressionAttributeNames(names);
    if (!values.isEmpty()) {
      check.expressionAttributeValues(values);
    }
    return TransactWriteItem.builder().conditionCheck(check.build()).build();
  }

  private TransactWriteItem putNewToken(TokenRecord record) {
    return put(
        tables.tokens,
        Items.token(record),
        "attribute_not_exists(#t)",
        Map.of("#t", "token"),
        Map.of());
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> findToken(Token token) {
    Objects.requireNonNull(token, "token");
    return onReader(
        "find token", () -> get(tables.tokens, Items.tokenKey(token.value())).map(Items::token));
  }

  @Override
  public CompletionStage<Boolean> deleteToken(Token token, Namespace namespace, AuditEvent event) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "delete token",
        () -> {
          Optional<TokenRecord> found =
              get(tables.tokens, Items.tokenKey(token.value())).map(Items::token);
          if (found.isEmpty() || !found.get().namespace().equals(namespace)) {
            return new BatchWriter.Done<>(false);
          }
          List<TransactWriteItem> items = new ArrayList<>(2);
          items.add(
              TransactWriteItem.builder()
                  .delete(
                      Delete.builder()
                          .tableName(tables.tokens)
                          .key(Items.tokenKey(token.value()))
                          .conditionExpression("attribute_exists(#t) AND #ns = :ns")
                          .expressionAttributeNames(Map.of("#t", "token", "#ns", "namespace"))
                          .expressionAttributeValues(Map.of(":ns", Items.s(namespace.name())))
                          .build())
                  .build());
          if (found.get().deterministic()) {
            // Remove the fingerprint item too when it names this token, so no trace is left.
            Map<String, AttributeValue> fpKey =
                Items.fingerprintKey(namespace, found.get().fingerprint());
            Optional<Map<String, AttributeValue>> fp = get(tables.tokens, fpKey);
            if (fp.isPresent() && token.value().equals(Items.str(fp.get(), "target"))) {
              items.add(
                  TransactWriteItem.builder()
                      .delete(
                          Delete.builder()
                              .tableName(tables.tokens)
                              .key(fpKey)
                              .conditionExpression("#tg = :tg")
                              .expressionAttributeNames(Map.of("#tg", "target"))
                              .expressionAttributeValues(Map.of(":tg", Items.s(token.value())))
                              .build())
                      .build());
            }
          }
          // Rejected: deleted or replaced meanwhile; prepared again, the read tells which.
          return new BatchWriter.Write<>(items, event, stored -> true, failed -> {});
        });
  }

  // ---- payments

  @Override
  public CompletionStage<PaymentInsert> insertPaymentIfAbsent(Payment payment, AuditEvent event) {
    Objects.requireNonNull(payment, "payment");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        "insert payment",
        () -> {
          Optional<Payment> existing =
              paymentUnderKey(payment.clientId(), payment.idempotencyKey());
          if (existing.isPresent()) {
            return new BatchWriter.Done<>(new PaymentInsert(existing.get(), false));
          }
          Map<String, String> idName = Map.of("#id", "id");
          return new BatchWriter.Write<>(
              List.of(
                  put(
                      tables.payments,
                      Items.idempotency(payment),
                      "attribute_not_exists(#id)",
                      idName,
                      Map.of()),
                  put(
                      tables.payments,
                      Items.payment(payment),
                      "attribute_not_exists(#id)",
                      idName,
                      Map.of())),
              event,
              stored -> new PaymentInsert(payment, true),
              failed -> {
                if (!failed.contains(0)) {
                  throw new StoreException("payment id already exists: " + payment.id(), null);
                }
                // Another request took the idempotency key: prepared again, the read finds it.
              });
        });
  }

  @Override
  public CompletionStage<Optional<Payment>> findPayment(String id) {
    Objects.requireNonNull(id, "id");
    if (id.startsWith(Items.IDEMPOTENCY_PREFIX)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return onReader(
        "find payment", () -> get(tables.payments, Items.paymentKey(id)).map(Items::payment));
  }

  /**
   * Two consistent reads on the reader pool: the idempotency item, then its payment. DynamoDB
   * acknowledges a transaction once it is durable, so whatever these reads see is.
   */
  @Override
  public CompletionStage<Optional<Payment>> findPaymentByIdempotencyKey(
      String clientId, String idempotencyKey) {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    return onReader(
        "find payment by idempotency key", () -> paymentUnderKey(clientId, idempotencyKey));
  }

  /** The payment a key's idempotency item names: two consistent reads. */
  private Optional<Payment> paymentUnderKey(String clientId, String idempotencyKey) {
    return get(tables.payments, Items.paymentKey(Items.idempotencyId(clientId, idempotencyKey)))
        .map(
            idem ->
                get(tables.payments, Items.paymentKey(Items.str(idem, "payment_id")))
                    .map(Items::payment)
                    .orElseThrow(
                        () ->
                            new StoreException("idempotency item names a missing payment", null)));
  }

  // ---- lifecycle

  /** Waits for writes in flight, then stops the threads and closes the client. */
  @Override
  public void close() {
    writer.close();
    readers.shutdown();
    try {
      readers.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      readers.shutdownNow();
      client.close();
      owned.close();
    }
  }

  // ---- helpers

  private Optional<Map<String, AttributeValue>> get(String table, Map<String, AttributeValue> key) {
    Map<String, AttributeValue> item =
        client.getItem(b -> b.tableName(table).key(key).consistentRead(true)).item();
    return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
  }

  private static TransactWriteItem put(
      String table,
      Map<String, AttributeValue> item,
      String condition,
      Map<String, String> names,
      Map<String, AttributeValue> values) {
    Put.Builder put =
        Put.builder()
            .tableName(table)
            .item(item)
            .conditionExpression(condition)
            .expressionAttributeNames(names);
    if (!values.isEmpty()) {
      put.expressionAttributeValues(values);
    }
    return TransactWriteItem.builder().put(put.build()).build();
  }

  private <T> CompletionStage<T> onReader(String operation, Supplier<T> body) {
    return submit(readers, operation, body);
  }

  private static <T> CompletionStage<T> submit(
      ExecutorService executor, String operation, Supplier<T> body) {
    try {
      return CompletableFuture.supplyAsync(() -> translated(operation, body), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new StoreException("DynamoDB store is closed", e));
    }
  }

  private static <T> T translated(String operation, Supplier<T> body) {
    try {
      return body.get();
    } catch (RuntimeException e) {
      throw translate(operation, e);
    }
  }

  /** The edge: whatever fails below leaves as a {@link StoreException}, without values. */
  static RuntimeException translate(String operation, RuntimeException e) {
    if (e instanceof StoreException || e instanceof IllegalArgumentException) {
      return e;
    }
    if (e instanceof SdkException sdk) {
      LOG.warn("DynamoDB {} failed: {}", operation, code(sdk));
      return new StoreException("DynamoDB " + operation + " failed: " + code(sdk), e);
    }
    return new StoreException("DynamoDB " + operation + " failed: unreadable item or bug", e);
  }

  /** An error code or class name: safe to log, unlike some SDK messages. */
  private static String code(SdkException e) {
    if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException service
        && service.awsErrorDetails() != null
        && service.awsErrorDetails().errorCode() != null) {
      return service.awsErrorDetails().errorCode();
    }
    return e.getClass().getSimpleName();
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
