package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes: queued operations, committed in groups.
 *
 * <h2>Group commit</h2>
 *
 * Callers {@link #submit} an {@link Op} and get a future at once. The writer thread takes what is
 * queued (at most {@link #MAX_BATCH}) and runs it as one transaction: {@code BEGIN} (with the write
 * lock), then per operation {@code SAVEPOINT}, the operation, {@code RELEASE}; then one {@code
 * COMMIT}, so one fsync covers the whole batch. Only after the commit returned are the futures
 * completed, on the completion executor rather than on this thread, so callers' dependent stages
 * never hold up the writer.
 *
 * <h2>Failure isolation</h2>
 *
 * <ul>
 *   <li>An operation that fails for its own reasons (a {@link StoreException} it throws, such as a
 *       duplicate token, a constraint violation, a bug) is rolled back to its savepoint and fails
 *       alone; the rest of the batch commits.
 *   <li>Any other database error (I/O, disk full, lost lock) may have ended the transaction, so the
 *       whole batch is rolled back and every operation in it fails. So does a failed {@code
 *       COMMIT}. Nothing of a failed batch is durable, so a caller may retry.
 * </ul>
 *
 * <h2>Audit chain</h2>
 *
 * Operations append their audit events through {@link WriteTx#audit}, which links each event to the
 * previous one. The head of the chain (the last committed hash) is read once, inside the first
 * transaction, and then kept in memory: a savepoint rolled back restores the head it started with,
 * a committed batch advances it, a failed batch forgets it (it is read again under the lock by the
 * next batch). Because the head lives in this process, a database must have one writer only; a
 * second one would fork the chain (the adapters enforce it: {@link SqliteStore} locks its file).
 * An engine shared by several processes says so ({@link Dialect#exclusiveWriter()} false), and
 * the head is then read in every batch, under the lock {@link Dialect#begin} takes.
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);

  /**
   * Most operations per transaction: large enough that a burst of concurrent requests shares one
   * fsync, small enough that one transaction holds the write lock for a few milliseconds at most.
   */
  static final int MAX_BATCH = 256;

  private static final String SAVEPOINT = "SAVEPOINT tv_op";
  private static final String RELEASE = "RELEASE SAVEPOINT tv_op";
  private static final String ROLLBACK_TO = "ROLLBACK TO SAVEPOINT tv_op";

  /** One unit of work inside the writer's transaction. */
  @FunctionalInterface
  interface Op<T> {
    T apply(WriteTx tx) throws SQLException;
  }

  private static final class Pending<T> {
    final Op<T> op;
    final CompletableFuture<T> future;
    T result;
    Throwable failure;

    Pending(Op<T> op, CompletableFuture<T> future) {
      this.op = op;
      this.future = future;
    }

    void run(WriteTx tx) throws SQLException {
      result = op.apply(tx);
    }

    void complete() {
      if (failure == null) {
        future.complete(result);
      } else {
        future.completeExceptionally(failure);
      }
    }
  }

  private static final Pending<Void> POISON = new Pending<>(tx -> null, null);

  private final Connection connection;
  private final Dialect dialect;
  private final Executor completions;
  private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final Object submitLock = new Object();
  private final Thread thread;
  private final WriteTx tx;
  private final AtomicLong committedBatches = new AtomicLong();
  private boolean closed;

  /** The hash of the last committed audit event; null when it must be read again. */
  private String head;

  GroupCommitWriter(Connection connection, Dialect dialect, Executor completions, String name) {
    this.connection = Objects.requireNonNull(connection, "connection");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.completions = Objects.requireNonNull(completions, "completions");
    this.tx = new WriteTx(connection, dialect);
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Queues {@code op}; never blocks. After {@link #close} the future fails at once. */
  <T> CompletableFuture<T> submit(Op<T> op) {
    Objects.requireNonNull(op, "op");
    CompletableFuture<T> future = new CompletableFuture<>();
    synchronized (submitLock) {
      if (closed) {
        future.completeExceptionally(new StoreException("store is closed", null));
      } else {
        queue.add(new Pending<>(op, future));
      }
    }
    return future;
  }

  /** Transactions committed so far (for tests of batching). */
  long committedBatches() {
    return committedBatches.get();
  }

  /**
   * Refuses new operations, lets the writer finish everything queued before, then closes the
   * connection. Blocks until then.
   */
  @Override
  public void close() {
    synchronized (submitLock) {
      if (!closed) {
        closed = true;
        queue.add(POISON);
      }
    }
    if (Thread.currentThread() == thread) {
      return;
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
    boolean stop = false;
    try {
      while (!stop) {
        try {
          batch.add(queue.take());
        } catch (InterruptedException e) {
          // Only close() ends this thread, by the poison pill, so queued writes are never dropped.
          continue;
        }
        queue.drainTo(batch, MAX_BATCH - 1);
        if (batch.get(batch.size() - 1) == POISON) {
          batch.remove(batch.size() - 1);
          stop = true;
        }
        if (!batch.isEmpty()) {
          try {
            runBatch(batch);
          } catch (RuntimeException | Error e) {
            LOG.error("Store writer failed a batch unexpectedly", e);
            rollbackQuietly();
            failAll(batch, new StoreException("write failed, nothing of it was stored", e));
          }
          completeAll(batch);
        }
        batch.clear();
      }
    } finally {
      tx.closeStatements();
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.warn("Closing the store's write connection failed", e);
      }
    }
  }

  private void runBatch(List<Pending<?>> batch) {
    try {
      dialect.begin(connection);
      if (head == null || !dialect.exclusiveWriter()) {
        head = readHead();
      }
    } catch (SQLException e) {
      abort(batch, e);
      return;
    }
    tx.head = head;
    for (Pending<?> p : batch) {
      String headBefore = tx.head;
      try {
        tx.execute(SAVEPOINT);
        try {
          p.run(tx);
          tx.execute(RELEASE);
        } catch (SQLException e) {
          if (!dialect.isConstraintViolation(e)) {
            throw e;
          }
          undo(headBefore);
          p.failure = new StoreException("write refused by a database constraint", e);
        } catch (StoreException e) {
          undo(headBefore);
          p.failure = e;
        } catch (RuntimeException e) {
          undo(headBefore);
          p.failure = new StoreException("write failed", e);
        }
      } catch (SQLException e) {
        abort(batch, e);
        return;
      }
    }
    try {
      dialect.commit(connection);
    } catch (SQLException e) {
      abort(batch, e);
      return;
    }
    head = tx.head;
    committedBatches.incrementAndGet();
  }

  private void undo(String headBefore) throws SQLException {
    tx.execute(ROLLBACK_TO);
    tx.execute(RELEASE);
    tx.head = headBefore;
  }

  /** Rolls the whole transaction back and fails every operation that has not failed already. */
  private void abort(List<Pending<?>> batch, SQLException cause) {
    LOG.warn("Store write batch of {} operation(s) rolled back", batch.size(), cause);
    rollbackQuietly();
    failAll(batch, new StoreException("write failed, nothing of it was stored", cause));
  }

  /** Ends whatever transaction is open and forgets the chain head (it is read again). */
  private void rollbackQuietly() {
    head = null;
    try {
      dialect.rollback(connection);
    } catch (SQLException e) {
      LOG.debug("Rollback after a failed batch failed too (no transaction was open?)", e);
    }
  }

  private static void failAll(List<Pending<?>> batch, StoreException failure) {
    for (Pending<?> p : batch) {
      if (p.failure == null) {
        p.failure = failure;
      }
      p.result = null;
    }
  }

  private void completeAll(List<Pending<?>> batch) {
    for (Pending<?> p : batch) {
      try {
        completions.execute(p::complete);
      } catch (RejectedExecutionException e) {
        p.complete();
      }
    }
  }

  private String readHead() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")) {
      return rs.next() ? rs.getString(1) : AuditEvent.GENESIS;
    }
  }

  /** What an {@link Op} sees: the write connection inside the batch's transaction. */
  static final class WriteTx {
    private final Connection connection;
    private final Dialect dialect;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private String head;

    private WriteTx(Connection connection, Dialect dialect) {
      this.connection = connection;
      this.dialect = dialect;
    }

    Dialect dialect() {
      return dialect;
    }

    /** A prepared statement for {@code sql}, cached for the life of the connection. */
    PreparedStatement prepare(String sql) throws SQLException {
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = connection.prepareStatement(sql);
        statements.put(sql, ps);
      }
      return ps;
    }

    /** Writes {@code event} chained after the current head, and makes it the head. */
    void audit(AuditEvent event) throws SQLException {
      AuditEvent chained = event.chain(head);
      PreparedStatement ps = prepare(Rows.INSERT_AUDIT_EVENT);
      Rows.bindAuditEvent(ps, chained, dialect);
      ps.executeUpdate();
      head = chained.hash();
    }

    private void execute(String sql) throws SQLException {
      prepare(sql).execute();
    }

    private void closeStatements() {
      for (PreparedStatement ps : statements.values()) {
        try {
          ps.close();
        } catch (SQLException e) {
          LOG.debug("Closing a statement failed", e);
        }
      }
      statements.clear();
    }
  }
}
