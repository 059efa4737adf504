package dev.tokenvault.store.jdbc;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Where and how {@link PostgresStore} connects.
 *
 * <h2>Configuration names</h2>
 *
 * <table>
 *   <caption>settings</caption>
 *   <tr><th>name</th><th>component</th><th>default</th></tr>
 *   <tr><td>{@value #URL}</td><td>{@link #url}</td><td>required</td></tr>
 *   <tr><td>{@value #USERNAME}</td><td>{@link #username}</td><td>none (the driver's default)</td></tr>
 *   <tr><td>{@value #PASSWORD}</td><td>{@link #password}</td><td>none</td></tr>
 *   <tr><td>{@value #POOL_SIZE}</td><td>{@link #poolSize}</td><td>{@value #DEFAULT_POOL_SIZE}</td></tr>
 *   <tr><td>{@value #MIGRATE}</td><td>{@link #migrate}</td><td>true</td></tr>
 * </table>
 *
 * <h2>The password</h2>
 *
 * A {@link Supplier} of a fresh {@code char[]}, asked each time the pool opens a physical
 * connection and cleared right after: the settings never hold a {@code String}, and a supplier that
 * reads a secret file or mints a short-lived token (RDS IAM authentication) gives every new
 * connection the current one. {@link #toString()} prints {@code <masked>}, and so does the URL for
 * any {@code password=} parameter in it.
 *
 * @param url a {@code jdbc:postgresql:} URL; TLS parameters ({@code sslmode=verify-full}, {@code
 *     sslrootcert=...}) go here, see docs/postgresql.md
 * @param username the database role, or null to leave it to the URL
 * @param password supplies the password per new connection (a fresh array each call; it is cleared
 *     after use), or null for none (certificate or trust authentication)
 * @param poolSize connections: one for the writer, the rest for readers (at least 2)
 * @param migrate whether opening the store applies pending schema migrations (needs a role with DDL
 *     rights); when false, the schema must already be current, or opening fails
 */
public record PostgresSettings(
    String url, String username, Supplier<char[]> password, int poolSize, boolean migrate) {

  public static final String URL = "tokenvault.store.postgres.url";
  public static final String USERNAME = "tokenvault.store.postgres.username";
  public static final String PASSWORD = "tokenvault.store.postgres.password";
  public static final String POOL_SIZE = "tokenvault.store.postgres.pool-size";
  public static final String MIGRATE = "tokenvault.store.postgres.migrate";

  /**
   * One writer and four readers: the same as the SQLite store; reads are single-row lookups, so a
   * few connections serve a busy node, and each costs a server process on PostgreSQL.
   */
  public static final int DEFAULT_POOL_SIZE = 5;

  private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i)((?:ssl)?password=)[^&]*");

  public PostgresSettings {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("url must start with jdbc:postgresql:");
    }
    if (poolSize < 2) {
      throw new IllegalArgumentException("poolSize must be at least 2 (one writer, one reader)");
    }
  }

  /** Settings with a fixed password (copied; the caller may clear its array), default pool. */
  public static PostgresSettings of(String url, String username, char[] password) {
    char[] copy = password == null ? null : password.clone();
    return new PostgresSettings(
        url, username, copy == null ? null : () -> copy.clone(), DEFAULT_POOL_SIZE, true);
  }

  /**
   * Settings from the vault's configuration names ({@link #URL} ...), looked up by {@code config}
   * (null for unset). The password is looked up again for every new connection, so a configuration
   * source that re-reads a secret file hands out a rotated password.
   *
   * @throws IllegalArgumentException if the URL is missing or a value is malformed
   */
  public static PostgresSettings fromConfig(Function<String, String> config) {
    Objects.requireNonNull(config, "config");
    String url = config.apply(URL);
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(URL + " is required for the postgres store");
    }
    String poolSize = config.apply(POOL_SIZE);
    String migrate = config.apply(MIGRATE);
    if (migrate != null && !migrate.equals("true") && !migrate.equals("false")) {
      throw new IllegalArgumentException(MIGRATE + " must be true or false");
    }
    int size;
    try {
      size = poolSize == null ? DEFAULT_POOL_SIZE : Integer.parseInt(poolSize.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(POOL_SIZE + " must be a number", e);
    }
    Supplier<char[]> password =
        config.apply(PASSWORD) == null
            ? null
            : () -> {
              String current = config.apply(PASSWORD);
              return current == null ? null : current.toCharArray();
            };
    return new PostgresSettings(
        url.strip(), config.apply(USERNAME), password, size, !"false".equals(migrate));
  }

  public PostgresSettings withPoolSize(int size) {
    return new PostgresSettings(url, username, password, size, migrate);
  }

  public PostgresSettings withMigrate(boolean applyMigrations) {
    return new PostgresSettings(url, username, password, poolSize, applyMigrations);
  }

  /** The URL with the values of {@code password=} and {@code sslpassword=} masked, for logs. */
  public String maskedUrl() {
    return mask(url);
  }

  static String mask(String url) {
    return SECRET_PARAMETER.matcher(url).replaceAll("$1<masked>");
  }

  /** A new {@code String} of the password for the driver, clearing the supplied array. */
  String passwordOnce() {
    if (password == null) {
      return null;
    }
    char[] chars = password.get();
    if (chars == null) {
      return null;
    }
    try {
      return new String(chars);
    } finally {
      Arrays.fill(chars, '\0');
    }
  }

  @Override
  public String toString() {
    return "PostgresSettings[url="
        + maskedUrl()
        + ", username="
        + username
        + ", password="
        + (password == null ? "none" : "<masked>")
        + ", poolSize="
        + poolSize
        + ", migrate="
        + migrate
        + "]";
  }
}
