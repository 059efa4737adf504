package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database to the newest schema, one numbered script at a time.
 *
 * <h2>Scripts</h2>
 *
 * Classpath resources {@code db/<engine>/V<n>__<description>.sql}, numbered from 1 without gaps and
 * listed in {@link #SCRIPTS} (a test checks that the list and the folder agree). The naming is
 * Flyway's, so the PostgreSQL variant can hand the same folder layout to Flyway if it wants to. A
 * script holds plain DDL, one statement per {@code ;} at the end of a line; {@code --} lines are
 * comments.
 *
 * <h2>Bookkeeping</h2>
 *
 * Table {@code schema_version(version, description, checksum, applied_at)}. All pending scripts and
 * their rows are applied in one transaction taken with the engine's write lock ({@link
 * Dialect#begin}), so two processes opening the same database cannot both apply a script, and a
 * failed script leaves the schema as it was. An applied script whose checksum (SHA-256 of its text)
 * has changed, or a database newer than this build, is refused: running on a schema the code does
 * not know is how data gets corrupted.
 */
final class SchemaMigrator {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

  /** The migration scripts of this build, in order. Add new ones at the end. */
  static final List<String> SCRIPTS =
      List.of(
          "V1__init.sql",
          "V2__audit_event_id_not_unique.sql",
          "V3__fingerprint_versions.sql",
          "V4__fingerprint_version_index_by_rowid.sql",
          "V5__audit_events_by_token_ref.sql");

  private static final Pattern NAME = Pattern.compile("V([1-9][0-9]*)__([A-Za-z0-9_]+)\\.sql");

  record Migration(int version, String description, String sql, String checksum) {}

  private final Dialect dialect;
  private final List<Migration> migrations;

  SchemaMigrator(Dialect dialect, String location, List<String> scripts) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.migrations = load(Objects.requireNonNull(location, "location"), scripts);
  }

  SchemaMigrator(Dialect dialect) {
    this(dialect, dialect.migrationLocation(), SCRIPTS);
  }

  List<Migration> migrations() {
    return migrations;
  }

  /** Applies every pending script; returns how many were applied (0 when up to date). */
  int migrate(Connection connection) throws SQLException {
    dialect.begin(connection);
    boolean done = false;
    try {
      try (Statement s = connection.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
                + "version INTEGER NOT NULL PRIMARY KEY, "
                + "description TEXT NOT NULL, "
                + "checksum TEXT NOT NULL, "
                + "applied_at TEXT NOT NULL)");
      }
      Map<Integer, String> applied = appliedChecksums(connection);
      int newest = migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
      for (Map.Entry<Integer, String> e : applied.entrySet()) {
        if (e.getKey() > newest) {
          throw new StoreException(
              "database schema version "
                  + e.getKey()
                  + " is newer than this build ("
                  + newest
                  + ")",
              null);
        }
      }
      int count = 0;
      for (Migration m : migrations) {
        String checksum = applied.get(m.version());
        if (checksum != null) {
          if (!checksum.equals(m.checksum())) {
            throw new StoreException(
                "migration V" + m.version() + " was changed after it was applied", null);
          }
          continue;
        }
        apply(connection, m);
        count++;
      }
      dialect.commit(connection);
      done = true;
      if (count > 0) {
        LOG.info("Applied {} schema migration(s), schema version is now {}", count, newest);
      }
      return count;
    } finally {
      if (!done) {
        rollbackQuietly(connection);
      }
    }
  }

  private void apply(Connection connection, Migration m) throws SQLException {
    try (Statement s = connection.createStatement()) {
      for (String statement : statements(m.sql())) {
        s.execute(statement);
      }
    }
    try (PreparedStatement p =
        connection.prepareStatement(
            "INSERT INTO schema_version (version, description, checksum, applied_at) "
                + "VALUES (?, ?, ?, ?)")) {
      p.setInt(1, m.version());
      p.setString(2, m.description());
      p.setString(3, m.checksum());
      p.setString(4, Instant.now().toString());
      p.executeUpdate();
    }
  }

  private static Map<Integer, String> appliedChecksums(Connection connection) throws SQLException {
    Map<Integer, String> applied = new TreeMap<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT version, checksum FROM schema_version")) {
      while (rs.next()) {
        applied.put(rs.getInt(1), rs.getString(2));
      }
    }
    return applied;
  }

  /** Splits a script at {@code ;} ending a line, dropping {@code --} comment lines. */
  static List<String> statements(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : sql.split("\r?\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      if (trimmed.endsWith(";")) {
        current.append(trimmed, 0, trimmed.length() - 1);
        out.add(current.toString().strip());
        current.setLength(0);
      } else {
        current.append(trimmed).append('\n');
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalArgumentException("migration script does not end with ';'");
    }
    return out;
  }

  private static List<Migration> load(String location, List<String> scripts) {
    List<Migration> out = new ArrayList<>();
    int expected = 1;
    for (String script : scripts) {
      Matcher m = NAME.matcher(script);
      if (!m.matches()) {
        throw new IllegalArgumentException("not a migration script name: " + script);
      }
      int version = Integer.parseInt(m.group(1));
      if (version != expected) {
        throw new IllegalArgumentException("migration V" + expected + " is missing");
      }
      expected++;
      String sql = read(location + "/" + script);
      out.add(new Migration(version, m.group(2).replace('_', ' '), sql, sha256(sql)));
    }
    return List.copyOf(out);
  }

  private static String read(String resource) {
    try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("migration script not found: " + resource);
      }
      // Line endings normalised so a checkout with CRLF keeps the checksum.
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read migration script " + resource, e);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private void rollbackQuietly(Connection connection) {
    try {
      dialect.rollback(connection);
    } catch (SQLException e) {
      LOG.debug("Rollback after a failed migration failed too", e);
    }
  }
}
