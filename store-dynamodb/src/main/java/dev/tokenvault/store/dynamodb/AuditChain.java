package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Commits writes together with their audit events, chained after the previous event, in one {@code
 * TransactWriteItems}.
 *
 * <h2>Chain head</h2>
 *
 * The audit table holds one chain, partition key {@code chain = "vault"}. Events sit at sort key
 * {@code seq = 1, 2, ...}; the <em>head</em> item at {@code seq = 0} holds {@code last_seq} and
 * {@code last_hash}. A transaction of k writes puts events {@code n + 1 .. n + k} (condition:
 * absent) and replaces the head (condition: {@code last_seq = n}, or absent for the first event),
 * beside the writes' own items and their conditions. So events are gap-free, strictly ordered and
 * each is linked to its predecessor, and an event exists exactly when the write it audits happened.
 *
 * <p>When another vault node advanced the head first, the transaction is cancelled with {@code
 * ConditionalCheckFailed} on the head: the head is re-read (strongly consistent), the event
 * re-chained and the transaction retried, with jittered backoff. When one of the writes' own items
 * fails its condition, the cancellation is that write's answer (duplicate, already present) and is
 * returned as {@link Rejected}, not retried here.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: the cached head is confined to the store's single writer thread ({@link
 * BatchWriter}), which is how one process never races itself for the head.
 */
final class AuditChain {
  private static final Logger LOG = LoggerFactory.getLogger(AuditChain.class);

  /** The one chain's partition key value. */
  static final String CHAIN = "vault";

  /** The head's sort key. Events start at 1, so an {@code afterSequence} of 0 reads them all. */
  static final long HEAD_SEQ = 0;

  /**
   * Head conflicts tolerated for one write before giving up. Each round of contention lets at least
   * one node through, so this bounds the wait behind 200 competing nodes' writes.
   */
  private static final int MAX_ATTEMPTS = 200;

  /** Upper bound of the jittered backoff after a conflict, in milliseconds. */
  private static final int MAX_BACKOFF_MILLIS = 50;

  private final DynamoDbClient client;
  private final String table;

  /** The last known head, or -1 when it must be read. Writer thread only. */
  private long headSeq = -1;

  private String headHash;

  /** Transactions that committed (a metric: audited writes divided by this is the batch size). */
  private final AtomicLong transactions = new AtomicLong();

  /** Transactions retried because the head moved or an item was contended (a metric). */
  private final AtomicLong retries = new AtomicLong();

  AuditChain(DynamoDbClient client, String table) {
    this.client = client;
    this.table = table;
  }

  /** One write of a batch: the caller's items and the event that audits them. */
  record Write(List<TransactWriteItem> items, AuditEvent event) {}

  /** The outcome of {@link #commit}. */
  sealed interface Result permits Committed, Rejected {}

  /** Everything was written; write {@code i}'s event landed as {@code events.get(i)}. */
  record Committed(List<StoredAuditEvent> events) implements Result {}

  /**
   * Nothing was written: for each write (by index) whose own items failed their conditions, the
   * indexes of those items. Writes not named here were fine but not written either.
   */
  record Rejected(Map<Integer, Set<Integer>> failed) implements Result {}

