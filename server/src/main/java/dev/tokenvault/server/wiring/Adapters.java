package dev.tokenvault.server.wiring;

import dev.tokenvault.store.jdbc.SqliteStore;
import java.nio.file.Path;

/** Opens the store adapters. */
final class Adapters {
  private Adapters() {}

  /** The embedded default: one SQLite file (WAL, group commit), tokens, payments and audit. */
  static VaultProducer.Stores sqlite(Path file) {
    SqliteStore s = SqliteStore.open(file);
    return new VaultProducer.Stores(s, s, s);
  }
}
