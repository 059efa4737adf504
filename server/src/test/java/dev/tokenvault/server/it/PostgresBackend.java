package dev.tokenvault.server.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real PostgreSQL server (zonky's embedded binaries, run under {@code unshare -U} as root) in
 * the test JVM, with production durability ({@code fsync}, {@code synchronous_commit} on), and
 * one database for the vault; the local key manager. The vault connects as the superuser over
 * localhost (trust authentication, so no password is configured).
 */
final class PostgresBackend implements Backend {
  private static final String DATABASE = "tokenvault";
  private final EmbeddedPostgres server;

  PostgresBackend() {
    try {
      server =
          EmbeddedPostgres.builder()
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("fsync", "on")
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
    }
    execute(url("postgres"), "CREATE DATABASE " + DATABASE);
  }

  String url(String database) {
    return "jdbc:postgresql://localhost:" + server.getPort() + "/" + database;
  }

  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public Map<String, String> properties() {
    return Map.of(
        "tokenvault.store.type", "postgres",
        "tokenvault.store.postgres.url", url(DATABASE),
        "tokenvault.store.postgres.username", "postgres");
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("statement failed", e);
    }
  }

  /** Every row of every table in the public schema: text as text, {@code bytea} as raw bytes. */
  @Override
  public byte[] rawDump() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Connection c = DriverManager.getConnection(url(DATABASE), "postgres", "");
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      if (tables.isEmpty()) {
        throw new AssertionError("the vault's database has no tables");
      }
      for (String table : tables) {
        out.writeBytes(("\n== " + table + "\n").getBytes(StandardCharsets.UTF_8));
        try (ResultSet rs = s.executeQuery("SELECT * FROM \"" + table + "\"")) {
          ResultSetMetaData meta = rs.getMetaData();
          while (rs.next()) {
            for (int i = 1; i <= meta.getColumnCount(); i++) {
              byte[] value =
                  "bytea".equals(meta.getColumnTypeName(i))
                      ? rs.getBytes(i)
                      : rs.getString(i) == null ? null : rs.getString(i).getBytes(StandardCharsets.UTF_8);
              if (value != null) {
                out.writeBytes(value);
              }
              out.write('|');
            }
            out.write('\n');
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot dump the vault's tables", e);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
