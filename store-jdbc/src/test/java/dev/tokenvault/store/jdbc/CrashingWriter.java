package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.testkit.TestRecords;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;

/**
 * A child process for {@link SqliteCrashTest} and {@link PostgresCrashTest}: writes tokens without
 * end, a few in flight at a time, and prints each token on stdout once its write is acknowledged.
 * It never exits by itself; the test kills it. The argument is a SQLite file, or a PostgreSQL JDBC
 * URL (connecting as the embedded server's superuser).
 */
public final class CrashingWriter {
  /** Writes in flight at once, so acknowledgements come from shared batches. */
  private static final int IN_FLIGHT = 16;

  private CrashingWriter() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    JdbcStore store =
        args[0].startsWith("jdbc:postgresql:")
            ? PostgresStore.open(PostgresSettings.of(args[0], PostgresServer.SUPERUSER, null))
            : SqliteStore.open(Path.of(args[0]));
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    store.insertDataKey(key, TestRecords.dataKeyEvent(key)).toCompletableFuture().join();
    out.println("READY");
    out.flush();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    while (true) {
      slots.acquire();
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
      CompletionStage<Void> write = store.insertToken(r, TestRecords.tokenizeEvent(r));
      write.whenComplete(
          (v, e) -> {
            if (e == null) {
              synchronized (out) {
                out.println(r.token().value());
                out.flush();
              }
            }
            slots.release();
          });
    }
  }
}
