package dev.tokenvault.testkit;

import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.LocalKeyManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key-manager contract against the embedded {@link LocalKeyManager}, on a real key file.
 * A key file cannot go down, so the outage tests (KeyManagerOutageConformance) do not apply.
 */
class LocalKeyManagerConformanceTest extends KeyManagerConformance {
  @TempDir Path dataDir;
  @TempDir Path otherDataDir;

  @Override
  protected KeyManager open() {
    return LocalKeyManager.open(dataDir, null, Clock.systemUTC());
  }

  @TempDir Path freshDirs;
  private final Map<KeyManager, Path> dirs = new IdentityHashMap<>();

  @Override
  protected KeyManager openOther() {
    return LocalKeyManager.open(otherDataDir, null, Clock.systemUTC());
  }

  @Override
  protected KeyManager openFresh() throws Exception {
    Path dir = Files.createTempDirectory(freshDirs, "fresh");
    KeyManager m = LocalKeyManager.open(dir, null, Clock.systemUTC());
    dirs.put(m, dir);
    return m;
  }

  @Override
  protected KeyManager reopen(KeyManager manager) {
    Path dir = dirs.get(manager);
    KeyManager m = LocalKeyManager.open(dir, null, Clock.systemUTC());
    dirs.put(m, dir);
    return m;
  }
}
