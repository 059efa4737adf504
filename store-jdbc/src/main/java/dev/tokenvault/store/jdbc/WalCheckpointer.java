package dev.tokenvault.store.jdbc;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies committed pages from SQLite's write-ahead log into the database file on a thread of its
 * own, so that the writer thread does almost none of it.
 *
 * <h2>Background passes</h2>
 *
 * By default SQLite checkpoints inside the {@code COMMIT} that makes the log pass 1,000 pages: that
 * commit writes those pages to the database file and fsyncs it before it returns, and every request
 * waiting on that batch waits with it. Here a {@code PASSIVE} checkpoint runs on this thread
 * instead: it takes no write lock, runs while the writer commits, and copies what no reader still
 * needs. Measured with bench's {@code WriterCost} (tokenize, 64 in flight): the writer wrote 14.6
 * instead of 21.5 KiB and spent 71 instead of 84 us of CPU per operation.
 *
 * <h2>Ending a log cycle</h2>
 *
 * A pass copies the frames that were in the log when it began. Under continuous writes, frames
 * arrive during every pass, so no pass reaches the end of the log; SQLite then skips its fsync of
 * the database file, does not mark the log as fully copied, and never starts the log over. The log
 * would grow to the writer's backstop ({@link SqliteDialect#WRITER_AUTOCHECKPOINT_PAGES}), whose
 * checkpoint runs inside a {@code COMMIT} and fsyncs every page dirtied since the last cycle
 * (53-58 ms measured with strace, every ~2.4 s under load): the write routes' p99. So when a pass
 * leaves the log at or past {@code cycleFrames} frames, this thread ends the cycle itself:
 *
 * <ol>
 *   <li>fsyncs the database file, which flushes nearly all the cycle's pages off the writer's
 *       path (the kernel has coalesced them across the cycle, as before);
 *   <li>runs one more pass, to copy what arrived during that fsync; steps 1 and 2 repeat (at most
 *       {@link #SYNC_ROUNDS} times) while a pass still copies many frames, since each fsync then
 *       covers less;
 *   <li>hands the last pass to the writer ({@link GroupCommitWriter#submitBetweenBatches}), which
 *       runs it between two transactions: no frame arrives during it, so it reaches the end of
 *       the log (unless a reader still needs an older page; the next cycle tries again), fsyncs the
 *       few pages copied since the last fsync, and the writer's next transaction starts the log
 *       over.
 * </ol>
 *
 * <p>Measured with {@code WriterCost} (tokenize, 64 in flight, bench/README.md session 6): p99
 * 71-80 ms before, 24-26 ms after; the writer's pass takes 7-24 ms of its time per cycle, where the
 * backstop's took 53-58 ms.
 * </ol>
 *
 * <h2>Durability</h2>
 *
 * Unchanged: a commit is acknowledged once the log is fsynced (see {@link SqliteDialect}); a
 * checkpoint only moves durable pages. This thread's connection runs {@code synchronous=FULL}, and
 * the writer's {@code NORMAL}: both sync the log before copying and the database file after a
 * checkpoint that reaches the end of the log. The fsync of step 1 adds to those; nothing relies on
 * it but speed.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);

  /** Pause between passes. */
  static final long IDLE_MILLIS = 100;

  /**
   * Log length, in frames (pages), at which this thread ends the cycle: 16 MiB of log at 4 KiB
   * pages, a quarter of the backstop, so the backstop never fires while this thread keeps up.
   * Measured with {@code WriterCost} (bench/README.md, session 6): 4,096 and 8,192 gave the same
   * throughput within the spread and p99s of 24-26 and 27-28 ms; longer cycles let the kernel
   * coalesce more rewrites of the same hot pages (19 against 21 KiB written per tokenize).
   */
  static final int CYCLE_FRAMES = 4_096;

  /** Most fsync-and-pass rounds before the hand-over to the writer. */
  static final int SYNC_ROUNDS = 3;

  /** A pass that copied at most this many frames leaves little for the writer's fsync. */
  static final int FEW_FRAMES = 128;

  /** How long this thread waits for the writer to run the last pass before it moves on. */
  static final long HANDOVER_TIMEOUT_SECONDS = 30;

  private static final String PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)";

  /** What a {@code PRAGMA wal_checkpoint} reported: frames in the log, frames copied. */
  record Pass(int logFrames, int copiedFrames) {
    /** Whether the pass reached the end of the log (or the log was empty). */
    boolean reachedEnd() {
      return copiedFrames >= logFrames;
    }

    static Pass read(ResultSet rs) throws SQLException {
      if (!rs.next()) {
        throw new SQLException("wal_checkpoint returned no row");
      }
      return new Pass(rs.getInt(2), rs.getInt(3));
    }
  }

  /** Runs the last pass of a cycle ({@code pass}) on the writer, between two transactions. */
  @FunctionalInterface
  interface Writer {
    CompletableFuture<Pass> checkpointBetweenBatches(GroupCommitWriter.Op<Pass> pass);
  }

  /**
   * The operation the writer runs for {@link Writer}: a pass on its own connection. No write
   * commits while it runs, so its time is counted as the writer's pause.
   */
  private GroupCommitWriter.Op<Pass> writerPass() {
    return tx -> {
      long started = System.nanoTime();
      try (ResultSet rs = tx.prepare(PASSIVE).executeQuery()) {
        return Pass.read(rs);
      } finally {
        writerPauseNanos.addAndGet(System.nanoTime() - started);
      }
    };
  }

  private final Connection connection;
  private final Path database;
  private final Writer writer;
  private final int cycleFrames;
  private final Thread thread;
  private final AtomicLong checkpoints = new AtomicLong();
  private final AtomicLong cyclesEnded = new AtomicLong();
  private final AtomicLong writerPauseNanos = new AtomicLong();
  private final AtomicLong databaseSyncs = new AtomicLong();
  private final AtomicLong databaseSyncNanos = new AtomicLong();
  private FileChannel databaseChannel;
  private volatile boolean stopped;

  /**
   * @param connection this thread's own connection, configured by {@link
   *     SqliteDialect#configureCheckpointer}
   * @param database the database file, fsynced at the end of a cycle
   * @param writer runs a cycle's last pass on the writer
   * @param cycleFrames log length at which a cycle ends ({@link #CYCLE_FRAMES})
   */
  WalCheckpointer(
      Connection connection, Path database, Writer writer, int cycleFrames, String name) {
    if (cycleFrames < 1) {
      throw new IllegalArgumentException("cycleFrames must be at least 1");
    }
    this.connection = Objects.requireNonNull(connection, "connection");
    this.database = Objects.requireNonNull(database, "database");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.cycleFrames = cycleFrames;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Passes that found frames in the log, so far (for tests). */
  long checkpoints() {
    return checkpoints.get();
  }

  /** Counters since start: for metrics and benchmarks. */
  WalStats stats() {
    return new WalStats(
        cyclesEnded.get(), writerPauseNanos.get(), databaseSyncs.get(), databaseSyncNanos.get());
  }

  private void run() {
    int endedAt = -1;
    while (!stopped) {
      try {
        Pass pass = pass();
        // A pass reports the log as its own snapshot saw it: "all copied" does not mean that no
        // frame arrived since. Only the log's length tells that a cycle is due; once the writer
        // ended a cycle, the length stays put until the next write starts the log over.
        if (pass.logFrames() >= cycleFrames && pass.logFrames() != endedAt) {
          endedAt = endCycle(pass);
        }
      } catch (SQLException e) {
        if (stopped) {
          break;
        }
        LOG.warn("Background WAL checkpoint failed; the writer's own checkpoints take over", e);
      }
      try {
        Thread.sleep(IDLE_MILLIS);
      } catch (InterruptedException e) {
        // close() interrupts; the loop condition ends the thread
      }
    }
  }

  private Pass pass() throws SQLException {
    Pass pass;
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(PASSIVE)) {
      pass = Pass.read(rs);
    }
    if (pass.logFrames() > 0) {
      checkpoints.incrementAndGet();
    }
    return pass;
  }

  /**
   * Steps 1-3 of the class comment; step 1 and 2 repeat while a pass still has many frames to copy
   * (each fsync then covers what arrived during the last one, so the writer's share shrinks).
   *
   * @return the log length at which the writer's pass reached the end of the log, or -1
   */
  private int endCycle(Pass first) throws SQLException {
    Pass pass = first;
    for (int round = 0; round < SYNC_ROUNDS; round++) {
      try {
        syncDatabase();
      } catch (IOException e) {
        // Only speed depends on it: the writer's pass fsyncs the file itself.
        LOG.debug("fsync of {} before the end of a WAL cycle failed", database, e);
        break;
      }
      Pass next = pass();
      boolean few = next.copiedFrames() - pass.copiedFrames() <= FEW_FRAMES;
      pass = next;
      if (few) {
        break;
      }
    }
    Pass last;
    try {
      last =
          writer
              .checkpointBetweenBatches(writerPass())
              .get(HANDOVER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      return -1; // close(): the loop ends
    } catch (TimeoutException e) {
      LOG.debug("The writer has not run the WAL cycle's last checkpoint yet; moving on");
      return -1;
    } catch (ExecutionException e) {
      if (!stopped) {
        LOG.warn("The writer's WAL checkpoint failed; the next cycle tries again", e.getCause());
      }
      return -1;
    }
    if (!last.reachedEnd()) {
      return -1; // a reader still needs an older page: the next pass tries again
    }
    cyclesEnded.incrementAndGet();
    return last.logFrames();
  }

  private void syncDatabase() throws IOException {
    if (databaseChannel == null) {
      databaseChannel = FileChannel.open(database, StandardOpenOption.READ);
    }
    long started = System.nanoTime();
    databaseChannel.force(false);
    databaseSyncNanos.addAndGet(System.nanoTime() - started);
    databaseSyncs.incrementAndGet();
  }

  /** Stops the thread and closes its connection; the writer's last close checkpoints the rest. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("Closing the checkpoint connection failed", e);
    }
    if (databaseChannel != null) {
      try {
        databaseChannel.close();
      } catch (IOException e) {
        LOG.debug("Closing the database file's sync channel failed", e);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
