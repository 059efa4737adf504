package dev.tokenvault.server.cli;

import dev.tokenvault.core.keys.LocalKeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * {@code ./tokenvault keys init-shares --shares N --threshold M --out DIR}: seals the local key
 * file under a new unseal key split into N shares, any M of which unseal it, and writes each
 * share to its own owner-only file {@code DIR/share-<i>-of-<N>.txt} (the directory 0700, created
 * if absent; existing share files are never overwritten). The shares are written once and
 * exist nowhere else: not in the data directory, not in a log, not on the console. Hand each
 * file to its own custodian and delete it from this machine.
 *
 * <p>Runs offline, against the data directory, with the vault stopped (the launcher refuses if a
 * vault answers on the port): a running vault would reseal the file its own way at its next
 * rotation. A key file sealed under a passphrase is opened with {@code
 * TOKENVAULT_KEK_PASSPHRASE} and resealed under the shares instead.
 */
public final class InitShares {
  private static final Logger LOG = Logger.getLogger(InitShares.class);

  private InitShares() {}

  /** Arguments: data directory, N, M, output directory. Exit code 0 on success, 1 otherwise. */
  public static void main(String... args) {
    try {
      run(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
    } catch (RuntimeException | IOException e) {
      LOG.errorf("init-shares failed: %s", e.getMessage());
      System.exit(1);
    }
  }

  /** Seals and writes the share files; returns them. */
  public static List<Path> run(Path dataDir, int shares, int threshold, Path out)
      throws IOException {
    if (!Files.exists(out)) {
      Files.createDirectories(
          out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    for (int i = 1; i <= shares; i++) {
      if (Files.exists(shareFile(out, i, shares))) {
        throw new IllegalStateException(shareFile(out, i, shares) + " exists: refusing to overwrite");
      }
    }
    String passphrase = System.getenv("TOKENVAULT_KEK_PASSPHRASE");
    List<String> split =
        LocalKeyManager.initShares(
            dataDir,
            passphrase == null || passphrase.isEmpty() ? null : passphrase.toCharArray(),
            shares,
            threshold,
            Clock.systemUTC());
    List<Path> files = new java.util.ArrayList<>();
    for (int i = 0; i < split.size(); i++) {
      Path file = shareFile(out, i + 1, shares);
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(file, (split.get(i) + "\n").getBytes(StandardCharsets.US_ASCII));
      files.add(file);
    }
    LOG.infof(
        "sealed %s under %d key shares (threshold %d), written to %s: hand each file to its own"
            + " custodian, then delete them here",
        dataDir.resolve(LocalKeyManager.FILE_NAME), shares, threshold, out);
    return files;
  }

  static Path shareFile(Path out, int i, int n) {
    return out.resolve("share-" + i + "-of-" + n + ".txt");
  }
}
