package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.testkit.TestRecords;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite writer commits with {@code synchronous=NORMAL} and acknowledges a batch only after a
 * log sync that started after its {@code COMMIT}: these tests hold or break that sync.
 */
class LogSyncTest {
  @TempDir Path dir;
  private final ExecutorService completions = Executors.newFixedThreadPool(2);
  private GroupCommitWriter writer;

  @AfterEach
  void tearDown() {
    if (writer != null) {
      writer.close();
    }
    completions.shutdownNow();
  }

  private GroupCommitWriter writer(GroupCommitWriter.LogSync sync) throws Exception {
    writer = SqliteWriters.open(dir.resolve("vault.db"), completions, sync);
    return writer;
  }

  /** A log sync whose first call blocks until {@link #release}; later calls return at once. */
  private static final class HeldSync implements GroupCommitWriter.LogSync {
    final CountDownLatch syncing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void sync() {
      if (calls.incrementAndGet() == 1) {
        syncing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void close() {}
  }

  private CompletableFuture<Void> append() {
    return writer.submit(
        tx -> {
          tx.audit(TestRecords.event(AuditAction.TOKENIZE).build());
          return null;
        });
  }

  @Test
  void aCommittedBatchIsAcknowledgedOnlyAfterTheLogSync() throws Exception {
    HeldSync sync = new HeldSync();
    writer(sync);

    CompletableFuture<Void> write = append();
    assertThat(sync.syncing.await(30, TimeUnit.SECONDS)).isTrue();
    // Committed (another connection sees it) but not acknowledged while the sync is pending.
    assertThat(countEvents()).isEqualTo(1);
    assertThat(write).isNotDone();

    Thread.sleep(20); // the sync takes at least 20 ms: a slow one (over 10 ms)
    sync.release.countDown();
    await(write);
    WriterStats stats = writer.stats();
    assertThat(stats.logSyncs()).isEqualTo(1);
    assertThat(stats.slowLogSyncs()).isEqualTo(1);
    assertThat(stats.logSyncNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
  }

  @Test
  void writesArrivingDuringASyncRunAtOnceAndCommitTogetherWhenItEnds() throws Exception {
    HeldSync sync = new HeldSync();
    writer(sync);
    try {
      heldSyncThenRelease(sync);
    } finally {
      sync.release.countDown(); // a failed assertion must not leave the sync thread blocked
    }
  }

  private void heldSyncThenRelease(HeldSync sync) throws Exception {
    CompletableFuture<Void> first = append();
    assertThat(sync.syncing.await(30, TimeUnit.SECONDS)).isTrue();
    long batchesBefore = writer.committedBatches();
    // Five writes, each submitted only once the previous one ran: without the held sync each
    // would commit alone.
    List<CompletableFuture<Void>> during = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CountDownLatch ran = new CountDownLatch(1);
      during.add(
          writer.submit(
              tx -> {
                tx.audit(TestRecords.event(AuditAction.DETOKENIZE).build());
                ran.countDown();
                return null;
              }));
      assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
    }
    // They ran, but nothing of them is committed (another connection sees only the first write)
    // or acknowledged while the sync is under way.
    assertThat(countEvents()).isEqualTo(1);
    assertThat(writer.committedBatches()).isEqualTo(batchesBefore);
    assertThat(during).noneMatch(CompletableFuture::isDone);
    assertThat(first).isNotDone();

    sync.release.countDown();
    await(first);
    during.forEach(f -> await(f));
    assertThat(writer.committedBatches() - batchesBefore).isEqualTo(1);
    assertThat(countEvents()).isEqualTo(6);
    assertThat(sync.calls.get()).isEqualTo(2);
  }

  @Test
  void aCommitOver10MsIsCountedAsSlow() throws Exception {
    writer =
        SqliteWriters.open(
            dir.resolve("vault.db"),
            completions,
            new GroupCommitWriter.LogSync() {
              @Override
              public void sync() {}

              @Override
              public void close() {}
            },
            SqliteWriters.slowCommits(20));

    await(append());

    WriterStats stats = writer.stats();
    assertThat(stats.batches()).isEqualTo(1);
    assertThat(stats.slowCommits()).isEqualTo(1);
    assertThat(stats.commitNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
  }

  @Test
  void aFailedSyncFailsItsBatchesAsUnknownAndRefusesLaterWrites() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    writer(
        new GroupCommitWriter.LogSync() {
          @Override
          public void sync() throws IOException {
            calls.incrementAndGet();
            throw new IOException("EIO (simulated)");
          }

          @Override
          public void close() {}
        });

    assertThat(failure(append()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("write outcome unknown");

    assertThat(failure(append()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("refuses further writes");
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void theRealSyncFsyncsTheLogFileAndSurvivesAReopen() throws Exception {
    Path file = dir.resolve("vault.db");
    SqliteStore store = SqliteStore.open(file);
    try {
      for (int i = 0; i < 20; i++) {
        await(store.append(TestRecords.event(AuditAction.TOKENIZE).build()));
      }
      assertThat(store.writerStats().logSyncs()).isPositive();
    } finally {
      store.close();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM audit_events")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(20);
    }
  }

  private int countEvents() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("vault.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM audit_events")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
