package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.testkit.TestRecords;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite store's token rows in memory ({@link TokenRowCache}): a row read once is answered on
 * the caller's thread, the cache stays within its size, and no read issued after a change to a row
 * was acknowledged finds the old row, however reads race the change. The conformance suite
 * ({@link SqliteTokenStoreTest}) runs with the default cache and reads each row before it changes.
 */
class SqliteTokenCacheTest {
  @TempDir Path dir;

  private SqliteStore store;
  private Namespace ns;
  private String keyId;

  @BeforeEach
  void open() {
    store = SqliteStore.open(dir.resolve("vault.db"), 8);
    ns = TestRecords.namespace();
    DataKeyRecord key = TestRecords.dataKey(ns);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    keyId = key.keyId();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private TokenRecord givenToken() {
    TokenRecord record = TestRecords.tokenRecord(ns, keyId).build();
    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));
    return record;
  }

  @Test
  void findTokenWhenReadBeforeThenAnsweredAtOnceWithTheSameRow() {
    TokenRecord record = givenToken();
    assertThat(await(store.findToken(record.token()))).contains(record);

    var again = store.findToken(record.token()).toCompletableFuture();

    assertThat(again).isDone();
    assertThat(again.join()).contains(record);
  }

  @Test
  void findTokenWhenUnknownThenNothingIsKept() {
    TokenRecord never = TestRecords.tokenRecord(ns, keyId).build();

    assertThat(await(store.findToken(never.token()))).isEmpty();

    assertThat(store.cachedTokenRows()).isZero();
    // Stored afterwards, it is found: an absence is never remembered.
    await(store.insertToken(never, TestRecords.tokenizeEvent(never)));
    assertThat(await(store.findToken(never.token()))).contains(never);
  }

  @Test
  void findTokenWhenMoreRowsReadThanTheCacheHoldsThenItKeepsItsSizeAndEveryRowIsFound() {
    List<TokenRecord> records = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      records.add(givenToken());
    }

    for (int round = 0; round < 3; round++) {
      for (TokenRecord r : records) {
        assertThat(await(store.findToken(r.token()))).contains(r);
      }
    }

    assertThat(store.cachedTokenRows()).isBetween(1L, 8L);
  }

  @Test
  void deleteWhenReadsRaceItThenNoReadIssuedAfterTheAcknowledgementFindsTheRow() throws Exception {
    ExecutorService readers = Executors.newFixedThreadPool(3);
    try {
      for (int i = 0; i < 60; i++) {
        TokenRecord record = givenToken();
        assertThat(await(store.findToken(record.token()))).contains(record);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> racing = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          racing.add(readers.submit(() -> {
            while (!stop.get()) {
              await(store.findToken(record.token()));
            }
          }));
        }

        boolean deleted =
            await(store.deleteToken(record.token(), ns, TestRecords.deleteEvent(record.token(), ns)));

        assertThat(deleted).isTrue();
        for (int read = 0; read < 20; read++) {
          Optional<TokenRecord> found = await(store.findToken(record.token()));
          assertThat(found).as("read %d after delete %d was acknowledged", read, i).isEmpty();
        }
        stop.set(true);
        for (Future<?> f : racing) {
          f.get();
        }
      }
    } finally {
      readers.shutdownNow();
    }
  }

  @Test
  void openWhenNoCacheThenEveryReadGoesToTheFileAndChangesAreSeen() {
    store.close();
    store = SqliteStore.open(dir.resolve("vault.db"), 0);
    TokenRecord record = givenToken();
    assertThat(await(store.findToken(record.token()))).contains(record);
    assertThat(store.cachedTokenRows()).isZero();

    await(store.deleteToken(record.token(), ns, TestRecords.deleteEvent(record.token(), ns)));

    assertThat(await(store.findToken(record.token()))).isEmpty();
  }
}
