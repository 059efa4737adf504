package dev.tokenvault.server.it;

import java.util.List;
import java.util.Map;

/**
 * What a vault process runs on besides its data directory: a store and a key manager chosen by
 * configuration, and whatever engine they need running in the test JVM (PostgreSQL, DynamoDB
 * Local, the fake KMS) or on disk (a SoftHSM2 token).
 */
interface Backend extends AutoCloseable {
  /** A short name for the test directory. */
  String name();

  /** System properties of the vault process ({@code tokenvault.store.*}, {@code tokenvault.keys.*}). */
  Map<String, String> properties();

  /** Environment of the vault process: secrets and library settings, never printed. */
  default Map<String, String> environment() {
    return Map.of();
  }

  /** The secrets among the environment (PINs, secret keys, passwords): never to appear in a log. */
  default List<String> secretValues() {
    return environment().entrySet().stream()
        .filter(e -> e.getKey().matches(".*(PIN|SECRET|PASSWORD).*"))
        .map(Map.Entry::getValue)
        .toList();
  }

  /** Asserts that no secret of the environment is in {@code text}, without printing either. */
  default void assertNoSecretIn(String what, String text) {
    List<String> secrets = secretValues();
    for (int i = 0; i < secrets.size(); i++) {
      if (text.contains(secrets.get(i))) {
        throw new AssertionError(what + " contains secret #" + i + " of the " + name() + " environment");
      }
    }
  }

  /**
   * Every row or item the store holds outside the data directory, serialized as raw bytes (empty
   * for SQLite, whose file is in the data directory and scanned there).
   */
  default byte[] rawDump() {
    return new byte[0];
  }

  /** Directories outside the data directory that the store or key manager writes. */
  default List<java.nio.file.Path> extraScanRoots() {
    return List.of();
  }

  @Override
  default void close() {}

  /** The default: SQLite in the data directory, the local key manager. */
  static Backend sqliteLocal() {
    return new Backend() {
      @Override
      public String name() {
        return "sqlite-local";
      }

      @Override
      public Map<String, String> properties() {
        return Map.of();
      }
    };
  }
}
