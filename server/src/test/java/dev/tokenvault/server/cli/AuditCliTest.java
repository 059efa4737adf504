package dev.tokenvault.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.core.audit.AuditCheckpoint;
import dev.tokenvault.core.audit.AuditCheckpointer;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.store.jdbc.SqliteStore;
import dev.tokenvault.testkit.TestContexts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenvault audit verify|export} on a real data directory (SQLite file + local key file),
 * tampered with through plain JDBC the way someone with write access to the file would: each kind
 * of tampering is found, and reported at the first broken link.
 */
class AuditCliTest {
  private static final String[] CARDS = {"4111111111111111", "5555555555554444", "378282246310005"};

  @TempDir Path dir;
  private Path db;
  /** The compact checkpoint the vault logged last (what an operator keeps off the machine). */
  private String loggedCheckpoint;
  private long checkpointEventSequence;
  private long signedHead;

  record Result(int status, String out, String err) {}

  private Result cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = AuditCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** A vault's life: tokenize, detokenize, a checkpoint, more work. */
  @BeforeEach
  void vaultWorks() {
    db = dir.resolve("tokenvault.db");
    try (SqliteStore store = SqliteStore.open(db);
        LocalKeyManager keys = LocalKeyManager.open(dir, null, Clock.systemUTC());
        DefaultVault vault = DefaultVault.builder().keyManager(keys).tokenStore(store)
            .paymentStore(store).paymentProcessor(new SimulatedAcquirer()).build()) {
      RequestContext system = RequestContext.system("checkpoint");
      AuditCheckpointer checkpointer = new AuditCheckpointer(store,
          () -> vault.vaultKeyPair(KeyPurpose.SIGNING, "audit-v1", system)
              .thenApply(k -> new AuditCheckpointer.SigningKey(k.kid(), k.privateKey())),
          Clock.systemUTC(), system);
      for (String card : CARDS) {
        Token t = vault.tokenize(new TokenizeCommand(Namespace.DEFAULT, Pan.parse(card), false,
            null, Map.of()), TestContexts.merchant()).toCompletableFuture().join().token().token();
        vault.detokenize(Namespace.DEFAULT, t, TestContexts.client("admin"))
            .toCompletableFuture().join();
      }
      AuditCheckpoint c = checkpointer.checkpoint().toCompletableFuture().join();
      loggedCheckpoint = "2026-11-23T10:00:00Z level=INFO msg=\"audit checkpoint signed checkpoint="
          + c.compact() + "\"";
      signedHead = c.headSequence();
      List<StoredAuditEvent> all = all(store);
      checkpointEventSequence = all.get(all.size() - 1).sequence();
      vault.tokenize(new TokenizeCommand(Namespace.DEFAULT, Pan.parse(CARDS[0]), false, null,
          Map.of()), TestContexts.merchant()).toCompletableFuture().join();
    }
  }

  private static List<StoredAuditEvent> all(SqliteStore store) {
    return store.query(AuditQuery.all(AuditQuery.MAX_LIMIT)).toCompletableFuture().join();
  }

