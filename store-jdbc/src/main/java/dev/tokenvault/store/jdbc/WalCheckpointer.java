package dev.tokenvault.store.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies committed pages from SQLite's write-ahead log into the database file on a thread of its
 * own, so that the writer thread never does it.
 *
 * <p>By default SQLite checkpoints inside the {@code COMMIT} that makes the log pass 1,000 pages:
 * that commit writes those pages to the database file and fsyncs it before it returns, and every
 * request waiting on that batch waits with it. Measured with bench's {@code WriterCost} (tokenize,
 * 64 in flight): with checkpoints moved here, the writer wrote 14.6 instead of 21.5 KiB and spent
 * 71 instead of 84 us of CPU per operation. A {@code PASSIVE} checkpoint takes no write lock: it
 * runs while the writer commits, and copies what no reader still needs.
 *
 * <p>Durability is unchanged: a commit is durable once the log is fsynced ({@code
 * synchronous=FULL}); the checkpoint only moves durable pages. The writer keeps a high automatic
 * checkpoint threshold as a backstop ({@link SqliteDialect#WRITER_AUTOCHECKPOINT_PAGES}), so the log
 * stays bounded even if this thread falls behind.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);

  /** Pause between checkpoints while the log is empty or fully copied. */
  static final long IDLE_MILLIS = 100;

  private final Connection connection;
  private final Thread thread;
  private final AtomicLong checkpoints = new AtomicLong();
  private volatile boolean stopped;

  WalCheckpointer(Connection connection, String name) {
    this.connection = connection;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Checkpoints run so far (for tests). */
  long checkpoints() {
    return checkpoints.get();
  }

  private void run() {
    while (!stopped) {
      boolean behind = false;
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        if (rs.next()) {
          int logFrames = rs.getInt(2);
          int copied = rs.getInt(3);
          behind = logFrames > 0 && copied < logFrames;
          if (logFrames > 0) {
            checkpoints.incrementAndGet();
          }
        }
      } catch (SQLException e) {
        if (stopped) {
          break;
        }
        LOG.warn("Background WAL checkpoint failed; the writer's own checkpoints take over", e);
      }
      if (!behind) {
        try {
          Thread.sleep(IDLE_MILLIS);
        } catch (InterruptedException e) {
          // close() interrupts; the loop condition ends the thread
        }
      }
    }
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
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
