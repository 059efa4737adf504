package dev.tokenvault.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * SQLite and the PKCS#11 key manager on a real SoftHSM2 token made for this test: its own
 * {@code SOFTHSM2_CONF} and token directory under target/it, a PIN generated for the run. The
 * vault process gets {@code SOFTHSM2_CONF} and {@code TOKENVAULT_PKCS11_PIN} in its environment,
 * selects the token by label and creates its key-encryption key on first start. SoftHSM2 missing
 * is a failure, not a skip ({@code .ci/run} installs it).
 */
final class SoftHsm2Backend implements Backend {
  static final String TOKEN_LABEL = "tv-server-it";
  private static final List<String> LIBRARIES = List.of(
      "/usr/lib/softhsm/libsofthsm2.so",
      "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
      "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
      "/usr/local/lib/softhsm/libsofthsm2.so");

  private final String library;
  private final Path conf;
  private final Path tokenDir;
  private final String pin;

  SoftHsm2Backend() {
    library = LIBRARIES.stream().filter(l -> Files.isRegularFile(Path.of(l))).findFirst()
        .orElseThrow(() -> new AssertionError(
            "SoftHSM2 is required (apt-get install -y softhsm2): no libsofthsm2.so in " + LIBRARIES));
    Path base = Path.of(System.getProperty("tokenvault.it.dir", "target/it"))
        .resolve("softhsm2-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
    conf = base.resolve("softhsm2.conf");
    tokenDir = base.resolve("tokens");
    pin = "u-" + random();
    try {
      Files.createDirectories(tokenDir);
      Files.writeString(conf, "directories.tokendir = " + tokenDir
          + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    initToken();
  }

  private static String random() {
    byte[] b = new byte[8];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private void initToken() {
    ProcessBuilder pb = new ProcessBuilder("softhsm2-util", "--init-token", "--free",
        "--label", TOKEN_LABEL, "--pin", pin, "--so-pin", "so-" + random())
        .redirectErrorStream(true);
    pb.environment().put("SOFTHSM2_CONF", conf.toString());
    try {
      Process p = pb.start();
      // read, never print: the output names the token and slot only, but stays out of the logs
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("softhsm2-util --init-token failed (" + out.length + " bytes of output)");
      }
    } catch (IOException e) {
      throw new AssertionError("softhsm2-util not found (apt-get install -y softhsm2): " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public String name() {
    return "pkcs11";
  }

  @Override
  public Map<String, String> properties() {
    return Map.of(
        "tokenvault.keys.type", "pkcs11",
        "tokenvault.keys.pkcs11.library", library,
        "tokenvault.keys.pkcs11.token-label", TOKEN_LABEL,
        "tokenvault.keys.pkcs11.key-label", "tokenvault-kek",
        "tokenvault.keys.pkcs11.create-key", "true");
  }

  @Override
  public Map<String, String> environment() {
    return Map.of("SOFTHSM2_CONF", conf.toString(), "TOKENVAULT_PKCS11_PIN", pin);
  }

  @Override
  public List<Path> extraScanRoots() {
    return List.of(tokenDir);
  }
}
