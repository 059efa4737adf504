package dev.tokenvault.server.wiring;

import dev.tokenvault.core.store.TokenStore;
import java.nio.file.Path;

/** Stores opened outside the running server, for the offline tools ({@code tokenvault audit}). */
public final class OfflineStores {
  private OfflineStores() {}

  /** The data directory's SQLite store ({@code DIR/tokenvault.db}); the file must exist. */
  public static TokenStore sqlite(Path file) {
    return Adapters.sqlite(file).tokens();
  }
}
