package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.audit.AuditChainVerifier;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.ChainVerification;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.testkit.Race;
import dev.tokenvault.testkit.TestRecords;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only a server database has: schema migrations by Flyway, a least-privilege runtime role,
 * several vault processes (here: two {@link PostgresStore} instances, each with its own pool and
 * writer) sharing one database, and connections the server drops.
 */
class PostgresStoreTest {
  /** Migrations Flyway applies to an empty database (V1, V3: V2 was SQLite's alone). */
  private static final int MIGRATIONS = 2;

  /** The runtime grants of docs/postgresql.md, for a role named tv_app. */
  static final String[] RUNTIME_GRANTS = {
    "GRANT USAGE ON SCHEMA public TO tv_app",
    "GRANT SELECT, INSERT ON data_keys, audit_events, payments TO tv_app",
    "GRANT SELECT, INSERT, DELETE ON tokens TO tv_app",
    "GRANT UPDATE (kek_id, kek_version, wrapped) ON data_keys TO tv_app",
    "GRANT DELETE ON data_keys TO tv_app",
    "GRANT UPDATE (fingerprint, fingerprint_version) ON tokens TO tv_app",
    "GRANT SELECT ON flyway_schema_history TO tv_app",
  };

  private String url;
  private final List<PostgresStore> opened = new ArrayList<>();

  @BeforeEach
  void newDatabase() {
    url = PostgresServer.newDatabase();
  }

  @AfterEach
  void closeStores() {
    for (PostgresStore s : opened) {
      s.close();
    }
  }

  private PostgresStore open() {
    return open(PostgresServer.settings(url));
  }

  private PostgresStore open(PostgresSettings settings) {
    PostgresStore store = PostgresStore.open(settings);
    opened.add(store);
    return store;
  }

  // ---- schema

