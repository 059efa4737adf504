package dev.tokenvault.server.wiring;

import java.nio.file.Path;

/** Opens the store adapters. */
final class Adapters {
  private Adapters() {}

  static VaultProducer.Stores sqlite(Path file) {
    // TEMPORARY until SqliteStore lands on main: an in-memory store from testkit.
    var s = new dev.tokenvault.testkit.InMemoryStore();
    return new VaultProducer.Stores(s, s, s);
  }
}
