package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Commits a write together with its audit event, chained after the previous event, in one
 * {@code TransactWriteItems}.
 *
 * <h2>Chain head</h2>
 *
 * The audit table holds one chain, partition key {@code chain = "vault"}. Events sit at sort key
 * {@code seq = 1, 2, ...}; the <em>head</em> item at {@code seq = 0} holds {@code last_seq} and
 * {@code last_hash}. Every transaction puts event {@code n + 1} (condition: absent) and replaces
 * the head (condition: {@code last_seq = n}, or absent for the first event), beside the caller's
 * own items and their conditions. So events are gap-free, strictly ordered and each is linked to
 * its predecessor, and an event exists exactly when the write it audits happened.
 *
 * <p>When another vault node advanced the head first, the transaction is cancelled with {@code
 * ConditionalCheckFailed} on the head: the head is re-read (strongly consistent), the event
 * re-chained and the transaction retried, with jittered backoff. When one of the caller's items
 * fails its condition, the cancellation is the caller's answer (duplicate, already present) and
 * is returned as {@link Rejected}, not retried.
 *
 * <h2>Threading</h2>
 *
 * Not thread-safe: the cached head is confined to the store's single writer thread, which is how
 * one process never races itself for the head.
 */
final class AuditChain {
  private static final Logger LOG = LoggerFactory.getLogger(AuditChain.class);

  /** The one chain's partition key value. */
  static final String CHAIN = "vault";

  /** The head's sort key. Events start at 1, so an {@code afterSequence} of 0 reads them all. */
  static final long HEAD_SEQ = 0;

  /**
   * Head conflicts tolerated for one write before giving up. Each round of contention lets at
   * least one node through, so this bounds the wait behind 200 competing nodes' writes.
   */
  private static final int MAX_ATTEMPTS = 200;

  /** Upper bound of the jittered backoff after a conflict, in milliseconds. */
  private static final int MAX_BACKOFF_MILLIS = 50;

  private final DynamoDbClient client;
  private final String table;

  /** The last known head, or -1 when it must be read. Writer thread only. */
  private long headSeq = -1;

  private String headHash;

  /** Transactions retried because the head moved or an item was contended (a metric). */
  private final AtomicLong retries = new AtomicLong();

  AuditChain(DynamoDbClient client, String table) {
    this.client = client;
    this.table = table;
  }

  /** The outcome of {@link #commit}. */
  sealed interface Result permits Committed, Rejected {}

  /** Everything was written; the event landed at {@code event.sequence()}. */
  record Committed(StoredAuditEvent event) implements Result {}

  /** Nothing was written: the caller's items at these indexes failed their conditions. */
  record Rejected(Set<Integer> failedIndexes) implements Result {
    boolean failed(int index) {
      return failedIndexes.contains(index);
    }
  }

  /**
   * Writes {@code items} and {@code event} atomically, the event chained after the current head.
   * Retries on head conflicts; returns {@link Rejected} when one of {@code items}' conditions
   * failed. Throws {@link StoreException} when DynamoDB refuses for another reason, and lets SDK
   * exceptions through for the caller's edge to translate.
   */
  Result commit(List<TransactWriteItem> items, AuditEvent event) {
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (headSeq < 0) {
        readHead();
      }
      long seq = headSeq + 1;
      AuditEvent chained = event.chain(headHash);
      List<TransactWriteItem> all = new ArrayList<>(items.size() + 2);
      all.addAll(items);
      all.add(eventPut(seq, chained));
      all.add(headPut(seq, chained.hash(), headSeq));
      try {
        client.transactWriteItems(
            b -> b.transactItems(all).clientRequestToken(UUID.randomUUID().toString()));
        headSeq = seq;
        headHash = chained.hash();
        return new Committed(new StoredAuditEvent(seq, chained));
      } catch (TransactionCanceledException e) {
        List<CancellationReason> reasons =
            e.hasCancellationReasons() ? e.cancellationReasons() : List.of();
        if (reasons.size() != all.size()) {
          headSeq = -1;
          throw new StoreException("DynamoDB transaction cancelled without reasons", e);
        }
        Set<Integer> failed = new TreeSet<>();
        boolean retry = false;
        for (int i = 0; i < reasons.size(); i++) {
          String code = reasons.get(i).code();
          if (code == null || "None".equals(code)) {
            continue;
          }
          if (isConditionFailure(reasons.get(i))) {
            if (i < items.size()) {
              failed.add(i);
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
        // Outcome unknown (timeout after the SDK's own retries): forget the head.
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
        .put(Put.builder()
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
