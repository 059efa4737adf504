package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.testkit.TestRecords;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Acknowledged means durable" when the database server dies: a store writes tokens, the PostgreSQL
 * postmaster is killed with SIGKILL mid-stream (its shared memory, WAL buffers included, is gone),
 * the server is started again on the same data directory, and every acknowledged token must be
 * there. With {@code synchronous_commit=off} the last commits would be lost here; with {@code on}
 * (the default, which the store's writer enforces for its session) none is. The same store object
 * stays open throughout and must carry on by itself once the server is back.
 */
class PostgresServerCrashTest {
  /** Acknowledgements to see before the kill: enough for many batches to have committed. */
  private static final int ACKS_BEFORE_KILL = 300;

  /** Writes in flight at once, so acknowledgements come from shared batches. */
  private static final int IN_FLIGHT = 16;

  @TempDir Path dataDirectory;

  @Test
  void serverKilledWhenWritesInFlightThenEveryAcknowledgedWriteSurvivesAndTheStoreReconnects()
      throws Exception {
    int port = freePort();
    EmbeddedPostgres server = start(port);
    String url = "jdbc:postgresql://localhost:" + port + "/postgres";
    PostgresStore store = PostgresStore.open(PostgresServer.settings(url));
    try {
      DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
      await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));

      List<String> acknowledged = writeUntilKilled(store, key);
      server.close(); // the server is dead already; this releases zonky's lock on the directory
      server = start(port);

      TokenRecord after = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
      await(store.insertToken(after, TestRecords.tokenizeEvent(after)));
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
      for (String token : acknowledged) {
        assertThat(await(store.findToken(new Token(token)))).as(token).isPresent();
      }
      assertThat(await(store.findToken(after.token()))).isPresent();
      assertIntactFromGenesis(readAll(store));
    } finally {
      store.close();
      server.close();
    }
  }

  /** Writes tokens until {@link #ACKS_BEFORE_KILL} are acknowledged, then kills the server. */
  private List<String> writeUntilKilled(PostgresStore store, DataKeyRecord key) throws Exception {
    List<String> acknowledged = new ArrayList<>();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    boolean killed = false;
    while (!killed) {
      slots.acquire();
      synchronized (acknowledged) {
        if (acknowledged.size() >= ACKS_BEFORE_KILL) {
          // Writes are still in flight (up to IN_FLIGHT - 1): the kill lands among them.
          killPostmaster();
          killed = true;
          slots.release();
          continue;
        }
      }
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
      writes.add(
          store
              .insertToken(r, TestRecords.tokenizeEvent(r))
              .toCompletableFuture()
              .whenComplete(
                  (v, e) -> {
                    if (e == null) {
                      synchronized (acknowledged) {
                        acknowledged.add(r.token().value());
                      }
                    }
                    slots.release();
                  }));
    }
    // Every write in flight ends, one way or the other, before the server comes back.
    for (CompletableFuture<Void> w : writes) {
      w.handle((v, e) -> null).join();
    }
    synchronized (acknowledged) {
      return new ArrayList<>(acknowledged);
    }
  }

  private EmbeddedPostgres start(int port) throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("fsync", "on")
        .start();
  }

  /** SIGKILL to the postmaster (first line of postmaster.pid); waits until it is gone. */
  private void killPostmaster() throws IOException {
    String pidLine =
        Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.US_ASCII)
            .get(0)
            .strip();
    ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(pidLine)).orElseThrow();
    List<ProcessHandle> backends = postmaster.children().toList();
    postmaster.destroyForcibly();
    postmaster.onExit().join();
    // Backends notice their postmaster's death and exit; a new postmaster cannot start while
    // they still hold the old shared memory.
    for (ProcessHandle backend : backends) {
      backend.destroyForcibly();
      backend.onExit().join();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
