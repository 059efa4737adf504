package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.ids;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenPage;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.testkit.AuditQueryBuilder;
import dev.tokenvault.testkit.Race;
import dev.tokenvault.testkit.TestRecords;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the SQLite adapter promises: its pragmas, its file, its writer, its migrations. */
class SqliteStoreTest {
  @TempDir Path dir;

  private SqliteStore store;

  private Path file() {
    return dir.resolve("vault.db");
  }

  private SqliteStore open() {
    store = SqliteStore.open(file());
    return store;
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  // ---- pragmas and files

  @Test
  void openWhenNewFileThenWalLogSyncedByTheStoreForeignKeysAndSecureDelete() {
    open();

    assertThat(writerPragma("journal_mode")).isEqualTo("wal");
    // NORMAL: the store fsyncs the log itself before it acknowledges (see LogSyncTest).
    assertThat(writerPragma("synchronous")).isEqualTo("1");
    long syncsBefore = store.writerStats().logSyncs();
    givenDataKey(Namespace.DEFAULT);
    assertThat(store.writerStats().logSyncs()).isGreaterThan(syncsBefore);
    assertThat(writerPragma("foreign_keys")).isEqualTo("1");
    assertThat(writerPragma("secure_delete")).isEqualTo("1");
    assertThat(writerPragma("busy_timeout"))
        .isEqualTo(String.valueOf(SqliteDialect.BUSY_TIMEOUT_MILLIS));
  }

  @Test
  void openWhenNewFileThenItAndItsLogAreOwnerOnly() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    open();
    givenDataKey(Namespace.DEFAULT);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
        .isEqualTo("rw-------");
    for (String sibling : List.of("vault.db-wal", "vault.db-shm", "vault.db.lock")) {
      Path p = dir.resolve(sibling);
      assertThat(p).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .as(sibling)
          .isEqualTo("rw-------");
    }
  }