  /**
   * Writes every write's items and events atomically in one transaction, the events chained in
   * order after the current head, and moves the head past the last. Retries on head conflicts;
   * returns {@link Rejected} when one of the writes' own conditions failed. Throws {@link
   * StoreException} when DynamoDB refuses for another reason (its cause, an {@code
   * AwsServiceException}, says why; nothing was written), and lets SDK exceptions through.
   */
  Result commit(List<Write> writes) {
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (headSeq < 0) {
        readHead();
      }
      List<TransactWriteItem> all = new ArrayList<>();
      List<StoredAuditEvent> events = new ArrayList<>(writes.size());
      /** For each transaction item: the write it belongs to, or -1 for events and the head. */
      List<Integer> owner = new ArrayList<>();
      List<Integer> indexInWrite = new ArrayList<>();
      long seq = headSeq;
      String hash = headHash;
      for (int w = 0; w < writes.size(); w++) {
        Write write = writes.get(w);
        for (int i = 0; i < write.items().size(); i++) {
          all.add(write.items().get(i));
          owner.add(w);
          indexInWrite.add(i);
        }
        seq++;
        AuditEvent chained = write.event().chain(hash);
        hash = chained.hash();
        events.add(new StoredAuditEvent(seq, chained));
        all.add(eventPut(seq, chained));
        owner.add(-1);
        indexInWrite.add(-1);
      }
      all.add(headPut(seq, hash, headSeq));
      owner.add(-1);
      indexInWrite.add(-1);
      try {
        client.transactWriteItems(
            b -> b.transactItems(all).clientRequestToken(UUID.randomUUID().toString()));
        headSeq = seq;
        headHash = hash;
        transactions.incrementAndGet();
        return new Committed(events);
      } catch (TransactionCanceledException e) {
        List<CancellationReason> reasons =
            e.hasCancellationReasons() ? e.cancellationReasons() : List.of();
        if (reasons.size() != all.size()) {
          headSeq = -1;
          throw new StoreException("DynamoDB transaction cancelled without reasons", e);
        }
        Map<Integer, Set<Integer>> failed = new TreeMap<>();
        boolean retry = false;
        for (int i = 0; i < reasons.size(); i++) {
          String code = reasons.get(i).code();
          if (code == null || "None".equals(code)) {
            continue;
          }
          if (isConditionFailure(reasons.get(i))) {
            if (owner.get(i) >= 0) {
              failed.computeIfAbsent(owner.get(i), k -> new TreeSet<>()).add(indexInWrite.get(i));
            } else {
              retry = true; // another node advanced the head
            }
          } else if (RETRYABLE_CODES.contains(code)) {
            retry = true;
          } else {
            headSeq = -1;
            throw new StoreException("DynamoDB transaction cancelled: " + code, e);
          }
        }
        if (retry) {
          headSeq = -1;
        }
        if (!failed.isEmpty()) {
          return new Rejected(failed);
        }
        if (!retry) {
          headSeq = -1;
          throw new StoreException("DynamoDB transaction cancelled for no known reason", e);
        }
        retries.incrementAndGet();
        LOG.debug("audit chain head moved or item contended; retrying (attempt {})", attempt);
        backoff(attempt);
      } catch (RuntimeException e) {
        // Refused, or outcome unknown (timeout after the SDK's own retries): forget the head.
        headSeq = -1;
        throw e;
      }
    }
    throw new StoreException(
        "audit chain head still contended after " + MAX_ATTEMPTS + " attempts", null);
  }

  /** Cancellation codes that say "try again", not "your request is wrong". */
  private static final Set<String> RETRYABLE_CODES =
      Set.of("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded");

  long retries() {
    return retries.get();
  }

  long transactions() {
    return transactions.get();
  }

  private static boolean isConditionFailure(CancellationReason reason) {
    return "ConditionalCheckFailed".equals(reason.code());
  }

  private void readHead() {
    Map<String, AttributeValue> item =
        client.getItem(b -> b.tableName(table).key(key(HEAD_SEQ)).consistentRead(true)).item();
    if (item == null || item.isEmpty()) {
      headSeq = 0;
      headHash = AuditEvent.GENESIS;
    } else {
      headSeq = Long.parseLong(item.get("last_seq").n());
      headHash = item.get("last_hash").s();
    }
  }

  private TransactWriteItem eventPut(long seq, AuditEvent chained) {
    return TransactWriteItem.builder()
        .put(
            Put.builder()
                .tableName(table)
                .item(Items.auditEvent(CHAIN, seq, chained))
                .conditionExpression("attribute_not_exists(#seq)")
                .expressionAttributeNames(Map.of("#seq", "seq"))
                .build())
        .build();
  }

  private TransactWriteItem headPut(long seq, String hash, long previousSeq) {
    Map<String, AttributeValue> head = new HashMap<>(key(HEAD_SEQ));
    head.put("last_seq", Items.n(seq));
    head.put("last_hash", Items.s(hash));
    Put.Builder put = Put.builder().tableName(table).item(head);
    if (previousSeq == 0) {
      put.conditionExpression("attribute_not_exists(#seq)")
          .expressionAttributeNames(Map.of("#seq", "seq"));
    } else {
      put.conditionExpression("#last = :previous")
          .expressionAttributeNames(Map.of("#last", "last_seq"))
          .expressionAttributeValues(Map.of(":previous", Items.n(previousSeq)));
    }
    return TransactWriteItem.builder().put(put.build()).build();
  }

  static Map<String, AttributeValue> key(long seq) {
    return Map.of("chain", Items.s(CHAIN), "seq", Items.n(seq));
  }

  private static void backoff(int attempt) {
    int bound = Math.min(MAX_BACKOFF_MILLIS, 1 << Math.min(attempt, 6));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(1, bound + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting to retry an audited write", e);
    }
  }
}
