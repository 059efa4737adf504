package dev.tokenvault.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL settings and encodings.
 *
 * <h2>Several writers</h2>
 *
 * Many vault processes may share one database, each with its own {@link GroupCommitWriter}. Every
 * write transaction therefore starts with {@code pg_advisory_xact_lock(}{@value #WRITE_LOCK_KEY}
 * {@code )}: one database-wide lock, released by {@code COMMIT} or {@code ROLLBACK} (or when the
 * session dies). Under it a writer reads the audit chain's head, appends, and commits, so the chain
 * stays one line ({@link #exclusiveWriter()} is false: the head is read again in every batch), and
 * every check-then-insert (deterministic tokens, idempotent payments, data keys if absent) is
 * serialized with every other process's. Under {@code READ COMMITTED} each statement sees what the
 * previous lock holder committed. The unique indexes stay the backstop. The cost is that batches of
 * different processes do not overlap; each holds the lock for a few milliseconds, and group commit
 * keeps the number of batches far below the number of requests.
 *
 * <h2>Durability</h2>
 *
 * A write is acknowledged after {@code COMMIT} returned. With {@code synchronous_commit} at its
 * default ({@code on}), or at a replication level ({@code remote_write}, {@code remote_apply}), the
 * commit record is flushed before that. {@code off} would acknowledge writes a server crash can
 * lose, so a writer session that finds it {@code off} sets it back to {@code on} for itself and
 * says so in the log ({@code local} flushes locally and is left alone).
 *
 * <h2>Times</h2>
 *
 * The same fixed-width text as SQLite ({@link FixedUtcTime}), exact to the nanosecond: an
 * audit event's time is hashed, so it must read back exactly as written; {@code timestamptz} would
 * round to microseconds.
 */
final class PostgresDialect implements Dialect {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresDialect.class);

  /**
   * The advisory lock every write transaction takes (ASCII "tokenvlt"). Advisory locks are per
   * database: two vaults in different schemas of one database share it, which only serializes their
   * writes.
   */
  static final long WRITE_LOCK_KEY = 0x746f6b656e766c74L;

  /**
   * How long a writer waits for the write lock (or any row lock) before its batch fails: batches
   * hold it for milliseconds, so waiting longer than this means another process is stuck mid-batch;
   * failing surfaces that instead of hanging every request.
   */
  static final String LOCK_TIMEOUT = "10s";

  /**
   * A writer session stuck inside a transaction (a process paused or cut off mid-batch) is ended by
   * the server after this long, releasing the write lock for the other vault processes.
   */
  static final String IDLE_IN_TRANSACTION_TIMEOUT = "60s";

  /** The writer session's {@code application_name}; readers keep the pool's "tokenvault". */
  static final String WRITER_APPLICATION_NAME = "tokenvault-writer";

  @Override
  public String migrationLocation() {
    return "db/postgresql";
  }

  @Override
  public void configureWriter(Connection connection) throws SQLException {
    connection.setAutoCommit(true);
    try (Statement s = connection.createStatement()) {
      // Operators (and tests) can tell the writer's session apart in pg_stat_activity.
      s.execute("SET application_name = '" + WRITER_APPLICATION_NAME + "'");
      s.execute("SET lock_timeout = '" + LOCK_TIMEOUT + "'");
      s.execute("SET idle_in_transaction_session_timeout = '" + IDLE_IN_TRANSACTION_TIMEOUT + "'");
      String sync;
      try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
        sync = rs.next() ? rs.getString(1).toLowerCase(Locale.ROOT) : "";
      }
      if ("off".equals(sync)) {
        LOG.warn(
            "synchronous_commit is off for this database; the vault's writer sets it to on for"
                + " its session, since acknowledged writes must survive a server crash");
        s.execute("SET synchronous_commit = on");
      }
    }
    // From here on the driver opens a transaction before the first statement ({@link #begin}).
    connection.setAutoCommit(false);
  }

  @Override
  public void configureReader(Connection connection) {
    // Reads are single SELECTs in auto-commit; the runtime role's grants keep them harmless.
  }

  @Override
  public boolean exclusiveWriter() {
    return false;
  }

  /** Takes the database-wide write lock; the driver has begun the transaction implicitly. */
  @Override
  public void begin(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + WRITE_LOCK_KEY + ")");
    }
  }

  @Override
  public void commit(Connection connection) throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback(Connection connection) throws SQLException {
    connection.rollback();
  }

  /** SQLSTATE class 23: integrity constraint violation. */
  @Override
  public boolean isConstraintViolation(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("23");
  }

  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.VARCHAR);
    } else {
      statement.setString(index, FixedUtcTime.format(value));
    }
  }

  @Override
  public Instant getInstant(ResultSet row, String column) throws SQLException {
    String text = row.getString(column);
    return text == null ? null : FixedUtcTime.parse(text);
  }
}