  @Test
  void timesWhenNanosecondPrecisionThenRoundTripExactly() {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    Instant created = Instant.parse("2026-11-23T10:00:00.123456789Z");
    TokenRecord record =
        TestRecords.tokenRecord(Namespace.DEFAULT, keyId)
            .createdAt(created)
            .expiresAt(Instant.parse("2027-01-01T00:00:00Z"))
            .build();

    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));

    TokenRecord found = await(store.findToken(record.token())).orElseThrow();
    assertThat(found.createdAt()).isEqualTo(created);
    assertThat(found.expiresAt()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
  }

  @Test
  void openWhenExistingFileReadableByOthersThenRestrictedToOwner() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Files.createFile(
        file(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));

    open();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file())))
        .isEqualTo("rw-------");
  }

  @Test
  void openWhenDataDirectoryMissingThenCreated() {
    store = SqliteStore.open(dir.resolve("data/sub/vault.db"));

    assertThat(dir.resolve("data/sub/vault.db")).exists();
  }

  @Test
  void openWhenFileAlreadyOpenThenRefusedUntilClosed() {
    open();

    assertThatThrownBy(() -> SqliteStore.open(file()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("already open");

    store.close();
    open();
    assertThat(await(store.findDataKey("dk_none"))).isEmpty();
  }

  // ---- migrations

  @Test
  void migrateWhenAppliedTwiceThenSecondIsNoOp() throws Exception {
    open().close();
    store = null;

    try (Connection c = connect()) {
      int applied = new SchemaMigrator(new SqliteDialect()).migrate(c);

      assertThat(applied).isZero();
      assertThat(schemaVersions(c)).containsExactly(1, 2, 3, 4, 5);
    }
    open();
    assertThat(await(store.findDataKey("dk_none"))).isEmpty();
  }

  @Test
  void migrateWhenNewDatabaseThenEveryScriptAppliedOnce() throws Exception {
    try (Connection c = connect()) {
      int applied = new SchemaMigrator(new SqliteDialect()).migrate(c);

      assertThat(applied).isEqualTo(SchemaMigrator.SCRIPTS.size());
      assertThat(schemaVersions(c)).hasSize(SchemaMigrator.SCRIPTS.size());
    }
  }

  @Test
  void migrateWhenV1DatabaseHasEventsThenV2KeepsThemChainedAndDropsTheUniqueEventIdIndex()
      throws Exception {
    List<String> written = new ArrayList<>();
    try (Connection c = connect()) {
      new SchemaMigrator(new SqliteDialect(), "db/sqlite", List.of("V1__init.sql")).migrate(c);
      String head = AuditEvent.GENESIS;
      try (var ps = c.prepareStatement(Rows.INSERT_AUDIT_EVENT)) {
        for (int i = 0; i < 5; i++) {
          AuditEvent e = TestRecords.event(AuditAction.TOKENIZE).build().chain(head);
          Rows.bindAuditEvent(ps, e, new SqliteDialect());
          ps.executeUpdate();
          head = e.hash();
          written.add(e.eventId());
        }
      }
      assertThat(indexesOf(c, "audit_events")).contains("sqlite_autoindex_audit_events_1");
    }

    open();

    List<StoredAuditEvent> events = readAll(store);
    assertThat(ids(events)).containsExactlyElementsOf(written);
    assertIntactFromGenesis(events);
    await(store.append(TestRecords.event(AuditAction.TOKENIZE).build()));
    assertIntactFromGenesis(readAll(store));
    try (Connection c = connect()) {
      assertThat(schemaVersions(c)).containsExactly(1, 2, 3, 4, 5);
      assertThat(indexesOf(c, "audit_events"))
          .containsExactlyInAnyOrder(
              "audit_events_token_ref", "audit_events_token_unresolved", "audit_events_principal",
              "audit_events_client", "audit_events_time");
    }
  }

  @Test
  void migrateWhenV4DatabaseHasTokensAndEventsThenV5KeepsEveryTokensHistoryFindable()
      throws Exception {
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    TokenRecord first = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    TokenRecord second = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    Token gone = TestRecords.token(); // events of a token no longer (or never) stored
    List<String> firstHistory = new ArrayList<>();
    List<String> goneHistory = new ArrayList<>();
    try (Connection c = connect()) {
      new SchemaMigrator(
              new SqliteDialect(),
              "db/sqlite",
              SchemaMigrator.SCRIPTS.subList(0, 4))
          .migrate(c);
      try (var ps = c.prepareStatement(Rows.INSERT_DATA_KEY)) {
        Rows.bindDataKey(ps, key, new SqliteDialect());
        ps.executeUpdate();
      }
      try (var ps = c.prepareStatement(Rows.INSERT_TOKEN)) {
        for (TokenRecord t : List.of(first, second)) {
          Rows.bindToken(ps, t, new SqliteDialect());
          ps.executeUpdate();
        }
      }
      String head = AuditEvent.GENESIS;
      try (var ps = c.prepareStatement(Rows.INSERT_AUDIT_EVENT)) {
        Token[] order = {first.token(), gone, second.token(), first.token(), gone};
        for (Token t : order) {
          AuditEvent e =
              TestRecords.event(AuditAction.DETOKENIZE).token(t.value()).build().chain(head);
          Rows.bindAuditEvent(ps, e, new SqliteDialect());
          ps.executeUpdate();
          head = e.hash();
          (t == gone ? goneHistory : t.equals(first.token()) ? firstHistory : new ArrayList<String>())
              .add(e.eventId());
        }
      }
    }

    open();

    assertThat(ids(await(store.query(AuditQueryBuilder.query().token(first.token().value()).build()))))
        .containsExactlyElementsOf(firstHistory);
    assertThat(ids(await(store.query(AuditQueryBuilder.query().token(gone.value()).build()))))
        .containsExactlyElementsOf(goneHistory);
    assertThat(await(store.findToken(second.token()))).isPresent();
    assertIntactFromGenesis(readAll(store));
    try (Connection c = connect()) {
      assertThat(schemaVersions(c)).containsExactly(1, 2, 3, 4, 5);
      assertThat(indexesOf(c, "tokens"))
          .contains("tokens_fingerprint_version", "tokens_key_id", "tokens_deterministic_fingerprint");
      // each token kept its row number as its ref, and the events of a stored token point at it
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM audit_events e JOIN tokens t ON e.token_ref = t.ref"
                      + " WHERE e.token = t.token")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(3);
      }
    }
  }

  @Test
  void queryByTokenThenEachBranchIsAnOrderedIndexScanThatStopsAtTheLimit() throws Exception {
    open();
    JdbcStore.AuditSql sql =
        JdbcStore.auditSql(
            AuditQueryBuilder.query().token("tok_a").eventName(AuditAction.DETOKENIZE).after(5).limit(10).build(),
            true);
    try (Connection c = connect();
        var ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql.text())) {
      sql.bind(ps, new SqliteDialect());
      ResultSet rs = ps.executeQuery();
      StringBuilder plan = new StringBuilder();
      while (rs.next()) {
        plan.append(rs.getString("detail")).append('\n');
      }
      assertThat(plan.toString())
          .contains("USING INDEX audit_events_token_ref (token_ref=? AND seq>?)")
          .contains("USING INDEX audit_events_token_unresolved (token=? AND seq>?)")
          .doesNotContain("SCAN audit_events\n");
    }
  }

  @Test
  void migrateWhenV2DatabaseHasTokensThenV3GivesThemFingerprintVersionOne() throws Exception {
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    TokenRecord token =
        TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId())
            .deterministic(TestRecords.fingerprint(1))
            .build();
    try (Connection c = connect()) {
      new SchemaMigrator(
              new SqliteDialect(),
              "db/sqlite",
              List.of("V1__init.sql", "V2__audit_event_id_not_unique.sql"))
          .migrate(c);
      try (var ps = c.prepareStatement(Rows.INSERT_DATA_KEY)) {
        Rows.bindDataKey(ps, key, new SqliteDialect());
        ps.executeUpdate();
      }
      // The V2 statement: no fingerprint_version column yet.
      try (var ps =
          c.prepareStatement(
              "INSERT INTO tokens (token, namespace, type, ciphertext, key_id, fingerprint,"
                  + " deterministic, last4, bin, scheme, created_at, expires_at, metadata)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, token.token().value());
        ps.setString(2, token.namespace().name());
        ps.setString(3, token.type().name());
        ps.setBytes(4, token.ciphertext());
        ps.setString(5, token.dataKeyId());
        ps.setString(6, token.fingerprint());
        ps.setInt(7, 1);
        ps.setString(8, token.last4());
        ps.setString(9, token.bin());
        ps.setString(10, token.scheme());
        new SqliteDialect().setInstant(ps, 11, token.createdAt());
        new SqliteDialect().setInstant(ps, 12, token.expiresAt());
        ps.setString(13, "{}");
        ps.executeUpdate();
      }
    }

    open();

    assertThat(await(store.countTokensByFingerprintVersion(Namespace.DEFAULT, 2)))
        .isEqualTo(java.util.Map.of(1, 1L));
    assertThat(
            await(store.listTokensByFingerprintVersion(Namespace.DEFAULT, 1, null, 10)).tokens())
        .extracting(TokenRecord::token)
        .containsExactly(token.token());
    try (Connection c = connect()) {
      assertThat(schemaVersions(c)).containsExactly(1, 2, 3, 4, 5);
      assertThat(indexesOf(c, "tokens")).contains("tokens_fingerprint_version");
      assertThat(indexColumns(c, "tokens_fingerprint_version"))
          .containsExactly("namespace", "fingerprint_version");
    }
  }

  /**
   * V4's point: the fingerprint-version index holds no random column, so a tokenize appends to it
   * instead of writing a random leaf (bench/README.md). The re-fingerprint job's page query must
   * then be served by it in rowid order, without sorting the version's tokens for every page.
   */
  @Test
  void listTokensByFingerprintVersionWhenPagedThenServedByTheIndexInRowidOrder() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    List<Token> written = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      TokenRecord t = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
      await(store.insertToken(t, TestRecords.tokenizeEvent(t)));
      written.add(t.token());
    }

    List<Token> paged = new ArrayList<>();
    String cursor = null;
    do {
      TokenPage page = await(store.listTokensByFingerprintVersion(Namespace.DEFAULT, 1, cursor, 3));
      page.tokens().forEach(t -> paged.add(t.token()));
      cursor = page.next();
    } while (cursor != null);

    assertThat(paged).containsExactlyElementsOf(written);
    try (Connection c = connect();
        var ps = c.prepareStatement("EXPLAIN QUERY PLAN " + Rows.SELECT_TOKENS_BY_FINGERPRINT_VERSION_ROWID)) {
      ps.setString(1, "default");
      ps.setInt(2, 1);
      ps.setLong(3, 0);
      ps.setInt(4, 3);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString("detail")).append('\n');
        }
      }
      assertThat(plan.toString())
          .contains("USING INDEX tokens_fingerprint_version")
          .doesNotContain("TEMP B-TREE");
    }
    assertThatThrownBy(
            () -> store.listTokensByFingerprintVersion(Namespace.DEFAULT, 1, written.get(0).value(), 3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static List<String> indexColumns(Connection c, String index) throws SQLException {
    List<String> columns = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA index_info('" + index + "')")) {
      while (rs.next()) {
        columns.add(rs.getString("name"));
      }
    }
    return columns;
  }

  private static List<String> indexesOf(Connection c, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '"
                    + table
                    + "'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  @Test
  void migrateWhenAppliedScriptChangedThenRefused() throws Exception {
    open().close();
    store = null;
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("UPDATE schema_version SET checksum = 'edited' WHERE version = 1");
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("V1 was changed");
    store = null;
  }

  @Test
  void migrateWhenDatabaseNewerThanBuildThenRefused() throws Exception {
    open().close();
    store = null;
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO schema_version VALUES (99, 'from the future', 'x', '2099-01-01T00:00:00Z')");
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("newer than this build");
    store = null;
  }

  @Test
  void migrationScriptsWhenListedThenMatchTheResourceFolder() throws Exception {
    Path folder =
        Path.of(getClass().getClassLoader().getResource("db/sqlite/V1__init.sql").toURI())
            .getParent();
    List<String> files;
    try (var stream = Files.list(folder)) {
      files = stream.map(p -> p.getFileName().toString()).sorted().toList();
    }

    assertThat(SchemaMigrator.SCRIPTS).containsExactlyInAnyOrderElementsOf(files);
  }

  @Test
  void statementsWhenScriptHasCommentsThenSplitAtLineEndingSemicolons() {
    List<String> statements =
        SchemaMigrator.statements(
            "-- a comment; with a semicolon\n"
                + "CREATE TABLE a (\n"
                + "  x TEXT\n"
                + ");\n\n"
                + "CREATE INDEX i ON a (x);\n");

    assertThat(statements)
        .containsExactly("CREATE TABLE a (\nx TEXT\n)", "CREATE INDEX i ON a (x)");
  }

  // ---- the writer

  @Test
  void checkpointsWhenWritesCommitThenRunOffTheWriterThreadAndKeepEveryRow() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    List<TokenRecord> records = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
      records.add(r);
      writes.add(store.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture());
    }
    writes.forEach(w -> await(w));

    // The background checkpointer copies the log into the database file by itself (it polls
    // every 100 ms; the deadline only bounds a broken build).
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (store.checkpoints() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(store.checkpoints()).isPositive();
    assertEveryRecordSurvivesAReopen(records);
  }

  @Test
  void walCycleWhenWritesNeverPauseThenTheWritersCheckpointEndsItAndEveryRowIsKept()
      throws Exception {
    // Under continuous writes no background pass reaches the end of the log (frames arrive
    // during it); the checkpointer hands the last pass of each cycle to the writer, between two
    // batches. A cycle of 64 frames makes that happen within a few hundred writes.
    store = SqliteStore.openWithCycle(file(), 64);
    String keyId = givenDataKey(Namespace.DEFAULT);
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(32);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    List<TokenRecord> records = new ArrayList<>();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (store.walStats().cyclesEnded() < 2 && System.nanoTime() < deadline) {
      inFlight.acquire();
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
      records.add(r);
      CompletableFuture<Void> w =
          store.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture();
      w.whenComplete((ok, e) -> inFlight.release());
      writes.add(w);
    }
    writes.forEach(w -> await(w));

    // What /metrics reports of it: the cycles, the writer's pause for each last pass, and the
    // checkpoint thread's fsyncs of the database file before it.
    WalStats wal = store.walStats();
    assertThat(wal.cyclesEnded()).isGreaterThanOrEqualTo(2);
    assertThat(wal.writerPauseNanos()).isPositive();
    assertThat(wal.databaseSyncs()).isGreaterThanOrEqualTo(wal.cyclesEnded());
    assertThat(wal.databaseSyncNanos()).isPositive();
    assertEveryRecordSurvivesAReopen(records);
  }

  @Test
  void writerWhenOperationsQueueUpThenTheyCommitInBatches() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    int count = GroupCommitWriter.MAX_BATCH + 44;
    Gate gate = gate();
    long batchesBefore = store.committedBatches();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
      writes.add(store.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture());
    }

    gate.open();
    writes.forEach(w -> await(w));

    // One COMMIT (one fsync) per batch of at most 256, not per write: the gate's own batch, then
    // 256 + 44; or, when a log sync was still under way as the gate returned (its transaction then
    // stays open for what comes next), the gate and 255, then 45.
    assertThat(store.committedBatches() - batchesBefore).isBetween(2L, 3L);
    List<StoredAuditEvent> log = readAll(store);
    assertThat(log).hasSize(count + 1);
    assertIntactFromGenesis(log);
  }

  @Test
  void writerWhenOneOperationFailsInABatchThenOnlyItIsRolledBack() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    TokenRecord a = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    TokenRecord duplicate =
        TestRecords.tokenRecord(Namespace.DEFAULT, keyId).token(a.token()).build();
    TokenRecord b = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    AuditEvent aEvent = TestRecords.tokenizeEvent(a);
    AuditEvent appended = TestRecords.event(AuditAction.DETOKENIZE).build();
    AuditEvent bEvent = TestRecords.tokenizeEvent(b);
    Gate gate = gate();
    long batchesBefore = store.committedBatches();

    var first = store.insertToken(a, aEvent);
    var second = store.insertToken(duplicate, TestRecords.tokenizeEvent(duplicate));
    var third = store.append(appended);
    var fourth = store.insertToken(b, bEvent);
    gate.open();

    await(first);
    assertThat(failure(second)).isInstanceOf(StoreException.DuplicateToken.class);
    await(third);
    await(fourth);
    // The four writes shared one transaction: the gate's own, when a log sync was still under way
    // as it returned, or the next one.
    assertThat(store.committedBatches() - batchesBefore).isBetween(1L, 2L);
    List<StoredAuditEvent> log = readAll(store);
    assertThat(ids(log.subList(1, log.size())))
        .containsExactly(aEvent.eventId(), appended.eventId(), bEvent.eventId());
    assertIntactFromGenesis(log);
    assertThat(await(store.findToken(a.token()))).contains(a);
  }

  @Test
  void writerWhenBatchNotYetCommittedThenNoFutureOfItIsComplete() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    TokenRecord record = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    Gate first = gate();
    CompletableFuture<Void> write =
        store.insertToken(record, TestRecords.tokenizeEvent(record)).toCompletableFuture();
    CountDownLatch secondEntered = new CountDownLatch(1);
    CountDownLatch secondRelease = new CountDownLatch(1);
    CompletableFuture<Void> second =
        store.write(
            tx -> {
              secondEntered.countDown();
              try {
                secondRelease.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return null;
            });

    // Released, not awaited: while a log sync is still under way when the first gate returns, the
    // writer keeps its transaction open, so the gate's write shares the batch too and completes
    // only with it (waiting for it here would wait for the second gate, which waits for us).
    first.release().countDown();
    try {
      // The write and the second gate now share a batch: the write has run, the batch is open.
      secondEntered.await();
      assertThat(write).isNotDone();
      assertThat(await(store.findToken(record.token()))).isEmpty();
    } finally {
      secondRelease.countDown(); // also when an assertion failed: close() waits for the writer
    }
    await(second);
    await(write);
    await(first.held());
    assertThat(await(store.findToken(record.token()))).contains(record);
  }

  @Test
  void writerWhenOperationFailsAfterAuditingThenItsEventIsGoneAndTheChainSkipsIt() {
    open();
    AuditEvent kept1 = TestRecords.event(AuditAction.DETOKENIZE).build();
    AuditEvent lost = TestRecords.event(AuditAction.DETOKENIZE).build();
    AuditEvent kept2 = TestRecords.event(AuditAction.DETOKENIZE).build();
    await(store.append(kept1));

    Throwable failed =
        failure(
            store.write(
                tx -> {
                  tx.audit(lost);
                  throw new StoreException("refused after auditing", null);
                }));
    await(store.append(kept2));

    assertThat(failed).hasMessage("refused after auditing");
    List<StoredAuditEvent> log = readAll(store);
    assertThat(ids(log)).containsExactly(kept1.eventId(), kept2.eventId());
    assertIntactFromGenesis(log);
  }

  @Test
  void writerWhenTokenNamesUnknownDataKeyThenRefusedWithoutEvent() {
    open();
    TokenRecord orphan = TestRecords.tokenRecord(Namespace.DEFAULT, "dk_missing").build();

    Throwable failed = failure(store.insertToken(orphan, TestRecords.tokenizeEvent(orphan)));

    assertThat(failed).isInstanceOf(StoreException.class);
    assertThat(await(store.findToken(orphan.token()))).isEmpty();
    assertThat(readAll(store)).isEmpty();
  }

  @Test
  void writerWhenManyThreadsWriteAtOnceThenEveryWriteStoredAndChainIntact() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    int threads = 32;
    int perThread = 25;

    List<List<TokenRecord>> written =
        Race.race(
            threads,
            i -> {
              List<TokenRecord> mine = new ArrayList<>();
              List<CompletableFuture<Void>> futures = new ArrayList<>();
              for (int j = 0; j < perThread; j++) {
                TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
                mine.add(r);
                futures.add(
                    store.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture());
              }
              futures.forEach(f -> await(f));
              return mine;
            });

    for (List<TokenRecord> records : written) {
      for (TokenRecord r : records) {
        assertThat(await(store.findToken(r.token()))).contains(r);
      }
    }
    List<StoredAuditEvent> log = readAll(store);
    assertThat(log).hasSize(threads * perThread + 1);
    assertIntactFromGenesis(log);
  }

  @Test
  void readWhenWriterIsInsideATransactionThenAnswersFromLastCommit() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    TokenRecord committed = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    await(store.insertToken(committed, TestRecords.tokenizeEvent(committed)));
    TokenRecord pending = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    CountDownLatch written = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> held =
        store.write(
            tx -> {
              var ps = tx.prepare(Rows.INSERT_TOKEN);
              Rows.bindToken(ps, pending, new SqliteDialect());
              ps.executeUpdate();
              written.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return null;
            });
    written.await();

    // The writer holds the write lock with an uncommitted row: WAL readers neither wait nor see it.
    assertThat(await(store.findToken(committed.token()))).contains(committed);
    assertThat(await(store.findToken(pending.token()))).isEmpty();

    release.countDown();
    await(held);
    assertThat(await(store.findToken(pending.token()))).contains(pending);
  }

  // ---- close

  @Test
  void closeWhenWritesQueuedThenAllCommittedAndDurable() throws Exception {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    Gate gate = gate();
    List<TokenRecord> records = new ArrayList<>();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
      records.add(r);
      writes.add(store.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture());
    }
    SqliteStore closing = store;
    Thread closer = new Thread(closing::close);
    closer.start();
    gate.open();
    closer.join();

    writes.forEach(w -> assertThat(w).isCompleted().isNotCompletedExceptionally());
    TokenRecord late = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    assertThat(failure(closing.insertToken(late, TestRecords.tokenizeEvent(late))))
        .isInstanceOf(StoreException.class);
    assertThat(failure(closing.findToken(late.token()))).isInstanceOf(StoreException.class);

    open();
    for (TokenRecord r : records) {
      assertThat(await(store.findToken(r.token()))).contains(r);
    }
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void deleteTokenWhenDeletedThenCiphertextLeavesTheFile() {
    open();
    String keyId = givenDataKey(Namespace.DEFAULT);
    TokenRecord record = TestRecords.tokenRecord(Namespace.DEFAULT, keyId).build();
    await(store.insertToken(record, TestRecords.tokenizeEvent(record)));
    assertThat(SqliteFiles.contains(SqliteFiles.readAll(file()), record.ciphertext())).isTrue();

    await(
        store.deleteToken(
            record.token(),
            Namespace.DEFAULT,
            TestRecords.deleteEvent(record.token(), Namespace.DEFAULT)));
    store.close();
    store = null;

    // Closing checkpoints the log into the file and removes it; secure_delete zeroed the row.
    assertThat(dir.resolve("vault.db-wal")).doesNotExist();
    assertThat(SqliteFiles.contains(SqliteFiles.readAll(file()), record.ciphertext())).isFalse();
  }

  // ---- helpers

  private String writerPragma(String name) {
    return await(
        store.write(
            tx -> {
              try (ResultSet rs = tx.prepare("PRAGMA " + name).executeQuery()) {
                rs.next();
                return rs.getString(1);
              }
            }));
  }

  private String givenDataKey(Namespace ns) {
    DataKeyRecord key = TestRecords.dataKey(ns);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    return key.keyId();
  }

  /** Closes the store, opens it again, and finds every record and an intact audit chain. */
  private void assertEveryRecordSurvivesAReopen(List<TokenRecord> records) {
    store.close();
    store = null;
    open();
    for (TokenRecord r : records) {
      assertThat(await(store.findToken(r.token()))).isPresent();
    }
    assertIntactFromGenesis(readAll(store));
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file());
  }

  private static List<Integer> schemaVersions(Connection c) throws SQLException {
    List<Integer> versions = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
    }
    return versions;
  }

  /** Holds the writer inside an operation until {@link #open()}, so that writes queue up. */
  private Gate gate() throws InterruptedException {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> held =
        store.write(
            tx -> {
              entered.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return null;
            });
    entered.await();
    return new Gate(release, held);
  }

  private record Gate(CountDownLatch release, CompletableFuture<Void> held) {
    void open() {
      release.countDown();
      await(held);
    }
  }
}
