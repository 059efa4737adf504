package dev.tokenvault.keys.pkcs11;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real SoftHSM2 tokens for the tests, made once per test JVM in a token directory of their own
 * under {@code target/softhsm2}, with a PIN generated for this run (nothing is committed).
 *
 * <p>SoftHSM2 reads its configuration file from the environment variable {@code SOFTHSM2_CONF}
 * when the module is initialised; a JVM cannot change its own environment, so the surefire
 * configuration of this module sets it for the forked test JVM, and this class writes the file
 * it names before any PKCS#11 provider is configured. {@code softhsm2-util} is run with the same
 * variable.
 *
 * <p>SoftHSM2 missing is a failure, not a skip: the HSM adapter would otherwise ship untested.
 */
final class SoftHsm2Tokens {
  static final String MAIN_TOKEN = "tv-main";
  static final String SECOND_TOKEN = "tv-second";
  static final String INSTALL_HINT =
      "SoftHSM2 is required for the keys-pkcs11 tests: run .ci/install-softhsm2.sh"
          + " (or: apt-get install -y softhsm2)";

  private static final List<String> LIBRARIES =
      List.of(
          "/usr/lib/softhsm/libsofthsm2.so",
          "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
          "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
          "/usr/local/lib/softhsm/libsofthsm2.so");

  private static String library;
  private static char[] pin;

  private SoftHsm2Tokens() {}

  /** The PKCS#11 module; makes the tokens on first use. */
  static synchronized String library() {
    if (library == null) {
      init();
    }
    return library;
  }

  /** The user PIN of both tokens (a copy). */
  static synchronized char[] pin() {
    library();
    return pin.clone();
  }

  private static void init() {
    String found =
        LIBRARIES.stream().filter(l -> Files.isRegularFile(Path.of(l))).findFirst().orElse(null);
    if (found == null) {
      fail(INSTALL_HINT + " (no libsofthsm2.so in " + LIBRARIES + ")");
    }
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null) {
      fail("SOFTHSM2_CONF is not set: run these tests through Maven (surefire sets it)");
    }
    Path confFile = Path.of(conf);
    Path tokenDir = confFile.resolveSibling("tokens");
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    char[] userPin = ("u-" + HexFormat.of().formatHex(random)).toCharArray();
    new SecureRandom().nextBytes(random);
    String soPin = "so-" + HexFormat.of().formatHex(random);
    try {
      deleteRecursively(tokenDir);
      Files.createDirectories(tokenDir);
      Files.writeString(
          confFile,
          "directories.tokendir = "
              + tokenDir.toAbsolutePath()
              + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
          StandardCharsets.UTF_8);
      for (String label : List.of(MAIN_TOKEN, SECOND_TOKEN)) {
        run(
            "softhsm2-util", "--init-token", "--free", "--label", label,
            "--pin", new String(userPin), "--so-pin", soPin);
      }
    } catch (IOException e) {
      fail("cannot prepare the SoftHSM2 token directory " + tokenDir + ": " + e);
    }
    library = found;
    pin = userPin;
  }

  private static void run(String... command) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(INSTALL_HINT + " (softhsm2-util not found: " + e.getMessage() + ")");
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("softhsm2-util --init-token failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
