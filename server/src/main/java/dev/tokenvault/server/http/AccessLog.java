package dev.tokenvault.server.http;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;
import org.jboss.logmanager.handlers.WriterHandler;

/**
 * The access log ({@code tokenvault.access}): one line per request, written off the event loop and
 * flushed in batches.
 *
 * <p>A line is a record like any other: the configured handlers format it (with the time, thread,
 * {@code requestId} and {@code clientId} of the moment the request ended, which it carries) and the
 * redaction filter runs on it. What changes is when it is written: the event loop only queues the
 * line's fields, and a background thread publishes what was queued every {@code flushInterval},
 * with the log's stream handlers told not to flush after each record, then flushed once. Writing
 * each line with its own {@code write} and flush was about half of the access log's cost, and the
 * access log 13-17% of the event loops' CPU (bench/README.md, session 8). Servers built for load
 * buffer their access logs the same way (nginx's {@code access_log ... buffer= flush=}, Envoy's
 * file flush interval).
 *
 * <p>What that trades: an access line reaches the log up to {@code flushInterval} late, and a
 * process killed outright loses the lines of its last interval (a normal shutdown writes them all;
 * the audit trail, which is the record of every access to a value, is in the store and not
 * affected). Other records are unaffected, except that one written while a batch is being
 * published is flushed with that batch's flush, a few milliseconds later. No line is dropped: when
 * the queue is full, or after {@link #close}, or with a zero interval, a line is published at once
 * on the caller's thread, as it was before.
 */
public final class AccessLog implements AutoCloseable {
  static final String CATEGORY = "tokenvault.access";

  /** Lines queued at most; at 20,000 requests a second that is three seconds of them. */
  static final int DEFAULT_CAPACITY = 65_536;

  private static final String FQCN = AccessLog.class.getName();

  private final Logger logger;
  private final Duration flushInterval;
  private final BlockingQueue<Line> queue;
  private final Thread thread;
  private volatile boolean closed;

  /** What a line says, captured when the request ended. */
  record Line(
      Instant at,
      String thread,
      String requestId,
      String clientId,
      String method,
      String path,
      int status,
      long durationMicros) {

    String message() {
      return new StringBuilder(64 + path.length())
          .append("method=").append(method)
          .append(" path=").append(path)
          .append(" status=").append(status)
          .append(" durationMicros=").append(durationMicros)
          .toString();
    }
  }

  /**
   * @param flushInterval how often queued lines are written; zero writes each line at once, on the
   *     caller's thread
   */
  public AccessLog(Duration flushInterval) {
    this(flushInterval, DEFAULT_CAPACITY);
  }

  AccessLog(Duration flushInterval, int capacity) {
    this.flushInterval = Objects.requireNonNull(flushInterval, "flushInterval");
    if (flushInterval.isNegative()) {
      throw new IllegalArgumentException(
          "tokenvault.access-log.flush-interval must not be negative");
    }
    this.logger = LogContext.getLogContext().getLogger(CATEGORY);
    if (flushInterval.isZero()) {
      this.queue = null;
      this.thread = null;
    } else {
      this.queue = new ArrayBlockingQueue<>(capacity);
      this.thread = new Thread(this::run, "tokenvault-access-log");
      this.thread.setDaemon(true);
      this.thread.start();
    }
  }

  /** Whether access lines are logged at all (the category's level). */
  public boolean enabled() {
    return logger.isLoggable(Level.INFO);
  }

  /**
   * Logs one request. {@code requestId} and {@code clientId} are the log context's values for the
   * request (either may be null).
   */
  public void log(String requestId, String clientId, String method, String path, int status,
      long durationMicros) {
    Line line =
        new Line(Instant.now(), Thread.currentThread().getName(), requestId, clientId, method, path,
            status, durationMicros);
    if (queue == null || closed || !queue.offer(line)) {
      publish(line);
    } else if (closed && queue.remove(line)) {
      publish(line); // queued as close() took the last lines: written here instead
    }
  }

  private void run() {
    List<Line> batch = new ArrayList<>();
    long pauseNanos = flushInterval.toNanos();
    while (!closed) {
      try {
        Line first = queue.poll(pauseNanos, TimeUnit.NANOSECONDS);
        if (first == null) {
          continue;
        }
        // the interval's lines: the first one, then whatever else came in the meantime
        batch.add(first);
        TimeUnit.NANOSECONDS.sleep(pauseNanos);
      } catch (InterruptedException e) {
        // close() interrupts: publish what was queued, then stop
      }
      queue.drainTo(batch);
      publishBatch(batch);
      batch.clear();
    }
  }

  /** Publishes {@code lines} with one flush per stream handler at the end, not one per line. */
  private void publishBatch(List<Line> lines) {
    if (lines.isEmpty()) {
      return;
    }
    List<ExtHandler> paused = new ArrayList<>();
    try {
      for (ExtHandler h : streamHandlers()) {
        if (h.isAutoFlush()) {
          h.setAutoFlush(false);
          paused.add(h);
        }
      }
      for (Line line : lines) {
        publish(line);
      }
    } finally {
      for (ExtHandler h : paused) {
        h.setAutoFlush(true); // flushes
      }
    }
  }

  private void publish(Line line) {
    ExtLogRecord r =
        new ExtLogRecord(Level.INFO, line.message(), ExtLogRecord.FormatStyle.NO_FORMAT, FQCN);
    r.setInstant(line.at());
    r.setThreadName(line.thread());
    Map<String, String> mdc = new HashMap<>(4);
    if (line.requestId() != null) {
      mdc.put("requestId", line.requestId());
    }
    if (line.clientId() != null) {
      mdc.put("clientId", line.clientId());
    }
    r.setMdc(mdc);
    logger.logRaw(r);
  }

  /** The stream handlers this category's records reach (its own and its parents', nested ones). */
  private List<ExtHandler> streamHandlers() {
    List<ExtHandler> found = new ArrayList<>();
    for (Logger l = logger; l != null; l = l.getParent()) {
      collect(l.getHandlers(), found);
      if (!l.getUseParentHandlers()) {
        break;
      }
    }
    return found;
  }

  private static void collect(Handler[] handlers, List<ExtHandler> found) {
    for (Handler h : handlers) {
      if (h instanceof WriterHandler w) {
        found.add(w);
      } else if (h instanceof ExtHandler ext) {
        collect(ext.getHandlers(), found);
      }
    }
  }

  /** Writes every queued line; later lines are written at once. Blocks until then. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (thread != null) {
      thread.interrupt();
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      List<Line> rest = new ArrayList<>();
      queue.drainTo(rest); // lines queued after the thread's last drain
      publishBatch(rest);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
