package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.testkit.TestRecords;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GroupCommitWriter#submitBetweenBatches}: maintenance that runs on the writer's connection
 * with no transaction open, after everything queued before it committed and before anything queued
 * after it began (SQLite's end-of-cycle checkpoint relies on both).
 */
class BetweenBatchesTest {
  @TempDir Path dir;
  private final ExecutorService completions = Executors.newFixedThreadPool(2);
  private GroupCommitWriter writer;

  @BeforeEach
  void openWriter() throws Exception {
    writer = SqliteWriters.open(dir.resolve("vault.db"), completions, null);
  }

  @AfterEach
  void tearDown() {
    if (writer != null) {
      writer.close();
    }
    completions.shutdownNow();
  }

  private CompletableFuture<Void> append() {
    return writer.submit(
        tx -> {
          tx.audit(TestRecords.event(AuditAction.TOKENIZE).build());
          return null;
        });
  }

  private static int count(GroupCommitWriter.WriteTx tx) throws SQLException {
    try (ResultSet rs = tx.prepare("SELECT count(*) FROM audit_events").executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void runsWithNoTransactionOpenAfterEarlierWritesCommittedAndBeforeLaterOnesBegan()
      throws Exception {
    // Hold the writer inside a batch so that everything below is queued before it drains.
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> holder =
        writer.submit(
            tx -> {
              inside.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return null;
            });
    assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();

    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      writes.add(append());
    }
    CompletableFuture<Integer> between =
        writer.submitBetweenBatches(
            tx -> {
              int seen = count(tx);
              // BEGIN fails inside an open transaction ("cannot start a transaction within a
              // transaction"): this proves none is.
              tx.prepare("BEGIN IMMEDIATE").execute();
              tx.prepare("ROLLBACK").execute();
              return seen;
            });
    for (int i = 0; i < 2; i++) {
      writes.add(append());
    }
    long batchesBefore = writer.committedBatches();
    release.countDown();

    await(holder);
    writes.forEach(w -> await(w));
    assertThat(await(between)).isEqualTo(3);
    // The holder's batch, the three before the maintenance, the two after: three transactions.
    assertThat(writer.committedBatches() - batchesBefore).isEqualTo(3);
  }

  @Test
  void aFailingOneFailsAloneAndTheWriterGoesOn() {
    CompletableFuture<Object> between =
        writer.submitBetweenBatches(
            tx -> {
              throw new SQLException("no such pragma (simulated)");
            });
    CompletableFuture<Void> after = append();

    assertThat(failure(between)).isInstanceOf(StoreException.class);
    await(after);
  }

  @Test
  void afterCloseItFailsAtOnce() {
    writer.close();

    assertThat(failure(writer.submitBetweenBatches(tx -> 1)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
  }
}
