package dev.tokenvault.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * What differs between the SQL engines behind {@link JdbcStore}; everything else (statements, group
 * commit, migrations, row mapping) is one code path. The statements themselves stay in the common
 * subset of SQLite and PostgreSQL: {@code INSERT ... ON CONFLICT DO NOTHING}, {@code
 * SAVEPOINT}/{@code ROLLBACK TO SAVEPOINT}/{@code RELEASE SAVEPOINT}, {@code LIMIT}.
 */
interface Dialect {

  /** The folder under {@code db/} holding this engine's migration scripts. */
  String migrationLocation();

  /** Session settings for the one connection that writes (durability, locking). */
  void configureWriter(Connection connection) throws SQLException;

  /** Session settings for a connection that only reads. */
  void configureReader(Connection connection) throws SQLException;

  /**
   * Starts a write transaction. It must take the database's write lock up front, so that a
   * check-then-insert inside it cannot race with another writer.
   */
  void begin(Connection connection) throws SQLException;

  void commit(Connection connection) throws SQLException;

  void rollback(Connection connection) throws SQLException;

  /**
   * Whether this process is the database's only writer, so the writer may keep the audit chain's
   * head in memory between batches. True for SQLite (the store locks its file). A server database
   * shared by several vault processes answers false: the head is then read again at the start of
   * every batch, after {@link #begin} took a database-wide write lock (on PostgreSQL, {@code
   * pg_advisory_xact_lock}), so the chain stays one line across processes.
   */
  boolean exclusiveWriter();

  /**
   * How the writer makes a committed batch durable before it acknowledges it: {@code null} when
   * {@code COMMIT} itself is durable (PostgreSQL); otherwise a sync the writer runs on a thread of
   * its own after {@code COMMIT} returned (see {@link GroupCommitWriter.LogSync}).
   *
   * @param writer the configured write connection
   */
  default GroupCommitWriter.LogSync logSync(Connection writer) throws SQLException {
    return null;
  }

  /**
   * Whether {@link JdbcStore#listTokensByFingerprintVersion} pages by the table's rowid (SQLite:
   * its index on {@code (namespace, fingerprint_version)} is in rowid order, migration V4) rather
   * than by token (PostgreSQL: index {@code (namespace, fingerprint_version, token)}, V3).
   */
  default boolean pagesTokensByRowid() {
    return false;
  }

  /**
   * Whether audit events are found by their token's row ({@code token_ref}, SQLite migration V5)
   * rather than by an index on the token text: the writer inserts events with {@link
   * Rows#INSERT_AUDIT_EVENT_WITH_TOKEN_REF}, a token's delete first runs {@link
   * Rows#REMEMBER_DELETED_TOKEN_REF}, and a query by token reads three ordered branches (see {@link
   * JdbcStore#query}).
   */
  default boolean auditEventsByTokenRef() {
    return false;
  }

  /** A constraint (unique, foreign key, check, not null) refused a statement. */
  boolean isConstraintViolation(SQLException e);

  void setInstant(PreparedStatement statement, int index, Instant value) throws SQLException;

  Instant getInstant(ResultSet row, String column) throws SQLException;

  /** A text column's value, or null for SQL {@code NULL}. Every row mapper reads text this way. */
  default String getText(ResultSet row, String column) throws SQLException {
    return row.getString(column);
  }
}
