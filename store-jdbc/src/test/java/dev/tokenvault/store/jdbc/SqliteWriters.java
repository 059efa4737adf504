package dev.tokenvault.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.Executor;

/** A started {@link GroupCommitWriter} on a migrated SQLite file, for tests of the writer itself. */
final class SqliteWriters {
  private SqliteWriters() {}

  /** SQLite's dialect whose every {@code COMMIT} first waits {@code millis}. */
  static Dialect slowCommits(long millis) {
    Dialect sqlite = new SqliteDialect();
    return (Dialect)
        Proxy.newProxyInstance(
            Dialect.class.getClassLoader(),
            new Class<?>[] {Dialect.class},
            (proxy, method, args) -> {
              if (method.getName().equals("commit")) {
                Thread.sleep(millis);
              }
              try {
                return method.invoke(sqlite, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /**
   * @param sync the log sync, or null for none
   */
  static GroupCommitWriter open(Path file, Executor completions, GroupCommitWriter.LogSync sync)
      throws Exception {
    return open(file, completions, sync, new SqliteDialect());
  }

  /** As above, with {@code dialect} (SQLite's, or a wrapper of it). */
  static GroupCommitWriter open(
      Path file, Executor completions, GroupCommitWriter.LogSync sync, Dialect dialect)
      throws Exception {
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