  @Test
  void migrateWhenAppliedTwiceThenSecondRunIsANoOp() throws Exception {
    open().close();
    opened.clear();
    String before = schemaDump();

    int executed =
        Flyway.configure()
            .dataSource(url, PostgresServer.SUPERUSER, "")
            .locations("classpath:db/postgresql")
            .load()
            .migrate()
            .migrationsExecuted;
    PostgresStore again = open();

    assertThat(executed).isZero();
    assertThat(schemaDump()).isEqualTo(before);
    assertThat(count("SELECT count(*) FROM flyway_schema_history WHERE success"))
        .isEqualTo(MIGRATIONS);
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(again.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    assertThat(await(again.findDataKey(key.keyId()))).contains(key);
  }

  @Test
  void openWhenFourNodesStartTogetherOnAnEmptyDatabaseThenTheSchemaIsMigratedOnce()
      throws Exception {
    List<PostgresStore> stores =
        Race.race(4, i -> PostgresStore.open(PostgresServer.settings(url)));
    opened.addAll(stores);

    assertThat(count("SELECT count(*) FROM flyway_schema_history WHERE success"))
        .isEqualTo(MIGRATIONS);
    for (PostgresStore s : stores) {
      DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
      await(s.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    }
    assertIntactFromGenesis(readAll(stores.get(0)));
  }

  @Test
  void openWhenTheSchemaIsNewerThanThisBuildThenOpensForARollingUpgrade() {
    open().close();
    opened.clear();
    // What a newer release's migration leaves behind.
    PostgresServer.execute(
        url,
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
            + " checksum, installed_by, execution_time, success) VALUES (99, '99', 'later release',"
            + " 'SQL', 'V99__later_release.sql', 0, 'postgres', 0, true)");

    for (boolean migrate : new boolean[] {false, true}) {
      PostgresStore store = open(PostgresServer.settings(url).withMigrate(migrate));
      DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
      await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    }
  }

  @Test
  void openWhenMigrateOffAndSchemaMissingThenFails() {
    assertThatThrownBy(() -> open(PostgresServer.settings(url).withMigrate(false)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not at this build's version");
    assertThat(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).isZero();
  }

  @Test
  void openWhenMigrateOffThenARoleWithOnlyTheDocumentedGrantsRunsTheStore() throws Exception {
    open().close();
    opened.clear();
    PostgresServer.execute(url, "CREATE ROLE tv_app LOGIN PASSWORD 'tv-app-secret'");
    PostgresServer.execute(url, RUNTIME_GRANTS);
    PostgresStore store =
        open(PostgresSettings.of(url, "tv_app", "tv-app-secret".toCharArray()).withMigrate(false));

    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    TokenRecord token = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    await(store.insertToken(token, TestRecords.tokenizeEvent(token)));
    TokenRecord det =
        TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId())
            .deterministic(TestRecords.fingerprint())
            .build();
    assertThat(
            await(
                    store.insertTokenIfFingerprintAbsent(
                        det, TestRecords.tokenizeEvent(det), TestRecords.now()))
                .created())
        .isTrue();
    Payment payment = TestRecords.payment("merchant-a", TestRecords.idempotencyKey()).build();
    assertThat(
            await(store.insertPaymentIfAbsent(payment, TestRecords.paymentEvent(payment)))
                .created())
        .isTrue();
    // Key custody: a KEK rewrap, a re-fingerprint, a fingerprint-key retirement.
    WrappedKey rewrapped =
        new WrappedKey(key.wrapped().kekId(), key.wrapped().kekVersion() + 1, new byte[] {1, 2, 3});
    assertThat(
            await(
                store.rewrapDataKey(
                    key.keyId(), key.wrapped(), rewrapped, TestRecords.dataKeyEvent(key))))
        .isTrue();
    assertThat(
            await(
                store.refingerprintToken(
                    det.token(),
                    det.fingerprint(),
                    TestRecords.fingerprint(2),
                    TestRecords.event(AuditAction.REFINGERPRINT_TOKEN).build())))
        .isTrue();
    DataKeyRecord fk = TestRecords.fingerprintKey(Namespace.DEFAULT, 1);
    await(store.insertDataKey(fk, TestRecords.dataKeyEvent(fk)));
    assertThat(
            await(
                store.deleteDataKey(
                    fk.keyId(), TestRecords.event(AuditAction.RETIRE_FINGERPRINT_KEY).build())))
        .isTrue();
    assertThat(
            await(
                store.deleteToken(
                    token.token(),
                    Namespace.DEFAULT,
                    TestRecords.deleteEvent(token.token(), Namespace.DEFAULT))))
        .isTrue();
    assertIntactFromGenesis(readAll(store));

    // The audit trail is append-only for the runtime role, and it cannot change the schema.
    try (Connection c = DriverManager.getConnection(url, "tv_app", "tv-app-secret");
        Statement s = c.createStatement()) {
      for (String forbidden :
          List.of(
              "UPDATE audit_events SET outcome = 'SUCCESS'",
              "DELETE FROM audit_events",
              "TRUNCATE audit_events",
              "UPDATE tokens SET last4 = '0000'",
              "DELETE FROM payments",
              "CREATE TABLE sneaky (x int)",
              "DROP TABLE tokens")) {
        assertThatThrownBy(() -> s.execute(forbidden))
            .as(forbidden)
            .isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("42501", "42P01"));
      }
    }
  }

  // ---- several vault processes on one database

  @Test
  void twoStoresWhenWritingConcurrentlyThenOneIntactAuditChain() throws Exception {
    PostgresStore a = open();
    PostgresStore b = open();
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(a.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    int perStore = 300;

    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < perStore; i++) {
      for (PostgresStore s : List.of(a, b)) {
        TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
        writes.add(s.insertToken(r, TestRecords.tokenizeEvent(r)).toCompletableFuture());
      }
    }
    // And strictly alternating, so that each batch must start from the other store's head.
    for (int i = 0; i < 10; i++) {
      PostgresStore s = i % 2 == 0 ? a : b;
      TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
      await(s.insertToken(r, TestRecords.tokenizeEvent(r)));
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

    List<StoredAuditEvent> fromA = readAll(a);
    assertThat(fromA).hasSize(1 + 2 * perStore + 10);
    assertThat(readAll(b)).isEqualTo(fromA);
    assertIntactFromGenesis(fromA);
    ChainVerification verified = await(AuditChainVerifier.verify(b));
    assertThat(verified.intact()).isTrue();
    assertThat(verified.eventsChecked()).isEqualTo(fromA.size());
  }

  @Test
  void deterministicInsertWhenSixtyFourRacersSplitAcrossTwoStoresThenOneToken() throws Exception {
    PostgresStore a = open();
    PostgresStore b = open();
    Namespace ns = TestRecords.namespace();
    DataKeyRecord key = TestRecords.dataKey(ns);
    await(a.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    String fp = TestRecords.fingerprint();
    Instant now = TestRecords.now();

    List<Race.Attempt<TokenRecord, InsertResult>> outcomes =
        Race.race(
            64,
            i -> {
              PostgresStore s = i % 2 == 0 ? a : b;
              TokenRecord r = TestRecords.tokenRecord(ns, key.keyId()).deterministic(fp).build();
              return new Race.Attempt<>(
                  r, s.insertTokenIfFingerprintAbsent(r, TestRecords.tokenizeEvent(r), now));
            });

    List<InsertResult> results = outcomes.stream().map(o -> await(o.stage())).toList();
    Set<Token> tokens = results.stream().map(r -> r.record().token()).collect(Collectors.toSet());
    assertThat(tokens).hasSize(1);
    assertThat(results).filteredOn(InsertResult::created).hasSize(1);
    assertThat(count("SELECT count(*) FROM tokens WHERE fingerprint = '" + fp + "'")).isEqualTo(1);
    List<StoredAuditEvent> log = readAll(a);
    assertIntactFromGenesis(log);
    assertThat(log).hasSize(1 + 64);
  }

  @Test
  void paymentWhenSixteenRetriesSplitAcrossTwoStoresThenOnePayment() throws Exception {
    PostgresStore a = open();
    PostgresStore b = open();
    String idempotencyKey = TestRecords.idempotencyKey();

    List<PaymentInsert> results =
        Race.race(
            16,
            i -> {
              PostgresStore s = i % 2 == 0 ? a : b;
              Payment p = TestRecords.payment("merchant-a", idempotencyKey).build();
              return await(s.insertPaymentIfAbsent(p, TestRecords.paymentEvent(p)));
            });

    assertThat(results).filteredOn(PaymentInsert::created).hasSize(1);
    Set<String> ids = new HashSet<>();
    results.forEach(r -> ids.add(r.payment().id()));
    assertThat(ids).hasSize(1);
    assertThat(count("SELECT count(*) FROM payments")).isEqualTo(1);
    List<StoredAuditEvent> log = readAll(b);
    assertThat(log).hasSize(1);
    assertIntactFromGenesis(log);
  }

  // ---- failures

  @Test
  void batchWhenAStatementFailsForTheDatabaseThenNothingOfItsWritesRemains() {
    PostgresStore store = open();
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    TokenRecord good = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    TokenRecord doomed = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    AuditEvent doomedEvent = TestRecords.tokenizeEvent(doomed);

    CompletableFuture<Void> first =
        store.insertToken(good, TestRecords.tokenizeEvent(good)).toCompletableFuture();
    // Inserts a token and its event, then hits an error that is not a constraint violation: the
    // writer must roll the whole transaction back, not just this operation's savepoint.
    CompletableFuture<Object> broken =
        store.write(
            tx -> {
              Rows.bindToken(tx.prepare(Rows.INSERT_TOKEN), doomed, tx.dialect());
              tx.prepare(Rows.INSERT_TOKEN).executeUpdate();
              tx.audit(doomedEvent);
              tx.prepare("SELECT 1 / 0").execute();
              return null;
            });

    assertThat(failure(broken)).isInstanceOf(StoreException.class);
    boolean firstSucceeded = !first.isCompletedExceptionally() && succeeded(first);
    assertThat(await(store.findToken(doomed.token()))).isEmpty();
    assertThat(await(store.findToken(good.token())).isPresent()).isEqualTo(firstSucceeded);
    List<StoredAuditEvent> log = readAll(store);
    assertThat(log).extracting(e -> e.event().eventId()).doesNotContain(doomedEvent.eventId());
    assertIntactFromGenesis(log);
    // The writer carries on.
    TokenRecord after = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    await(store.insertToken(after, TestRecords.tokenizeEvent(after)));
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void writerWhenTheServerDropsItsConnectionThenTheNextWriteReconnects() throws Exception {
    PostgresStore store = open();
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));

    assertThat(
            count(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database()"
                    + " AND application_name = '"
                    + PostgresDialect.WRITER_APPLICATION_NAME
                    + "') killed"))
        .isEqualTo(1);
    TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    await(store.insertToken(r, TestRecords.tokenizeEvent(r)));

    assertThat(await(store.findToken(r.token()))).isPresent();
    assertIntactFromGenesis(readAll(store));
  }

  @Test
  void readsWhenTheServerDropsEveryPooledConnectionThenStillAnswer() throws Exception {
    PostgresStore store = open();
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    assertThat(await(store.findDataKey(key.keyId()))).contains(key);

    count(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE datname = current_database() AND application_name LIKE 'tokenvault%')"
            + " killed");

    for (int i = 0; i < 8; i++) {
      assertThat(await(store.findDataKey(key.keyId()))).contains(key);
    }
    TokenRecord r = TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId()).build();
    await(store.insertToken(r, TestRecords.tokenizeEvent(r)));
    assertThat(await(store.findToken(r.token()))).isPresent();
  }

  @Test
  void openWhenNoServerListensThenFailsWithoutLeakingThePassword() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String deadUrl = "jdbc:postgresql://127.0.0.1:" + port + "/tv?connectTimeout=2";

    assertThatThrownBy(
            () -> open(PostgresSettings.of(deadUrl, "tv_app", "s3cret-pw".toCharArray())))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot connect")
        .hasMessageNotContaining("s3cret-pw");
  }

