package dev.tokenvault.store.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.Executor;

/** A started {@link GroupCommitWriter} on a migrated SQLite file, for tests of the writer itself. */
final class SqliteWriters {
  private SqliteWriters() {}

  /**
   * @param sync the log sync, or null for none
   */
  static GroupCommitWriter open(Path file, Executor completions, GroupCommitWriter.LogSync sync)
      throws Exception {
    SqliteDialect dialect = new SqliteDialect();
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    dialect.configureWriter(c);
    new SchemaMigrator(dialect).migrate(c);
    GroupCommitWriter writer =
        new GroupCommitWriter(
            c,
            () -> DriverManager.getConnection("jdbc:sqlite:" + file),
            1,
            dialect,
            completions,
            sync,
            "test-writer");
    writer.start();
    return writer;
  }
}
