package dev.tokenvault.store.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;

/**
 * SQLite settings and encodings.
 *
 * <h2>Pragmas</h2>
 *
 * <ul>
 *   <li>{@code journal_mode=WAL}: readers never block the writer nor each other, and a commit is
 *       one append to the log (persistent, set once per file).
 *   <li>Durable commits, fsynced off the writer thread: the writer runs {@code synchronous=NORMAL},
 *       so {@code COMMIT} appends the batch's frames to the log without waiting for the disk, and
 *       a sync thread fsyncs the log file ({@link #logSync}, {@link WalFileSync}) before any
 *       operation of the batch is acknowledged. An acknowledged write is therefore exactly as
 *       durable as with {@code synchronous=FULL} (its frames, with their commit marker, were on
 *       disk before the caller heard of it), but the writer runs the next batch while the disk
 *       flushes the previous one, and one fsync covers every batch committed since the last one.
 *       What {@code NORMAL} alone gives up (the last commits on a power cut) is never
 *       acknowledged. SQLite still syncs the log before each checkpoint and the database file
 *       after it, and the log header when the log is reused. Measured: COMMIT was 75% of the
 *       writer's time under load, nearly all of it the wait for fsync.
 *   <li>{@code foreign_keys=ON}: a token must name an existing data key.
 *   <li>{@code secure_delete=ON}: deleted rows are overwritten with zeros, so a deleted token's
 *       ciphertext does not linger in free pages (crypto-erase means the bytes are gone).
 *   <li>{@code busy_timeout}: see {@link #BUSY_TIMEOUT_MILLIS}.
 *   <li>{@code cache_size}: see {@link #WRITER_CACHE_KIB} and {@link #READER_CACHE_KIB}.
 * </ul>
 *
 * <h2>Times</h2>
 *
 * ISO-8601 UTC text with exactly nine fraction digits ({@code 2026-01-02T03:04:05.123456789Z}):
 * readable with the {@code sqlite3} shell, exact to the nanosecond, and fixed-width, so text order
 * is time order and range queries work on the column as stored.
 */
final class SqliteDialect implements Dialect {

  /**
   * How long a statement waits for a lock held by another connection before failing: long enough to
   * ride out a checkpoint or a second process's migration, short enough to surface a stuck lock as
   * an error rather than a hung request.
   */
  static final int BUSY_TIMEOUT_MILLIS = 5_000;

  /**
   * Page cache of the writer, in KiB (SQLite's default is 2,000 KiB). Tokens have random keys, so
   * every insert lands on a random leaf of the token and audit indexes; with the default cache a
   * database of a few tens of MB made the writer read pages back from the file on most inserts
   * (seen in a perf profile of the tokenize benchmark). 64 MiB keeps the hot index pages of
   * millions of tokens in memory.
   */
  static final int WRITER_CACHE_KIB = 64 * 1024;

  /**
   * The writer's automatic checkpoint threshold, in pages (SQLite's default is 1,000). Checkpoints
   * normally run on {@link WalCheckpointer}'s thread; this is only the backstop that bounds the log
   * (to about 64 MiB) if that thread falls behind.
   */
  static final int WRITER_AUTOCHECKPOINT_PAGES = 16_384;

  /** The log file is truncated back to this size after a checkpoint resets it. */
  static final long JOURNAL_SIZE_LIMIT_BYTES = 64L * 1024 * 1024;

  /** Page cache of each reader connection, in KiB: reads are point lookups by primary key. */
  static final int READER_CACHE_KIB = 16 * 1024;

  /** SQLite's primary result code for constraint violations ({@code SQLITE_CONSTRAINT}). */
  private static final int SQLITE_CONSTRAINT = 19;

  @Override
  public String migrationLocation() {
    return "db/sqlite";
  }

