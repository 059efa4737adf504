package dev.tokenvault.store.jdbc;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * fsyncs SQLite's write-ahead log file: the durability step of a commit, taken by the store's
 * sync thread rather than inside {@code COMMIT} (see {@link SqliteDialect} and {@link
 * GroupCommitWriter.LogSync}).
 *
 * <p>{@code fsync} works on the file, not on the descriptor that wrote it, so forcing our own
 * descriptor flushes the frames SQLite's connection wrote. The descriptor is checked against the
 * path's inode before every sync and reopened if SQLite replaced the file, so a sync never lands
 * on a stale file; SQLite only deletes the log when its last connection closes, which the store's
 * own open connections prevent.
 */
final class WalFileSync implements GroupCommitWriter.LogSync {
  private final Path wal;
  private FileChannel channel;
  private Object fileKey;

  WalFileSync(Path wal) {
    this.wal = Objects.requireNonNull(wal, "wal");
  }

  @Override
  public void sync() throws IOException {
    Object current;
    try {
      current = Files.readAttributes(wal, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      throw new IOException("the write-ahead log " + wal + " is missing", e);
    }
    if (channel == null || current == null || !current.equals(fileKey)) {
      close();
      channel = FileChannel.open(wal, StandardOpenOption.WRITE);
      fileKey = Files.readAttributes(wal, BasicFileAttributes.class).fileKey();
    }
    channel.force(false);
  }

  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing was pending on it: every sync completed or failed already
      }
      channel = null;
    }
  }

  @Override
  public String toString() {
    return "fsync of " + wal;
  }
}
