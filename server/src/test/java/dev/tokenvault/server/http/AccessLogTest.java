package dev.tokenvault.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.server.logging.RedactingFilter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.jboss.logmanager.handlers.OutputStreamHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The access log as its readers see it: every line, in order, with the request's time, thread and
 * ids, redacted, and written in batches (one flush per batch) unless the interval is zero.
 */
class AccessLogTest {
  private static final String FORMAT = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} thread=%t"
      + " requestId=%X{requestId} clientId=%X{clientId} msg=\"%s\"%n";

  private final Logger logger = LogContext.getLogContext().getLogger(AccessLog.CATEGORY);
  private final CountingStream out = new CountingStream();
  private OutputStreamHandler handler;
  private boolean useParentHandlers;
  private AccessLog log;

  /** The bytes written, the writes and the flushes that reached the "file". */
  static final class CountingStream extends OutputStream {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final AtomicInteger flushes = new AtomicInteger();

    @Override
    public synchronized void write(int b) {
      bytes.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      bytes.write(b, off, len);
    }

    @Override
    public void flush() {
      flushes.incrementAndGet();
    }

    synchronized String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  @BeforeEach
  void attach() {
    handler = new OutputStreamHandler(out, new PatternFormatter(FORMAT));
    handler.setFilter(new RedactingFilter());
    useParentHandlers = logger.getUseParentHandlers();
    logger.setUseParentHandlers(false);
    logger.addHandler(handler);
  }

  @AfterEach
  void detach() {
    if (log != null) {
      log.close();
    }
    logger.removeHandler(handler);
    logger.setUseParentHandlers(useParentHandlers);
  }

  private List<String> lines() {
    handler.flush();
    return out.text().lines().toList();
  }

  @Test
  void linesAreWrittenOffTheCallersThreadInOneBatchWithTheRequestsTimeThreadAndIds()
      throws Exception {
    log = new AccessLog(Duration.ofHours(1)); // written only by close(), in one batch
    int n = 500;
    Thread loop = new Thread(() -> {
      for (int i = 0; i < n; i++) {
        log.log("req-" + i, i % 2 == 0 ? "merchant" : null, "POST", "/v1/tokens", 201, i);
      }
    }, "vert.x-eventloop-thread-7");
    loop.start();
    loop.join();
    OffsetDateTime logged = OffsetDateTime.now();
    // queued, not written: the caller did not write them
    assertThat(out.text()).isEmpty();
    Thread.sleep(1100);

    log.close();
    List<String> lines = lines();
    assertThat(lines).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(lines.get(i))
          .endsWith(" thread=vert.x-eventloop-thread-7 requestId=req-" + i
              + " clientId=" + (i % 2 == 0 ? "merchant" : "")
              + " msg=\"method=POST path=/v1/tokens status=201 durationMicros=" + i + "\"");
    }
    // the time is the request's, not the time the batch was written (over a second later)
    String lastLine = lines.get(n - 1);
    OffsetDateTime last = OffsetDateTime.parse(lastLine.substring(0, lastLine.indexOf(' ')));
    assertThat(last).isBeforeOrEqualTo(logged);
    // one flush for the batch, not one per line; the handler flushes after each record again
    assertThat(out.flushes.get()).isLessThan(5);
    assertThat(handler.isAutoFlush()).isTrue();
  }

  @Test
  void aLineIsWrittenWithinTheIntervalWhileTheVaultRuns() throws Exception {
    log = new AccessLog(Duration.ofMillis(50));
    log.log("req-1", "admin", "GET", "/v1/payments/pay_1", 200, 42);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (out.text().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(out.text()).contains("msg=\"method=GET path=/v1/payments/pay_1 status=200");
    assertThat(out.flushes.get()).isPositive();
  }

  @Test
  void aCardNumberInThePathIsMasked() {
    log = new AccessLog(Duration.ofMillis(100));
    log.log("req-1", null, "GET", "/v1/tokens/4111111111111111", 404, 7);
    log.close();
    assertThat(lines()).singleElement().asString()
        .contains("path=/v1/tokens/[PAN ****1111]")
        .doesNotContain("4111111111111111");
  }

  @Test
  void aZeroIntervalWritesEachLineAtOnceAndFlushesIt() {
    log = new AccessLog(Duration.ZERO);
    log.log("req-1", null, "GET", "/health/ready", 200, 3);
    assertThat(out.text()).contains("path=/health/ready status=200");
    int flushes = out.flushes.get();
    log.log("req-2", null, "GET", "/health/ready", 200, 3);
    assertThat(out.flushes.get()).isGreaterThan(flushes);
  }

  @Test
  void aFullQueueWritesOnTheCallersThreadAndNoLineIsLost() {
    log = new AccessLog(Duration.ofHours(1), 2); // the background thread never gets to write
    for (int i = 0; i < 5; i++) {
      log.log("req-" + i, null, "GET", "/v1/payments/pay_" + i, 200, i);
    }
    // two queued (three when the thread has taken the first one to wait out its interval), the
    // rest written at once by the caller
    assertThat(out.text().lines().count()).isBetween(2L, 3L);
    log.close();
    List<String> lines = lines();
    assertThat(lines).hasSize(5);
    for (int i = 0; i < 5; i++) {
      String path = "path=/v1/payments/pay_" + i + " ";
      assertThat(lines).filteredOn(l -> l.contains(path)).hasSize(1);
    }
  }

  @Test
  void afterCloseLinesAreWrittenAtOnce() {
    log = new AccessLog(Duration.ofHours(1));
    log.close();
    log.log("req-1", null, "GET", "/v1/payments/pay_1", 200, 1);
    assertThat(out.text()).contains("path=/v1/payments/pay_1");
  }
}