  private Connection jdbc() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + db);
  }

  private Result verify(String... extra) {
    List<String> args = new ArrayList<>(List.of("verify", "--data-dir", dir.toString()));
    args.addAll(List.of(extra));
    return cli(args.toArray(String[]::new));
  }

  @Test
  void untouchedLogIsValidWithItsCheckpointAndExitsZero() {
    Result r = verify();
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("audit chain valid").contains("checkpoints=1")
        .contains("last checkpoint: tvcp1.");
  }

  @Test
  void editedEventIsFoundAtItsSequence() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_events SET principal = 'someone-else' WHERE seq = 4");
    }
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence 4: hash_mismatch");
  }

  @Test
  void deletedEventIsFoundAtTheNextOne() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM audit_events WHERE seq = 4");
    }
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence 5: link_mismatch");
  }

  @Test
  void insertedEventIsFound() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5");
      s.executeUpdate("INSERT INTO audit_events SELECT 5, 'inserted-event', event_time, event_name,"
          + " principal, client_id, scopes, source_ip, user_agent, client_cert_subject, request_id,"
          + " namespace, token, key_id, key_version, encryption_context, outcome, error_code,"
          + " previous_hash, hash, token_ref FROM audit_events WHERE seq = 4");
    }
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence 5: link_mismatch");
  }

  @Test
  void reorderedEventsAreFound() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE audit_events SET seq = -1 WHERE seq = 4");
      s.executeUpdate("UPDATE audit_events SET seq = 4 WHERE seq = 5");
      s.executeUpdate("UPDATE audit_events SET seq = 5 WHERE seq = -1");
    }
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence 4: link_mismatch");
  }

  @Test
  void aDeletionHiddenByRehashingTheRestIsFoundByTheSignedCheckpoint() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM audit_events WHERE seq = 4");
    }
    rehashFrom(1);
    // the chain itself is consistent again: only the signature over the old head tells
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains(": checkpoint_mismatch");
  }

  @Test
  void truncatedTailIsOnlyFoundAgainstACheckpointKeptOutsideTheDatabase() throws Exception {
    long cut = signedHead - 1;
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM audit_events WHERE seq > " + cut);
    }
    // the database alone: a shorter chain, still intact (the checkpoint was cut with the tail)
    Result alone = verify();
    assertThat(alone.status()).as(alone.out()).isZero();
    // against the vault's logged checkpoint: the log no longer reaches the signed head
    Path log = dir.resolve("server.log");
    Files.writeString(log, "other line\n" + loggedCheckpoint + "\n");
    Result r = verify("--checkpoints", log.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence " + signedHead + ": truncated");
  }

  @Test
  void forgedCheckpointIsFound() throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      // claim a different head count under the same signature
      s.executeUpdate("UPDATE audit_events SET encryption_context = replace(encryption_context,"
          + " '\"checkpoint:event-count\":\"', '\"checkpoint:event-count\":\"1') WHERE seq = "
          + checkpointEventSequence);
    }
    rehashFrom(checkpointEventSequence);
    Result r = verify();
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("BROKEN at sequence " + checkpointEventSequence
        + ": checkpoint_signature_invalid");
    // and a forged external checkpoint proves nothing either
    Path forged = dir.resolve("forged.txt");
    String text = loggedCheckpoint.replaceAll("tvcp1\\.(\\d+)\\.", "tvcp1.9$1.");
    Files.writeString(forged, text);
    assertThat(verify("--checkpoints", forged.toString()).status()).isEqualTo(1);
  }

  /** What an attacker with the file does after an edit: recompute every hash from {@code seq}. */
  private void rehashFrom(long from) throws Exception {
    List<StoredAuditEvent> events;
    try (SqliteStore store = SqliteStore.open(db)) {
      events = all(store);
    }
    try (Connection c = jdbc();
        PreparedStatement p = c.prepareStatement(
            "UPDATE audit_events SET previous_hash = ?, hash = ? WHERE seq = ?")) {
      String previous = AuditEvent.GENESIS;
      for (StoredAuditEvent s : events) {
        if (s.sequence() >= from) {
          AuditEvent rechained = s.event().chain(previous);
          p.setString(1, rechained.previousHash());
          p.setString(2, rechained.hash());
          p.setLong(3, s.sequence());
          p.executeUpdate();
          previous = rechained.hash();
        } else {
          previous = s.event().hash();
        }
      }
    }
  }

  @Test
  void exportWritesOneJsonEventPerLineWithThePciFieldsAndNoValue() throws Exception {
    Result r = cli("export", "--data-dir", dir.toString());
    assertThat(r.status()).isZero();
    String[] lines = r.out().strip().split("\n");
    assertThat(lines.length).isGreaterThan(8);
    ObjectMapper json = new ObjectMapper();
    boolean sawDetokenize = false;
    for (String line : lines) {
      JsonNode e = json.readTree(line);
      assertThat(e.has("eventName") && e.has("eventTime") && e.has("principal")
          && e.has("outcome") && e.has("hash")).as(line).isTrue();
      if (e.get("eventName").asText().equals("Detokenize")) {
        sawDetokenize = true;
        assertThat(e.get("clientId").asText()).isEqualTo("admin");
        assertThat(e.get("sourceIp").asText()).isEqualTo("127.0.0.1");
        assertThat(e.get("token").asText()).startsWith("tok_");
      }
    }
    assertThat(sawDetokenize).isTrue();
    for (String card : CARDS) {
      assertThat(r.out()).doesNotContain(card);
    }
    Result none = cli("export", "--data-dir", dir.toString(), "--from", "2100-01-01T00:00:00Z");
    assertThat(none.status()).isZero();
    assertThat(none.out()).isEmpty();
  }

  @Test
  void missingDataDirectoryOrBadOptionsExitTwo() {
    assertThat(cli("verify", "--data-dir", dir.resolve("nope").toString()).status()).isEqualTo(2);
    assertThat(cli("export", "--from", "yesterday").status()).isEqualTo(2);
    assertThat(cli("frobnicate").status()).isEqualTo(2);
  }
}
