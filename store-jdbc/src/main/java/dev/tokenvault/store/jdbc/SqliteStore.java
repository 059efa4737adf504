package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default store: one SQLite file under the data directory, holding tokens, wrapped
 * data keys, payments and the audit trail.
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li><b>One writer, group commit.</b> Every write (token, data key, payment, audit event) is
 *       queued to a single writer thread that owns the only write connection. It drains up to
 *       {@value GroupCommitWriter#MAX_BATCH} queued operations into one {@code BEGIN IMMEDIATE}
 *       transaction, gives each its own {@code SAVEPOINT} (a duplicate token fails alone), and
 *       commits once: under load, one fsync acknowledges hundreds of requests. See {@link
 *       GroupCommitWriter}.
 *   <li><b>Audit in the same transaction.</b> A write's audit event is inserted, hash-chained,
 *       inside the write's savepoint: there is no write without its event, and no event for a write
 *       that was rolled back. The chain head is kept by the writer.
 *   <li><b>Concurrent readers.</b> Lookups and audit queries run on a few reader connections
 *       ({@code query_only}); in WAL mode they read the last committed state without waiting for
 *       the writer.
 *   <li><b>Schema</b> by the versioned scripts under {@code db/sqlite} ({@link SchemaMigrator}).
 * </ul>
 *
 * <h2>Durability</h2>
 *
 * {@code journal_mode=WAL}; a write's future completes normally only after its batch's {@code
 * COMMIT} returned <em>and</em> an fsync of the write-ahead log that began after that commit
 * returned (the writer's sync thread, see {@link SqliteDialect}: the writer runs the next batch
 * while the disk flushes the last one). So an acknowledged write survives a process crash and a power loss (given a
 * disk that honours fsync). A future that fails means nothing of that write is stored; if the
 * process dies before a future completes, the write may or may not be stored, and is then complete
 * with its audit event or absent with it. {@link #close()} commits everything queued.
 *
 * <h2>Files</h2>
 *
 * The database file is created owner-only ({@code 0600}) where the file system is POSIX; SQLite
 * gives its {@code -wal} and {@code -shm} files the same mode. An existing file readable by others
 * is tightened, with a warning. Deleted rows are zeroed ({@code secure_delete}), so a deleted
 * token's ciphertext leaves the file at the next checkpoint.
 *
 * <h2>One owner</h2>
 *
 * The writer keeps the audit chain's head in memory, so two stores writing one file would fork the
 * chain. {@link #open} therefore takes an exclusive lock on {@code <file>.lock} for the life of the
 * store; a second open, in this process or another, fails. The operating system drops the lock when
 * a process dies, so a crash leaves nothing to clean up.
 */
public final class SqliteStore extends JdbcStore {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");

  /**
   * Token rows kept in memory by default: about 6.5 MB of heap (~650 bytes a row with its cache
   * entry, measured on 100,000 rows of the stored field sizes).
   */
  public static final long TOKEN_CACHE_ROWS = 10_000;

  private final Path file;
  private final FileLock ownerLock;
  private final WalCheckpointer checkpointer;

  private SqliteStore(Path file, FileLock ownerLock, int cycleFrames, long tokenCacheRows) {
    super(
        new SqliteDialect(),
        () -> connect(file),
        "tokenvault-sqlite",
        tokenCacheRows);
    this.file = file;
    this.ownerLock = ownerLock;
    WalCheckpointer c;
    try {
      Connection connection = connect(file);
      new SqliteDialect().configureCheckpointer(connection);
      c =
          new WalCheckpointer(
              connection,
              file,
              this::betweenBatches,
              cycleFrames,
              "tokenvault-sqlite-checkpointer");
    } catch (SQLException e) {
      super.close();
      throw new StoreException("cannot open the store's checkpoint connection", e);
    }
    this.checkpointer = c;
    checkpointer.start();
  }

  private static Connection connect(Path file) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
  }

  /**
   * Driver settings: no generated-key lookups (the driver would otherwise run an extra {@code
   * SELECT last_insert_rowid()} after every insert; nothing here reads generated keys).
   */
  private static java.util.Properties connectionProperties() {
    org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
    config.setGetGeneratedKeys(false);
    return config.toProperties();
  }

  /**
   * Opens (creating if needed) the store in {@code file}, bringing its schema up to date.
   *
   * @throws StoreException if the file cannot be created or opened, or its schema is newer than
   *     this build
   */
  public static SqliteStore open(Path file) {
    return open(file, TOKEN_CACHE_ROWS);
  }

  /**
   * {@link #open(Path)} keeping up to {@code tokenCacheRows} token rows in memory for lookups (0:
   * none). The store can cache rows because it is its file's only writer (see "One owner"): every
   * change to a row goes through it, and a change that was acknowledged is never answered from
   * the cache. See {@code TokenRowCache}.
   */
  public static SqliteStore open(Path file, long tokenCacheRows) {
    return open(file, WalCheckpointer.CYCLE_FRAMES, tokenCacheRows);
  }

  /** {@link #open(Path)} with a log cycle of {@code cycleFrames} frames (for tests). */
  static SqliteStore openWithCycle(Path file, int cycleFrames) {
    return open(file, cycleFrames, TOKEN_CACHE_ROWS);
  }

  private static SqliteStore open(Path file, int cycleFrames, long tokenCacheRows) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    boolean posix = absolute.getFileSystem().supportedFileAttributeViews().contains("posix");
    createOwnerOnly(absolute, posix);
    FileLock lock = lockOwner(absolute.resolveSibling(absolute.getFileName() + ".lock"), posix);
    try {
      SqliteStore store = new SqliteStore(absolute, lock, cycleFrames, tokenCacheRows);
      LOG.info("Opened SQLite store {}", absolute);
      return store;
    } catch (RuntimeException e) {
      release(lock);
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  /** Background checkpoints run so far (for tests). */
  long checkpoints() {
    return checkpointer.checkpoints();
  }

  /** What the log's checkpoints cost since the store opened: for metrics and benchmarks. */
  public WalStats walStats() {
    return checkpointer.stats();
  }

  /** Commits everything queued, closes the connections, then gives up the file. */
  @Override
  public void close() {
    try {
      checkpointer.close();
      super.close();
    } finally {
      release(ownerLock);
    }
  }

  private static FileLock lockOwner(Path lockFile, boolean posix) {
    FileChannel channel = null;
    try {
      channel =
          posix
              ? FileChannel.open(
                  lockFile,
                  Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                  PosixFilePermissions.asFileAttribute(OWNER_ONLY))
              : FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new StoreException("the store file is in use by another process", null);
      }
      return lock;
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw new StoreException("the store file is already open in this process", e);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StoreException("cannot lock the store file " + lockFile, e);
    } catch (StoreException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static void release(FileLock lock) {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      LOG.warn("Releasing the store file lock failed", e);
    } finally {
      closeQuietly(lock.channel());
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("Closing the lock file failed", e);
      }
    }
  }

  private static void createOwnerOnly(Path file, boolean posix) {
    try {
      Path dir = file.getParent();
      if (dir != null && !Files.isDirectory(dir)) {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        } else {
          Files.createDirectories(dir);
        }
      }
      if (posix) {
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
          Set<PosixFilePermission> current = Files.getPosixFilePermissions(file);
          if (!OWNER_ONLY.containsAll(current)) {
            LOG.warn(
                "Store file {} was accessible to others ({}); restricting it to its owner",
                file,
                PosixFilePermissions.toString(current));
            Files.setPosixFilePermissions(file, OWNER_ONLY);
          }
        }
      }
    } catch (IOException e) {
      throw new StoreException("cannot create the store file " + file, e);
    }
  }
}
