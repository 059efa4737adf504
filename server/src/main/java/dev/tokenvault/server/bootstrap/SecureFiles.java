package dev.tokenvault.server.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Owner-only files and directories for the secrets the vault generates (dev CA and certificate
 * keys, the dev issuer key, client secrets).
 *
 * <p>Files are created with mode 0600 from the start (never created world-readable and then
 * narrowed) and written through a temporary file and an atomic rename, so a crash never leaves a
 * half-written key that a later start would trust. On file systems without POSIX permissions
 * the files are written without them.
 */
public final class SecureFiles {
  private SecureFiles() {}

  static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  /** Creates {@code dir} (and parents) if absent, owner-only; returns it. */
  public static Path ownerOnlyDirectory(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        if (posix(dir)) {
          Files.createDirectories(dir, attr(OWNER_DIR));
          Files.setPosixFilePermissions(dir, OWNER_DIR);
        } else {
          Files.createDirectories(dir);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + dir, e);
    }
  }

  /** Writes {@code content} to {@code file} atomically, mode 0600. */
  public static void writeOwnerOnly(Path file, byte[] content) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      if (posix(dir)) {
        Files.createFile(tmp, attr(OWNER_FILE));
      } else {
        Files.createFile(tmp);
      }
      Files.write(tmp, content);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (FileAlreadyExistsException e) {
      throw new UncheckedIOException("temporary file exists: " + tmp, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the rename normally consumed it
      }
    }
  }

  public static void writeOwnerOnly(Path file, String content) {
    writeOwnerOnly(file, content.getBytes(StandardCharsets.UTF_8));
  }

  public static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static boolean posix(Path p) {
    Path existing = p.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null
        && Files.getFileAttributeView(existing, java.nio.file.attribute.PosixFileAttributeView.class)
            != null;
  }

  private static FileAttribute<Set<PosixFilePermission>> attr(Set<PosixFilePermission> perms) {
    return PosixFilePermissions.asFileAttribute(perms);
  }
}
