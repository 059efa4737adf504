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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * "Acknowledged means durable" when a vault process dies: a child JVM writes tokens to PostgreSQL
 * and reports each acknowledged one; it is killed with SIGKILL mid-stream, three times over on the
 * same database; every token it reported must be there afterwards, the audit chain intact, and the
 * write lock free for the next process (the server ends the dead session's transaction). The
 * database server itself keeps running, as it would when a vault node dies; a server crash is
 * covered by {@code synchronous_commit=on} (see {@link PostgresDialect}).
 */
class PostgresCrashTest {
  /** Acknowledgements to see before each kill: enough for many batches to have committed. */
  private static final int ACKS_BEFORE_KILL = 300;

  private static final int KILLS = 3;

  @Test
  void killWhenWritesInFlightThenEveryAcknowledgedWriteSurvives() throws Exception {
    String url = PostgresServer.newDatabase();
    List<String> acknowledged = new ArrayList<>();
    for (int round = 0; round < KILLS; round++) {
      acknowledged.addAll(runAndKill(url));
    }

    try (PostgresStore store = PostgresStore.open(PostgresServer.settings(url))) {
      for (String token : acknowledged) {
        assertThat(await(store.findToken(new Token(token)))).as(token).isPresent();
      }
      assertIntactFromGenesis(readAll(store));
      // The dead writers' locks are gone: this process can write and extend the chain.
      DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
      await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
      await(store.insertToken(r, TestRecords.tokenizeEvent(r)));
      assertIntactFromGenesis(readAll(store));
    }
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(KILLS * ACKS_BEFORE_KILL);
  }

  private static List<String> runAndKill(String url) throws Exception {
    Process child = startChild(url);
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
      assertThat(lines.readLine()).isEqualTo("READY");
      while (acknowledged.size() < ACKS_BEFORE_KILL) {
        String line = lines.readLine();
        assertThat(line).as("child output (it died early?)").isNotNull();
        acknowledged.add(line);
      }
      // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the
      // pipe, losing the last acknowledgements in it.
      child.toHandle().destroyForcibly();
      child.waitFor();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (Token.isWellFormed(line)) {
          acknowledged.add(line);
        }
      }
    } finally {
      child.destroyForcibly();
    }
    return acknowledged;
  }

  private static Process startChild(String url) throws Exception {
    String classPath = System.getProperty("surefire.test.class.path");
    if (classPath == null) {
      classPath = System.getProperty("java.class.path");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            classPath,
            "-Dorg.slf4j.simpleLogger.logFile=System.err",
            CrashingWriter.class.getName(),
            url)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }
}
