package dev.tokenvault.store.jdbc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bytes SQLite keeps for a database: the file, its write-ahead log and shared memory. */
final class SqliteFiles {
  private SqliteFiles() {}

  static byte[] readAll(Path database) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      Path p = database.resolveSibling(database.getFileName() + suffix);
      try {
        if (Files.exists(p)) {
          out.writeBytes(Files.readAllBytes(p));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out.toByteArray();
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
