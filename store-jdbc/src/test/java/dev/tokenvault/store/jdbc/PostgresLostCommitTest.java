package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static dev.tokenvault.testkit.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.testkit.TestRecords;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection lost during {@code COMMIT} leaves the outcome unknown to the client; the writer must
 * find out which it was before it answers. The loss is staged by a dialect whose commit commits (or
 * rolls back) and then closes the connection and throws, as a network cut after the server received
 * the COMMIT would.
 */
class PostgresLostCommitTest {
  private String url;
  private final ExecutorService completions = Executors.newSingleThreadExecutor();

  @BeforeEach
  void migratedDatabase() {
    url = PostgresServer.newDatabase();
    PostgresStore.open(PostgresServer.settings(url)).close();
  }

  @AfterEach
  void stop() {
    completions.shutdownNow();
  }

  @Test
  void commitWhenConnectionLostAfterTheServerCommittedThenTheWriteSucceeds() throws Exception {
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    AuditEvent event = TestRecords.dataKeyEvent(key);

    try (GroupCommitWriter writer = writer(true)) {
      await(writer.submit(tx -> insertDataKey(tx, key, event)));
    }

    assertThat(eventStored(event)).isTrue();
    try (PostgresStore store = PostgresStore.open(PostgresServer.settings(url))) {
      assertThat(await(store.findDataKey(key.keyId()))).contains(key);
      assertIntactFromGenesis(readAll(store));
    }
  }

  @Test
  void commitWhenConnectionLostAndTheServerRolledBackThenTheWriteFailsAndNothingIsStored()
      throws Exception {
    DataKeyRecord key = TestRecords.dataKey(Namespace.DEFAULT);
    AuditEvent event = TestRecords.dataKeyEvent(key);

    CompletableFuture<Object> write;
    try (GroupCommitWriter writer = writer(false)) {
      write = writer.submit(tx -> insertDataKey(tx, key, event));
      assertThat(failure(write))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("nothing of it was stored");
    }

    assertThat(eventStored(event)).isFalse();
    try (PostgresStore store = PostgresStore.open(PostgresServer.settings(url))) {
      assertThat(await(store.findDataKey(key.keyId()))).isEmpty();
    }
  }

  private static Object insertDataKey(GroupCommitWriter.WriteTx tx, DataKeyRecord key, AuditEvent e)
      throws SQLException {
    PreparedStatement ps = tx.prepare(Rows.INSERT_DATA_KEY);
    Rows.bindDataKey(ps, key, tx.dialect());
    ps.executeUpdate();
    tx.audit(e);
    return null;
  }

  /** A writer whose first commit is "lost": applied ({@code applied}) or not, then the line cut. */
  private GroupCommitWriter writer(boolean applied) throws SQLException {
    PostgresDialect real = new PostgresDialect();
    Dialect losing =
        new Dialect() {
          private boolean lost;

          @Override
          public String migrationLocation() {
            return real.migrationLocation();
          }

          @Override
          public void configureWriter(Connection c) throws SQLException {
            real.configureWriter(c);
          }

          @Override
          public void configureReader(Connection c) {
            real.configureReader(c);
          }

          @Override
          public void begin(Connection c) throws SQLException {
            real.begin(c);
          }

          @Override
          public void commit(Connection c) throws SQLException {
            if (lost) {
              real.commit(c);
              return;
            }
            lost = true;
            if (applied) {
              real.commit(c);
            } else {
              real.rollback(c);
            }
            c.close();
            throw new SQLException("simulated: connection lost during COMMIT", "08006");
          }

          @Override
          public void rollback(Connection c) throws SQLException {
            real.rollback(c);
          }

          @Override
          public boolean exclusiveWriter() {
            return real.exclusiveWriter();
          }

          @Override
          public boolean isConstraintViolation(SQLException e) {
            return real.isConstraintViolation(e);
          }

          @Override
          public void setInstant(PreparedStatement s, int i, Instant v) throws SQLException {
            real.setInstant(s, i, v);
          }

          @Override
          public Instant getInstant(ResultSet r, String column) throws SQLException {
            return real.getInstant(r, column);
          }
        };
    Connection first = PostgresServer.admin(url);
    losing.configureWriter(first);
    GroupCommitWriter writer =
        new GroupCommitWriter(
            first, () -> PostgresServer.admin(url), losing, completions, "lost-commit-writer");
    writer.start();
    return writer;
  }

  private boolean eventStored(AuditEvent event) throws SQLException {
    try (Connection c = PostgresServer.admin(url);
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM audit_events WHERE event_id = ?")) {
      ps.setString(1, event.eventId());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) == 1;
      }
    }
  }
}