  @Test
  void openWhenThePasswordIsInTheUrlThenNoLogLineShowsIt() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    String secretUrl = url + "?password=in-url-pw-42";
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      // Trust authentication on the embedded server: any password logs in.
      open(PostgresSettings.of(secretUrl, PostgresServer.SUPERUSER, "s3cret-pw".toCharArray()))
          .close();
      opened.clear();
    } finally {
      System.setErr(original);
    }

    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log)
        .contains("Opened PostgreSQL store", "Database: jdbc:postgresql:")
        .doesNotContain("in-url-pw-42", "s3cret-pw");
  }

  // ---- encodings and settings

  @Test
  void timesWhenNanosecondPreciseThenReadBackExactlyAndTheirEventsStillVerify() {
    PostgresStore store = open();
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    await(store.insertDataKey(key, TestRecords.dataKeyEvent(key)));
    Instant precise = Instant.parse("2026-03-04T05:06:07.123456789Z");
    TokenRecord r =
        TestRecords.tokenRecord(Namespace.DEFAULT, key.keyId())
            .createdAt(precise)
            .expiresAt(precise.plusSeconds(3600).plusNanos(1))
            .build();
    AuditEvent event =
        AuditEvent.builder("Tokenize", TestRecords.actor(), precise)
            .namespace("default")
            .token(r.token().value())
            .build();

    await(store.insertToken(r, event));

    assertThat(await(store.findToken(r.token()))).contains(r);
    List<StoredAuditEvent> log = readAll(store);
    assertThat(log.get(log.size() - 1).event().eventTime()).isEqualTo(precise);
    assertIntactFromGenesis(log);
  }

  @Test
  void writerSessionWhenTheDatabaseDefaultsToAsynchronousCommitThenCommitsSynchronously()
      throws Exception {
    String database = url.substring(url.lastIndexOf('/') + 1);
    PostgresServer.execute(url, "ALTER DATABASE " + database + " SET synchronous_commit = off");
    try (Connection c = PostgresServer.admin(url)) {
      new PostgresDialect().configureWriter(c);
      c.commit();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("on");
      }
    }
  }

  @Test
  void settingsWhenPrintedThenPasswordMasked() {
    PostgresSettings settings =
        PostgresSettings.of(
            "jdbc:postgresql://db:5432/vault?sslmode=verify-full&password=in-url-pw",
            "vault",
            "s3cret-pw".toCharArray());

    assertThat(settings.toString())
        .contains("password=<masked>", "sslmode=verify-full")
        .doesNotContain("s3cret-pw", "in-url-pw");
    assertThat(settings.passwordOnce()).isEqualTo("s3cret-pw");
    assertThat(settings.poolSize()).isEqualTo(PostgresSettings.DEFAULT_POOL_SIZE);
    assertThat(settings.migrate()).isTrue();
  }

  @Test
  void settingsWhenCallerClearsItsPasswordArrayThenTheSettingsKeepTheirCopy() {
    char[] password = "s3cret-pw".toCharArray();
    PostgresSettings settings = PostgresSettings.of("jdbc:postgresql://db/vault", "v", password);
    java.util.Arrays.fill(password, '\0');

    assertThat(settings.passwordOnce()).isEqualTo("s3cret-pw");
    assertThatThrownBy(() -> settings.withPoolSize(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PostgresSettings.of("jdbc:sqlite:x", "v", password))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void settingsWhenReadFromConfigurationNamesThenEveryNameIsUsed() {
    java.util.Map<String, String> config =
        new java.util.HashMap<>(
            java.util.Map.of(
                "tokenvault.store.postgres.url", "jdbc:postgresql://db/vault?sslmode=verify-full",
                "tokenvault.store.postgres.username", "tokenvault_app",
                "tokenvault.store.postgres.password", "first-pw",
                "tokenvault.store.postgres.pool-size", "8",
                "tokenvault.store.postgres.migrate", "false"));

    PostgresSettings settings = PostgresSettings.fromConfig(config::get);
    config.put("tokenvault.store.postgres.password", "rotated-pw");

    assertThat(settings.url()).isEqualTo("jdbc:postgresql://db/vault?sslmode=verify-full");
    assertThat(settings.username()).isEqualTo("tokenvault_app");
    assertThat(settings.poolSize()).isEqualTo(8);
    assertThat(settings.migrate()).isFalse();
    assertThat(settings.passwordOnce()).isEqualTo("rotated-pw");
    assertThat(
            PostgresSettings.fromConfig(
                java.util.Map.of("tokenvault.store.postgres.url", "jdbc:postgresql://db/v")::get))
        .satisfies(
            d -> {
              assertThat(d.migrate()).isTrue();
              assertThat(d.password()).isNull();
              assertThat(d.poolSize()).isEqualTo(PostgresSettings.DEFAULT_POOL_SIZE);
            });
    assertThatThrownBy(() -> PostgresSettings.fromConfig(java.util.Map.<String, String>of()::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenvault.store.postgres.url");
  }

  // ---- helpers

  private static boolean succeeded(CompletableFuture<?> f) {
    try {
      f.join();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private long count(String sql) {
    try (Connection c = PostgresServer.admin(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** Tables, columns, types and indexes of the public schema, as text. */
  private String schemaDump() throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = PostgresServer.admin(url);
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT table_name, column_name, data_type, is_nullable FROM"
                  + " information_schema.columns WHERE table_schema = 'public'"
                  + " ORDER BY table_name, ordinal_position")) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('.').append(rs.getString(2)).append(' ');
          out.append(rs.getString(3)).append(' ').append(rs.getString(4)).append('\n');
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('\n');
        }
      }
    }
    return out.toString();
  }
}
