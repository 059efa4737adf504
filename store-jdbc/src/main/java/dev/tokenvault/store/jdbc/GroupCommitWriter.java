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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes: queued operations, committed in groups.
 *
 * <h2>Group commit</h2>
 *
 * Callers {@link #submit} an {@link Op} and get a future at once. The writer thread runs queued
 * operations in one transaction: {@code BEGIN} (with the write lock), then per operation {@code
 * SAVEPOINT}, the operation, {@code RELEASE}; then one {@code COMMIT}, so one fsync covers the
 * whole batch. Only after the commit returned (and, with a {@link LogSync}, after the sync that
 * follows it) are the futures completed, on the completion executor rather than on this thread, so
 * callers' dependent stages never hold up the writer.
 *
 * <h2>When a batch commits</h2>
 *
 * With a {@link LogSync}, an operation is acknowledged only after a sync that began after its
 * commit, and the sync thread runs one sync at a time. So while a sync is under way, committing
 * early gains nothing: whatever commits now waits for the next sync anyway. The writer therefore
 * keeps its transaction open while a sync is under way, running each operation as it arrives, and
 * commits when the sync thread is idle (it wakes the writer when it becomes so), or when the batch
 * reaches {@link #MAX_BATCH}. Operations arriving during a sync share one commit instead of
 * committing in small groups, and a commit costs the writer nearly as much for one write as for
 * dozens (the pages every batch changes: the ends of the tables and of their append-only indexes):
 * measured with {@code WriterCost} (bench/), 76 µs of writer CPU per tokenize at 6 writes a
 * commit, 43 µs at 27. An operation still rides on the first sync that can begin after it ran; what it
 * waits longer for is the commit itself, which no longer overlaps the sync before it (a fraction
 * of a millisecond). Without a log sync (a server database, whose {@code COMMIT} is durable) the
 * writer commits what it has each time it has run what was queued.
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
 * second one would fork the chain (the adapters enforce it: {@link SqliteStore} locks its file). An
 * engine shared by several processes says so ({@link Dialect#exclusiveWriter()} false), and the
 * head is then read in every batch, under the lock {@link Dialect#begin} takes.
 *
 * <h2>Lost connections</h2>
 *
 * A server database can drop the writer's connection (restart, fail-over, an idle timeout in a
 * firewall). When {@code BEGIN} fails on a connection that is no longer valid, the writer opens a
 * new one from its {@link JdbcStore.ConnectionSource} and begins again (a bounded number of
 * connections, see {@link #RECONNECT_ATTEMPTS}): nothing of the batch ran yet, so the retry is
 * safe, and the batch does not fail for a connection that died while idle. When a batch fails later
 * on a dead connection, the batch fails and the next batch opens a new connection; if the
 * connection died during {@code COMMIT}, the writer first finds out whether the commit happened
 * ({@link #resolveLostCommit}), so that a write is never reported failed when it is stored, nor
 * stored when reported failed. An embedded engine's connection stays valid, so none of this
 * triggers there.
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);

  /**
   * Most operations per transaction: large enough that a burst of concurrent requests shares one
   * fsync, small enough that a transaction's work is a few milliseconds at most. (With a {@link
   * LogSync} a transaction may also stay open, idle, while a sync is under way; SQLite's write lock
   * is this process's alone.)
   */
  static final int MAX_BATCH = 256;

  private static final String SAVEPOINT = "SAVEPOINT tv_op";
  private static final String RELEASE = "RELEASE SAVEPOINT tv_op";
  private static final String ROLLBACK_TO = "ROLLBACK TO SAVEPOINT tv_op";
  private static final String EVENT_EXISTS = "SELECT 1 FROM audit_events WHERE event_id = ?";

  /**
   * Makes committed batches durable, for engines whose {@code COMMIT} returns before the disk has
   * them ({@link Dialect#logSync}). The writer hands each committed batch to a sync thread, which
   * calls {@link #sync} once for every batch queued since its last call, and only then completes
   * their futures: an operation is acknowledged only after a sync that began after its {@code
   * COMMIT} returned. If a sync fails, whether those batches are on disk is unknown (after a
   * failed fsync, Linux may have dropped the dirty pages), so they fail with "outcome unknown" and
   * the store refuses every later write: it must be closed and reopened, which recovers the log.
   */
  interface LogSync extends AutoCloseable {
    void sync() throws java.io.IOException;

    @Override
    void close();
  }

  /** One unit of work inside the writer's transaction. */
  @FunctionalInterface
  interface Op<T> {
    T apply(WriteTx tx) throws SQLException;
  }

  private static final class Pending<T> {
    final Op<T> op;
    final CompletableFuture<T> future;

    /** Runs between two transactions rather than inside one ({@link #submitBetweenBatches}). */
    final boolean betweenBatches;

    T result;
    Throwable failure;

    Pending(Op<T> op, CompletableFuture<T> future, boolean betweenBatches) {
      this.op = op;
      this.future = future;
      this.betweenBatches = betweenBatches;
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

  private static final Pending<Void> POISON = new Pending<>(tx -> null, null, false);

  /** Queued by the sync thread when it has nothing left to sync: the writer may commit. */
  private static final Pending<Void> SYNC_IDLE = new Pending<>(tx -> null, null, false);
  private static final List<Pending<?>> SYNC_POISON = List.of();

  /** The write connection; null after it was found dead, until the next batch opens another. */
  private Connection connection;

  private final JdbcStore.ConnectionSource reconnect;
  private final int reconnectAttempts;
  private final Dialect dialect;
  private final Executor completions;
  private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final Object submitLock = new Object();
  private final Thread thread;
  private final LogSync logSync;
  private final Thread syncThread;
  private final BlockingQueue<List<Pending<?>>> syncQueue = new LinkedBlockingQueue<>();
  private final AtomicLong syncs = new AtomicLong();
  private final AtomicLong syncNanos = new AtomicLong();
  private final AtomicLong slowSyncs = new AtomicLong();

  /** Committed batches handed to the sync thread and not yet completed by it. */
  private final AtomicInteger unsynced = new AtomicInteger();
  private volatile StoreException syncFailure;
  private final WriteTx tx;

  /**
   * The operations run in the open transaction, in order (failed ones included: they are
   * acknowledged with the batch); empty when no transaction is open.
   */
  private final List<Pending<?>> open = new ArrayList<>(MAX_BATCH);

  /** Time the open transaction spent running operations so far (not waiting for them). */
  private long openBusyNanos;
  private final AtomicLong committedBatches = new AtomicLong();
  private final AtomicLong committedOps = new AtomicLong();
  private final AtomicLong commitNanos = new AtomicLong();
  private final AtomicLong slowCommits = new AtomicLong();
  private final AtomicLong batchNanos = new AtomicLong();
  private boolean closed;

  /** The hash of the last committed audit event; null when it must be read again. */
  private String head;

  /**
   * Seconds {@link Connection#isValid} may take to tell a dead connection from a live one after a
   * failure: a live server answers in milliseconds; a dead peer should not hold the writer long.
   */
  static final int VALIDATION_TIMEOUT_SECONDS = 5;

  /**
   * Connections tried for one {@code BEGIN} unless the store says otherwise: a server restart kills
   * every pooled connection at once, and a pool hands out recently used ones without validating
   * them (each failure evicts one); the store passes its pool size plus one, so that a batch gets a
   * fresh connection if the server is back, and fails rather than spins if it is not.
   */
  static final int RECONNECT_ATTEMPTS = 4;

  /**
   * @param connection the write connection, already configured ({@link Dialect#configureWriter})
   * @param reconnect where a new write connection comes from when this one dies
   */
  GroupCommitWriter(
      Connection connection,
      JdbcStore.ConnectionSource reconnect,
      Dialect dialect,
      Executor completions,
      String name) {
    this(connection, reconnect, RECONNECT_ATTEMPTS, dialect, completions, null, name);
  }

  /**
   * @param reconnectAttempts connections tried for one {@code BEGIN} (see {@link
   *     #RECONNECT_ATTEMPTS})
   * @param logSync makes committed batches durable before they are acknowledged, or null when
   *     {@code COMMIT} is durable by itself
   */
  GroupCommitWriter(
      Connection connection,
      JdbcStore.ConnectionSource reconnect,
      int reconnectAttempts,
      Dialect dialect,
      Executor completions,
      LogSync logSync,
      String name) {
    if (reconnectAttempts < 1) {
      throw new IllegalArgumentException("reconnectAttempts must be at least 1");
    }
    this.reconnectAttempts = reconnectAttempts;
    this.connection = Objects.requireNonNull(connection, "connection");
    this.reconnect = Objects.requireNonNull(reconnect, "reconnect");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.completions = Objects.requireNonNull(completions, "completions");
    this.tx = new WriteTx(dialect);
    this.tx.connection = connection;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.logSync = logSync;
    this.syncThread = logSync == null ? null : new Thread(this::syncLoop, name + "-sync");
    if (syncThread != null) {
      syncThread.setDaemon(true);
    }
  }

  void start() {
    thread.start();
    if (syncThread != null) {
      syncThread.start();
    }
  }

  /** Queues {@code op}; never blocks. After {@link #close} the future fails at once. */
  <T> CompletableFuture<T> submit(Op<T> op) {
    return enqueue(op, false);
  }

  /**
   * Queues {@code op} to run on the writer's thread and connection <em>between</em> two
   * transactions, with none open: every operation queued before it has committed, none queued
   * after it has begun. For maintenance that must not interleave with commits (SQLite's final
   * checkpoint of a log cycle, see {@link WalCheckpointer}); it must not write rows, since nothing
   * makes its changes durable or audits them. Its future completes when it has run, without
   * waiting for a log sync. Never blocks.
   */
  <T> CompletableFuture<T> submitBetweenBatches(Op<T> op) {
    return enqueue(op, true);
  }

  private <T> CompletableFuture<T> enqueue(Op<T> op, boolean betweenBatches) {
    Objects.requireNonNull(op, "op");
    CompletableFuture<T> future = new CompletableFuture<>();
    synchronized (submitLock) {
      if (closed) {
        future.completeExceptionally(new StoreException("store is closed", null));
      } else if (syncFailure != null) {
        future.completeExceptionally(syncFailure);
      } else {
        queue.add(new Pending<>(op, future, betweenBatches));
      }
    }
    return future;
  }

  /** Transactions committed so far (for tests of batching). */
  long committedBatches() {
    return committedBatches.get();
  }

  /** Counters since start: for metrics and benchmarks. */
  WriterStats stats() {
    return new WriterStats(
        committedBatches.get(),
        committedOps.get(),
        batchNanos.get(),
        commitNanos.get(),
        slowCommits.get(),
        syncs.get(),
        syncNanos.get(),
        slowSyncs.get());
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
    for (Thread t : syncThread == null ? List.of(thread) : List.of(thread, syncThread)) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The sync thread: takes every committed batch queued so far, makes them durable with one
   * {@link LogSync#sync}, then completes them. Stops after the writer's last batch.
   */
  private void syncLoop() {
    List<List<Pending<?>>> taken = new ArrayList<>();
    boolean stop = false;
    try {
      while (!stop) {
        try {
          taken.add(syncQueue.take());
        } catch (InterruptedException e) {
          continue; // only the writer's poison ends this thread: acknowledgements are never lost
        }
        syncQueue.drainTo(taken);
        stop = taken.remove(SYNC_POISON);
        if (taken.isEmpty()) {
          continue;
        }
        if (syncFailure == null) {
          try {
            long started = System.nanoTime();
            logSync.sync();
            long took = System.nanoTime() - started;
            syncNanos.addAndGet(took);
            if (took > WriterStats.SLOW_NANOS) {
              slowSyncs.incrementAndGet();
            }
            syncs.incrementAndGet();
          } catch (java.io.IOException | RuntimeException e) {
            syncFailure =
                new StoreException(
                    "write outcome unknown: the store could not make its log durable ("
                        + logSync
                        + "); it refuses further writes until it is reopened",
                    e);
            LOG.error("Store log sync failed; refusing further writes", e);
          }
        }
        for (List<Pending<?>> batch : taken) {
          if (syncFailure != null) {
            failAll(batch, syncFailure);
          }
          completeAll(batch);
        }
        if (unsynced.addAndGet(-taken.size()) == 0) {
          queue.add(SYNC_IDLE); // a transaction the writer holds open may commit now
        }
        taken.clear();
      }
    } finally {
      logSync.close();
    }
  }

  /** Completes {@code batch} now, or after the log sync that makes it durable. */
  private void acknowledge(List<Pending<?>> batch) {
    if (logSync == null) {
      completeAll(batch);
    } else {
      unsynced.incrementAndGet();
      syncQueue.add(new ArrayList<>(batch));
    }
  }

  /** True when a commit now would not wait behind a sync already under way. */
  private boolean syncIdle() {
    return logSync == null || unsynced.get() == 0;
  }

  private void run() {
    List<Pending<?>> taken = new ArrayList<>(MAX_BATCH);
    boolean stop = false;
    try {
      while (!stop) {
        if (!open.isEmpty() && syncIdle()) {
          commitOpen();
        }
        try {
          taken.add(queue.take());
        } catch (InterruptedException e) {
          // Only close() ends this thread, by the poison pill, so queued writes are never dropped.
          continue;
        }
        queue.drainTo(taken, MAX_BATCH - 1);
        for (Pending<?> p : taken) {
          if (p == SYNC_IDLE) {
            continue;
          }
          if (p == POISON) {
            stop = true; // nothing is queued after it: close() refuses submissions first
            break;
          }
          if (p.betweenBatches) {
            commitOpen();
            runBetweenBatches(p);
            continue;
          }
          runInOpenTransaction(p);
          if (open.size() >= MAX_BATCH) {
            commitOpen();
          }
        }
        taken.clear();
      }
      commitOpen();
    } finally {
      dropConnection();
      if (logSync != null) {
        syncQueue.add(SYNC_POISON);
      }
    }
  }

  /**
   * Runs {@code p} in the open transaction, beginning one if none is open. An operation that fails
   * for its own reasons (a {@link StoreException} it throws, a constraint violation, a bug) is
   * rolled back to its savepoint and fails alone; any other database error may have ended the
   * transaction, so it is rolled back and every operation in it fails.
   */
  private void runInOpenTransaction(Pending<?> p) {
    long started = System.nanoTime();
    try {
      if (open.isEmpty()) {
        try {
          begin();
          if (head == null || !dialect.exclusiveWriter()) {
            head = readHead();
          }
        } catch (SQLException e) {
          List<Pending<?>> alone = List.of(p);
          abort(alone, e);
          acknowledge(alone);
          return;
        }
        tx.head = head;
        tx.lastEventId = null;
        openBusyNanos = 0;
      }
      open.add(p);
      String headBefore = tx.head;
      String eventBefore = tx.lastEventId;
      try {
        tx.execute(SAVEPOINT);
        try {
          p.run(tx);
          tx.execute(RELEASE);
        } catch (SQLException e) {
          if (!dialect.isConstraintViolation(e)) {
            throw e;
          }
          undo(headBefore, eventBefore);
          p.failure = new StoreException("write refused by a database constraint", e);
        } catch (StoreException e) {
          undo(headBefore, eventBefore);
          p.failure = e;
        } catch (RuntimeException e) {
          undo(headBefore, eventBefore);
          p.failure = new StoreException("write failed", e);
        }
      } catch (SQLException e) {
        abort(open, e);
        acknowledgeOpen();
        return;
      }
    } catch (RuntimeException | Error e) {
      LOG.error("Store writer failed a batch unexpectedly", e);
      rollbackQuietly();
      if (!open.contains(p)) {
        open.add(p);
      }
      failAll(open, new StoreException("write failed, nothing of it was stored", e));
      acknowledgeOpen();
      return;
    }
    openBusyNanos += System.nanoTime() - started;
  }

  /** Commits the open transaction, if there is one, and acknowledges its operations. */
  private void commitOpen() {
    if (open.isEmpty()) {
      return;
    }
    long committing = System.nanoTime();
    try {
      dialect.commit(connection);
      long done = System.nanoTime();
      head = tx.head;
      committedBatches.incrementAndGet();
      committedOps.addAndGet(open.size());
      commitNanos.addAndGet(done - committing);
      if (done - committing > WriterStats.SLOW_NANOS) {
        slowCommits.incrementAndGet();
      }
      batchNanos.addAndGet(openBusyNanos + (done - committing));
    } catch (SQLException e) {
      if (connectionAlive()) {
        // The server answered: it rolled the transaction back.
        abort(open, e);
      } else {
        resolveLostCommit(open, e, tx.lastEventId);
      }
    } catch (RuntimeException | Error e) {
      LOG.error("Store writer failed a batch unexpectedly", e);
      rollbackQuietly();
      failAll(open, new StoreException("write failed, nothing of it was stored", e));
    }
    acknowledgeOpen();
  }

  private void acknowledgeOpen() {
    acknowledge(open);
    open.clear();
  }

  /** Runs {@code p} with no transaction open, and completes it at once. */
  private void runBetweenBatches(Pending<?> p) {
    if (connection == null) {
      p.failure = new StoreException("the store has no write connection open", null);
    } else {
      try {
        p.run(tx);
      } catch (SQLException | RuntimeException e) {
        p.failure = new StoreException("maintenance on the write connection failed", e);
      }
    }
    completeAll(List.of(p));
  }

  /** Closes the write connection (if any) and its statements. */
  private void dropConnection() {
    tx.closeStatements();
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.warn("Closing the store's write connection failed", e);
      }
    }
    connection = null;
    tx.connection = null;
  }

  /** Configures {@code c} as the write connection; closes it if that fails. */
  private void adopt(Connection c) throws SQLException {
    try {
      dialect.configureWriter(c);
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    connection = c;
    tx.connection = c;
    head = null;
    LOG.info("Store writer opened a new database connection");
  }

  private boolean connectionAlive() {
    try {
      return connection != null && connection.isValid(VALIDATION_TIMEOUT_SECONDS);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Begins the batch's transaction. A connection that died while idle is replaced and the begin
   * tried again (nothing has run yet, so that is safe), up to {@code reconnectAttempts}
   * connections. When the source has no connection to give at all (the server is down), the batch
   * fails at once: trying again could only make the queued writes wait longer.
   */
  private void begin() throws SQLException {
    for (int attempt = 1; ; attempt++) {
      if (connection == null) {
        Connection fresh = reconnect.open(); // none to be had: fail now
        try {
          adopt(fresh);
        } catch (SQLException e) {
          if (attempt >= reconnectAttempts) {
            throw e;
          }
          LOG.warn("New store write connection was dead already; trying another", e);
          continue;
        }
      }
      try {
        dialect.begin(connection);
        return;
      } catch (SQLException e) {
        if (attempt >= reconnectAttempts || connectionAlive()) {
          throw e;
        }
        LOG.warn("Store write connection lost; reconnecting", e);
        dropConnection();
      }
    }
  }

  private void undo(String headBefore, String eventBefore) throws SQLException {
    tx.execute(ROLLBACK_TO);
    tx.execute(RELEASE);
    tx.head = headBefore;
    tx.lastEventId = eventBefore;
  }

  /**
   * The connection died during {@code COMMIT}: the transaction may have committed or not. Every
   * operation that changes a row appends its audit event in the same savepoint, so the batch's last
   * event tells: on a new connection, once the write lock is ours (the lost transaction held it
   * until it ended, so its outcome is final by then), look the event up. Committed: the operations
   * succeeded after all. Absent: nothing was stored. Unknown (the database is still unreachable):
   * the futures fail saying so, since "nothing stored" might be untrue.
   */
  private void resolveLostCommit(List<Pending<?>> batch, SQLException cause, String lastEventId) {
    head = null;
    dropConnection();
    if (lastEventId == null) {
      LOG.warn("Store write connection lost during a commit that wrote nothing", cause);
      failAll(batch, new StoreException("write failed, nothing of it was stored", cause));
      return;
    }
    boolean committed;
    try {
      begin(); // a new connection (dead ones skipped) and the write lock
      try {
        try (PreparedStatement ps = connection.prepareStatement(EVENT_EXISTS)) {
          ps.setString(1, lastEventId);
          try (ResultSet rs = ps.executeQuery()) {
            committed = rs.next();
          }
        }
      } finally {
        dialect.rollback(connection);
      }
    } catch (SQLException e) {
      cause.addSuppressed(e);
      LOG.error("Store write connection lost during commit; the outcome is unknown", cause);
      rollbackQuietly();
      failAll(
          batch,
          new StoreException(
              "write outcome unknown: the database connection was lost during commit", cause));
      return;
    }
    if (committed) {
      LOG.warn("Store write connection lost during commit; the batch had committed", cause);
      committedBatches.incrementAndGet();
    } else {
      LOG.warn("Store write connection lost during commit; the batch was rolled back", cause);
      failAll(batch, new StoreException("write failed, nothing of it was stored", cause));
    }
  }

  /** Rolls the whole transaction back and fails every operation that has not failed already. */
  private void abort(List<Pending<?>> batch, SQLException cause) {
    LOG.warn("Store write batch of {} operation(s) rolled back", batch.size(), cause);
    rollbackQuietly();
    failAll(batch, new StoreException("write failed, nothing of it was stored", cause));
  }

  /**
   * Ends whatever transaction is open and forgets the chain head (it is read again). A connection
   * that is no longer valid is dropped; the next batch opens another.
   */
  private void rollbackQuietly() {
    head = null;
    if (connection == null) {
      return;
    }
    try {
      dialect.rollback(connection);
    } catch (SQLException e) {
      LOG.debug("Rollback after a failed batch failed too (no transaction was open?)", e);
    }
    if (!connectionAlive()) {
      LOG.warn("Store write connection is no longer valid; the next batch opens another");
      dropConnection();
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
    private final Dialect dialect;

    /** The dialect's audit insert ({@link Dialect#auditEventsByTokenRef}). */
    private final String insertAuditEvent;

    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private Connection connection;
    private String head;

    /** The id of the last audit event this batch wrote, or null. */
    private String lastEventId;

    private WriteTx(Dialect dialect) {
      this.dialect = dialect;
      this.insertAuditEvent =
          dialect.auditEventsByTokenRef()
              ? Rows.INSERT_AUDIT_EVENT_WITH_TOKEN_REF
              : Rows.INSERT_AUDIT_EVENT;
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
      PreparedStatement ps = prepare(insertAuditEvent);
      Rows.bindAuditEvent(ps, chained, dialect);
      ps.executeUpdate();
      head = chained.hash();
      lastEventId = chained.eventId();
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
