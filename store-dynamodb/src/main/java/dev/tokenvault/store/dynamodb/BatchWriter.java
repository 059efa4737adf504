package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.store.StoreException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The store's one writer thread, with group commit: audited writes that queue up while a
 * transaction is in flight go together into the next one, their events chained in order, with one
 * update of the audit chain head for all of them.
 *
 * <h2>How a batch is written</h2>
 *
 * Each queued operation is first <em>prepared</em> (the operations of a round in parallel, on the
 * store's read pool): it reads what it needs (strongly consistent) and answers either at once
 * ({@link Done}: the key exists, the token is unknown) or with the items to write under their
 * conditions ({@link Write}). Writes join the batch unless they touch an item another write of the
 * batch touches (DynamoDB refuses two operations on one item in a transaction) or the batch would
 * pass {@link #MAX_ITEMS}; those wait for the next round, prepared again against the then-current
 * state. When the transaction is cancelled because some writes' own conditions failed, those writes
 * learn it ({@link Write#rejected}: retry or fail) and the others, not written either, go into the
 * next round. A batch that DynamoDB refuses outright (validation, throttling) is split, each write
 * retried alone, so that one bad write does not fail its neighbours.
 *
 * <h2>Why</h2>
 *
 * Every audited write updates the chain head, so writes are serialized; a batch of k writes costs
 * one round trip instead of k. Under load the batches grow by themselves; alone, a write goes out
 * at once, batch of one.
 */
final class BatchWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  /**
   * DynamoDB's limit of items in one transaction. A write has one to four items with its event (an
   * append: the event; a deterministic replacement: fingerprint, old token, new token, event), plus
   * one head per transaction, so a full batch holds about 24 to 99 writes.
   */
  static final int MAX_ITEMS = 100;

  /** Operations taken from the queue per batch; more than {@link #MAX_ITEMS} can hold anyway. */
  private static final int MAX_OPS = 64;

  /**
   * Times one operation may be rejected and prepared again (it lost a race on its own items to
   * another node or another write of a batch). One retry almost always settles.
   */
  static final int MAX_REJECTIONS = 32;

  /** How long {@link #close()} waits for queued writes. */
  private static final long CLOSE_WAIT_SECONDS = 30;

  /** What a prepared operation asks for. */
  sealed interface Step<T> permits Done, Write {}

  /** No write needed: the answer is known from the reads. */
  record Done<T>(T value) implements Step<T> {}

  /**
   * Write {@code items} with {@code event}. On commit, the answer is {@code committed} applied to
   * the stored event; when some of {@code items} failed their conditions, {@code rejected} gets
   * their indexes and returns normally to have the operation prepared again, or throws its answer
   * (a duplicate, say).
   */
  record Write<T>(
      List<TransactWriteItem> items,
      AuditEvent event,
      Function<StoredAuditEvent, T> committed,
      java.util.function.Consumer<Set<Integer>> rejected)
      implements Step<T> {}

  /** An audited operation: reads, then says what to write. Runs on the writer thread. */
  @FunctionalInterface
  interface Op<T> {
    Step<T> prepare();
  }

  private static final class Pending<T> {
    final String operation;
    final Op<T> op;
    final CompletableFuture<T> result = new CompletableFuture<>();
    int rejections;
    Write<T> write;

    Pending(String operation, Op<T> op) {
      this.operation = operation;
      this.op = op;
    }

    void fail(RuntimeException e) {
      result.completeExceptionally(DynamoDbStore.translate(operation, e));
    }
  }

  /** Marks the end of the queue. */
  private static final Pending<Void> STOP = new Pending<>("stop", () -> new Done<>(null));

  private final AuditChain chain;
  private final Map<String, List<String>> keyNames;
  private final Executor readers;
  private final LinkedBlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final Thread thread;

  /** Guards {@link #closed} with the queue's end, so nothing is queued after {@link #STOP}. */
  private final Object lock = new Object();

  private boolean closed;

  /**
   * @param keyNames each table's key attribute names, to tell when two writes touch one item
   * @param readers where the operations of a round are prepared, in parallel (their reads)
   */
  BatchWriter(
      AuditChain chain, Map<String, List<String>> keyNames, Executor readers, String threadName) {
    this.chain = chain;
    this.keyNames = Map.copyOf(keyNames);
    this.readers = readers;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  <T> CompletableFuture<T> submit(String operation, Op<T> op) {
    Pending<T> p = new Pending<>(operation, op);
    synchronized (lock) {
      if (closed) {
        p.result.completeExceptionally(new StoreException("DynamoDB store is closed", null));
      } else {
        queue.add(p);
      }
    }
    return p.result;
  }

  private void run() {
    try {
      while (true) {
        List<Pending<?>> batch = new ArrayList<>();
        batch.add(queue.take());
        queue.drainTo(batch, MAX_OPS - 1);
        boolean stop = batch.remove(STOP);
        if (!batch.isEmpty()) {
          write(batch);
        }
        if (stop) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("DynamoDB writer thread died", e);
    } finally {
      List<Pending<?>> left = new ArrayList<>();
      synchronized (lock) {
        closed = true;
        queue.drainTo(left);
      }
      left.stream()
          .filter(p -> p != STOP)
          .forEach(
              p ->
                  p.result.completeExceptionally(
                      new StoreException("DynamoDB store is closed", null)));
    }
  }

  /** Writes one batch, round after round, until every operation has its answer. */
  private void write(List<Pending<?>> batch) {
    List<Pending<?>> round = batch;
    while (!round.isEmpty()) {
      List<Pending<?>> next = new ArrayList<>();
      List<Pending<?>> included = new ArrayList<>();
      Set<String> touched = new HashSet<>();
      int items = 1; // the head
      // Prepare the whole round at once: their reads overlap instead of queueing one by one.
      List<CompletableFuture<Boolean>> prepared = new ArrayList<>(round.size());
      for (Pending<?> p : round) {
        CompletableFuture<Boolean> preparation;
        try {
          preparation = CompletableFuture.supplyAsync(() -> prepare(p), readers);
        } catch (RejectedExecutionException e) {
          preparation = CompletableFuture.failedFuture(e);
        }
        prepared.add(preparation);
      }
      for (int r = 0; r < round.size(); r++) {
        Pending<?> p = round.get(r);
        if (!prepared(prepared.get(r), p)) {
          continue;
        }
        List<String> keys = p.write.items().stream().map(this::itemKey).toList();
        boolean clash = keys.stream().anyMatch(touched::contains);
        if (!included.isEmpty() && (clash || items + p.write.items().size() + 1 > MAX_ITEMS)) {
          next.add(p);
          continue;
        }
        included.add(p);
        touched.addAll(keys);
        items += p.write.items().size() + 1;
      }
      if (!included.isEmpty()) {
        next.addAll(commit(included));
      }
      round = next;
    }
  }

  /** Waits for a preparation; false (and {@code p} failed) when it could not run. */
  private static boolean prepared(CompletableFuture<Boolean> preparation, Pending<?> p) {
    try {
      return preparation.join();
    } catch (CompletionException | CancellationException e) {
      p.fail(new StoreException("DynamoDB store is closing", e));
      return false;
    }
  }

  /** Prepares {@code p}; true when it has a write to make, false when it is answered. */
  private static <T> boolean prepare(Pending<T> p) {
    try {
      Step<T> step = p.op.prepare();
      if (step instanceof Done<T> done) {
        p.result.complete(done.value());
        return false;
      }
      p.write = (Write<T>) step;
      return true;
    } catch (RuntimeException e) {
      p.fail(e);
      return false;
    }
  }

  /** Commits the writes of {@code included}; returns the operations that need another round. */
  private List<Pending<?>> commit(List<Pending<?>> included) {
    List<AuditChain.Write> writes =
        included.stream().map(p -> new AuditChain.Write(p.write.items(), p.write.event())).toList();
    AuditChain.Result result;
    try {
      result = chain.commit(writes);
    } catch (RuntimeException e) {
      if (included.size() > 1 && refusedOutright(e)) {
        // Nothing was written: find the write DynamoDB refused by trying each alone.
        List<Pending<?>> again = new ArrayList<>();
        for (Pending<?> p : included) {
          again.addAll(commit(List.of(p)));
        }
        return again;
      }
      included.forEach(p -> p.fail(e));
      return List.of();
    }
    List<Pending<?>> again = new ArrayList<>();
    if (result instanceof AuditChain.Committed committed) {
      for (int i = 0; i < included.size(); i++) {
        complete(included.get(i), committed.events().get(i));
      }
      return again;
    }
    Map<Integer, Set<Integer>> failed = ((AuditChain.Rejected) result).failed();
    for (int i = 0; i < included.size(); i++) {
      Pending<?> p = included.get(i);
      Set<Integer> mine = failed.get(i);
      if (mine == null) {
        again.add(p); // not written because a neighbour was rejected
        continue;
      }
      try {
        p.write.rejected().accept(mine);
        if (++p.rejections >= MAX_REJECTIONS) {
          p.fail(
              new StoreException(
                  "DynamoDB " + p.operation + " lost " + MAX_REJECTIONS + " races in a row", null));
        } else {
          again.add(p);
        }
      } catch (RuntimeException e) {
        p.fail(e);
      }
    }
    return again;
  }

  private static <T> void complete(Pending<T> p, StoredAuditEvent event) {
    try {
      p.result.complete(p.write.committed().apply(event));
    } catch (RuntimeException e) {
      p.fail(e);
    }
  }

  /** DynamoDB said no to the whole request: nothing was written, the outcome is known. */
  private static boolean refusedOutright(RuntimeException e) {
    return e instanceof AwsServiceException || e.getCause() instanceof AwsServiceException;
  }

  /** Table and key of the item a transaction item touches. */
  private String itemKey(TransactWriteItem item) {
    String table;
    Map<String, AttributeValue> key;
    if (item.put() != null) {
      table = item.put().tableName();
      key = new TreeMap<>();
      for (String name : keyNames.get(table)) {
        key.put(name, item.put().item().get(name));
      }
    } else if (item.delete() != null) {
      table = item.delete().tableName();
      key = new TreeMap<>(item.delete().key());
    } else if (item.conditionCheck() != null) {
      table = item.conditionCheck().tableName();
      key = new TreeMap<>(item.conditionCheck().key());
    } else {
      table = item.update().tableName();
      key = new TreeMap<>(item.update().key());
    }
    StringBuilder s = new StringBuilder(table);
    key.forEach(
        (k, v) -> s.append('\u0000').append(k).append('=').append(v.s() != null ? v.s() : v.n()));
    return s.toString();
  }

  /** Writes what is queued, then stops the thread. */
  @Override
  public void close() {
    synchronized (lock) {
      if (!closed) {
        closed = true;
        queue.add(STOP);
      }
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(CLOSE_WAIT_SECONDS));
      if (thread.isAlive()) {
        LOG.warn("DynamoDB store closed with writes still in flight");
        thread.interrupt();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
