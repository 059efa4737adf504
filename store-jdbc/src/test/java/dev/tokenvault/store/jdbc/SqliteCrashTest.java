package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.value.Token;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Acknowledged means durable" against a real crash: a child JVM writes tokens and reports each
 * acknowledged one; it is killed with SIGKILL mid-stream; every token it reported must be in the
 * file afterwards, with an intact audit chain, and the file opens again (WAL recovery, the owner
 * lock released by the operating system). The kill lands at an arbitrary point, so this test checks
 * recovery rather than the ordering of acknowledgement and commit; that ordering is pinned down
 * deterministically by {@code SqliteStoreTest.writerWhenBatchNotYetCommittedThen...}. A power cut
 * is beyond a test; the fsync of the log before every acknowledgement covers it (LogSyncTest).
 */
class SqliteCrashTest {
  /** Acknowledgements to see before the kill: enough for many batches to have committed. */
  private static final int ACKS_BEFORE_KILL = 300;

  @TempDir Path dir;

  @Test
  void killWhenWritesInFlightThenEveryAcknowledgedWriteSurvives() throws Exception {
    Path file = dir.resolve("vault.db");
    Process child = startChild(file);
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
      // Whatever it printed before dying was acknowledged too.
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (Token.isWellFormed(line)) {
          acknowledged.add(line);
        }
      }
    } finally {
      child.destroyForcibly();
    }

    try (SqliteStore store = SqliteStore.open(file)) {
      for (String token : acknowledged) {
        assertThat(await(store.findToken(new Token(token)))).as(token).isPresent();
      }
      assertIntactFromGenesis(readAll(store));
    }
  }

  private static Process startChild(Path file) throws Exception {
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
            file.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }
}
