package dev.tokenvault.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenvault.core.store.StoreException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.LoggerFactory;

/**
 * The store on a PostgreSQL server, for vault nodes that share one database.
 *
 * <h2>Design</h2>
 *
 * The same code path as {@link SqliteStore} ({@link JdbcStore}, {@link GroupCommitWriter}, {@link
 * Rows}): one writer thread per process batching writes into one transaction with a savepoint each,
 * the audit event of a write inserted with it, reads on their own connections. What differs is in
 * {@link PostgresDialect}: every batch takes one database-wide advisory lock, so several processes
 * writing the same database keep one audit chain and one deterministic token per fingerprint, and
 * one payment per idempotency key.
 *
 * <h2>Connections</h2>
 *
 * A HikariCP pool of {@link PostgresSettings#poolSize()} connections: the writer holds one (and
 * takes a new one if the server drops it), readers borrow one per read. The password is asked of
 * its supplier for every new physical connection and never held as a {@code String} by the pool.
 * Nothing logs it; the URL is logged with {@code password=} values masked.
 *
 * <h2>Schema</h2>
 *
 * Flyway, scripts under {@code db/postgresql} ({@code V1__init.sql} ...), history in {@code
 * flyway_schema_history}. Flyway takes its own advisory lock, so nodes starting together migrate
 * once. With {@link PostgresSettings#migrate()} false the store runs no DDL and only validates that
 * every script of this build has been applied (for a runtime role without DDL rights, with
 * migrations run by a deployment step); a schema newer than the build is accepted, so that a
 * rolling upgrade can migrate before the old nodes stop (migrations must therefore only add).
 *
 * <h2>Durability</h2>
 *
 * A write's future completes after {@code COMMIT} returned, which with {@code
 * synchronous_commit=on} (PostgreSQL's default, enforced for the writer's session) means the commit
 * record is flushed on the server. See {@link JdbcStore} for what a failed or unfinished future
 * means.
 */
public final class PostgresStore extends JdbcStore {
  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(PostgresStore.class);

  /** Name of the pool (threads, metrics, log lines). */
  static final String POOL_NAME = "tokenvault-postgres";

  /**
   * How long a read (or the writer, reconnecting) waits for a pooled connection before it fails:
   * long enough to ride out a burst, short enough that a dead server shows as errors, not hangs.
   */
  static final long CONNECTION_TIMEOUT_MILLIS = 10_000;

  private final HikariDataSource pool;

  private PostgresStore(HikariDataSource pool, int readers) {
    super(
        new PostgresDialect(),
        pool::getConnection,
        writeConnection -> {},
        readers,
        ReadConnections.POOLED,
        POOL_NAME,
        0); // no token cache: other vault nodes may change rows
    this.pool = pool;
  }

  /**
   * Connects, migrates (or validates) the schema, and starts the writer.
   *
   * @throws StoreException if the server cannot be reached, refuses the login, or the schema cannot
   *     be brought to (or is not at) this build's version
   */
  public static PostgresStore open(PostgresSettings settings) {
    Objects.requireNonNull(settings, "settings");
    HikariDataSource pool = pool(settings);
    try {
      migrate(pool, settings.migrate());
      PostgresStore store = new PostgresStore(pool, settings.poolSize() - 1);
      LOG.info(
          "Opened PostgreSQL store {} (pool of {} connections)",
          settings.maskedUrl(),
          settings.poolSize());
      return store;
    } catch (RuntimeException e) {
      pool.close();
      throw e instanceof StoreException se ? se : new StoreException("cannot open the store", e);
    }
  }

  /** Commits everything queued, then closes the pool. */
  @Override
  public void close() {
    try {
      super.close();
    } finally {
      pool.close();
    }
  }

  private static HikariDataSource pool(PostgresSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(POOL_NAME);
    config.setDataSource(new DriverSource(settings));
    config.setMaximumPoolSize(settings.poolSize());
    config.setMinimumIdle(settings.poolSize());
    config.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
    try {
      // Fails here, with the driver's reason, when the server is unreachable or refuses the login.
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreException(
          "cannot connect to PostgreSQL at " + settings.maskedUrl() + ": " + rootMessage(e), e);
    }
  }

  private static void migrate(DataSource dataSource, boolean apply) {
    Flyway flyway =
        Flyway.configure(PostgresStore.class.getClassLoader())
            .dataSource(dataSource)
            .locations("classpath:db/postgresql")
            .failOnMissingLocations(true)
            .load();
    try {
      if (apply) {
        MigrateResult result = flyway.migrate();
        if (result.migrationsExecuted > 0) {
          LOG.info(
              "Applied {} schema migration(s), schema version is now {}",
              result.migrationsExecuted,
              result.targetSchemaVersion);
        }
      } else {
        flyway.validate();
      }
    } catch (FlywayException e) {
      throw new StoreException(
          apply
              ? "cannot migrate the PostgreSQL schema"
              : "the PostgreSQL schema is not at this build's version (migrations off)",
          e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }

  /**
   * Opens connections with the PostgreSQL driver, asking the password supplier each time (so the
   * pool never holds the password, and a rotated one is picked up by the next connection).
   */
  private static final class DriverSource implements DataSource {
    private final PostgresSettings settings;
    private final Driver driver = new org.postgresql.Driver();
    private int loginTimeoutSeconds;

    DriverSource(PostgresSettings settings) {
      this.settings = settings;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Properties props = new Properties();
      if (settings.username() != null) {
        props.setProperty("user", settings.username());
      }
      String password = settings.passwordOnce();
      if (password != null) {
        props.setProperty("password", password);
      }
      props.setProperty("ApplicationName", "tokenvault");
      if (loginTimeoutSeconds > 0) {
        props.setProperty("loginTimeout", Integer.toString(loginTimeoutSeconds));
      }
      Connection c = driver.connect(settings.url(), props);
      if (c == null) {
        throw new SQLException("not a PostgreSQL JDBC URL: " + settings.maskedUrl());
      }
      return c;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException("credentials come from the store's settings");
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {
      this.loginTimeoutSeconds = seconds;
    }

    @Override
    public int getLoginTimeout() {
      return loginTimeoutSeconds;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      if (type.isInstance(this)) {
        return type.cast(this);
      }
      throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return type.isInstance(this);
    }
  }
}
