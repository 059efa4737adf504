package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.StoreException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
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
 *       inside the write's savepoint: there is no write without its event, and no event for a
 *       write that was rolled back. The chain head is kept by the writer.
 *   <li><b>Concurrent readers.</b> Lookups and audit queries run on a few reader connections
 *       ({@code query_only}); in WAL mode they read the last committed state without waiting
 *       for the writer.
 *   <li><b>Schema</b> by the versioned scripts under {@code db/sqlite} ({@link SchemaMigrator}).
 * </ul>
 *
 * <h2>Durability</h2>
 *
 * {@code journal_mode=WAL} with {@code synchronous=FULL}: {@code COMMIT} returns only after the
 * write-ahead log is fsynced, and a write's future completes normally only after its batch's
 * {@code COMMIT} returned. So an acknowledged write survives a process crash and a power loss
 * (given a disk that honours fsync). A future that fails means nothing of that write is stored;
 * if the process dies before a future completes, the write may or may not be stored, and is then
 * complete with its audit event or absent with it. {@link #close()} commits everything queued.
 *
 * <h2>Files</h2>
 *
 * The database file is created owner-only ({@code 0600}) where the file system is POSIX; SQLite
 * gives its {@code -wal} and {@code -shm} files the same mode. An existing file readable by
 * others is tightened, with a warning. Deleted rows are zeroed ({@code secure_delete}), so a
 * deleted token's ciphertext leaves the file at the next checkpoint. One process opens a file at
 * a time.
 */
public final class SqliteStore extends JdbcStore {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final Path file;

  private SqliteStore(Path file) {
    super(
        new SqliteDialect(),
        () -> DriverManager.getConnection("jdbc:sqlite:" + file),
        "tokenvault-sqlite");
    this.file = file;
  }

  /**
   * Opens (creating if needed) the store in {@code file}, bringing its schema up to date.
   *
   * @throws StoreException if the file cannot be created or opened, or its schema is newer than
   *     this build
   */
  public static SqliteStore open(Path file) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    createOwnerOnly(absolute);
    SqliteStore store = new SqliteStore(absolute);
    LOG.info("Opened SQLite store {}", absolute);
    return store;
  }

  public Path file() {
    return file;
  }

  private static void createOwnerOnly(Path file) {
    boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
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