  @Override
  public void configureWriter(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode = WAL")) {
        String mode = rs.next() ? rs.getString(1) : null;
        if (!"wal".equalsIgnoreCase(mode)) {
          // Some file systems (network mounts) cannot do WAL; the durability design assumes it.
          throw new SQLException("SQLite refused WAL mode (journal_mode is " + mode + ")");
        }
      }
      // NORMAL: COMMIT writes the log without fsyncing it; the writer fsyncs it (logSync) before
      // it acknowledges the batch. See the class comment.
      s.execute("PRAGMA synchronous = NORMAL");
      s.execute("PRAGMA foreign_keys = ON");
      s.execute("PRAGMA secure_delete = ON");
      s.execute("PRAGMA cache_size = -" + WRITER_CACHE_KIB);
      s.execute("PRAGMA temp_store = MEMORY");
      s.execute("PRAGMA wal_autocheckpoint = " + WRITER_AUTOCHECKPOINT_PAGES);
      s.execute("PRAGMA journal_size_limit = " + JOURNAL_SIZE_LIMIT_BYTES);
    }
    // In its auto-commit mode sqlite-jdbc follows every statement with a BEGIN that it expects to
    // fail inside a transaction (and with a COMMIT of an empty one when it does not): native steps
    // that change nothing, 4% of the writer's CPU in a tokenize profile (bench/README, session 7).
    // This connection runs its own BEGIN IMMEDIATE / COMMIT statements and never JDBC's commit(),
    // so the driver's bookkeeping is switched off. SQLite's own behaviour is unchanged: a
    // statement outside BEGIN still commits by itself (migrations, the checkpoint hand-over).
    connection.unwrap(org.sqlite.SQLiteConnection.class).getConnectionConfig().setAutoCommit(false);
  }

  @Override
  public void configureReader(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
      s.execute("PRAGMA foreign_keys = ON");
      s.execute("PRAGMA query_only = ON");
      s.execute("PRAGMA cache_size = -" + READER_CACHE_KIB);
    }
  }

  /** The writer's commits become durable by an fsync of the log file (see the class comment). */
  @Override
  public GroupCommitWriter.LogSync logSync(Connection writer) throws SQLException {
    String file = null;
    try (Statement s = writer.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA database_list")) {
      while (rs.next()) {
        if ("main".equals(rs.getString("name"))) {
          file = rs.getString("file");
        }
      }
    }
    if (file == null || file.isEmpty()) {
      throw new SQLException("an in-memory SQLite database cannot be made durable");
    }
    return new WalFileSync(java.nio.file.Path.of(file + "-wal"));
  }

  /** The checkpoint connection: no cache of its own to speak of, never writes rows. */
  void configureCheckpointer(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
      s.execute("PRAGMA synchronous = FULL");
    }
  }

  /** Tokens of one fingerprint version in rowid order: the order of V4's index. */
  @Override
  public boolean pagesTokensByRowid() {
    return true;
  }

  /** Migration V5: events point at their token's row; see {@link Dialect#auditEventsByTokenRef}. */
  @Override
  public boolean auditEventsByTokenRef() {
    return true;
  }

  /** {@link SqliteStore} holds a lock file: no other writer exists while it is open. */
  @Override
  public boolean exclusiveWriter() {
    return true;
  }

  /** {@code BEGIN IMMEDIATE} takes the write lock at once rather than at the first write. */
  @Override
  public void begin(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }
  }

  @Override
  public void commit(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("COMMIT");
    }
  }

  @Override
  public void rollback(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("ROLLBACK");
    }
  }

  @Override
  public boolean isConstraintViolation(SQLException e) {
    return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT
        || (e.getSQLState() != null && e.getSQLState().startsWith("23"));
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
    String text = getText(row, column);
    return text == null ? null : FixedUtcTime.parse(text);
  }

  /**
   * The value's UTF-8 bytes, decoded here. sqlite-jdbc's {@code getString} hands each text value
   * over in a new direct {@code ByteBuffer}, made by a JNI call back into the JVM: 18% of a reader
   * thread's CPU in a detokenize profile (bench/README, session 7). {@code getBytes} copies the
   * same bytes ({@code sqlite3_column_blob} of a text value) into a {@code byte[]} in one call.
   */
  @Override
  public String getText(ResultSet row, String column) throws SQLException {
    byte[] utf8 = row.getBytes(column);
    return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
  }
}
