package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.testkit.TokenStoreConformance;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The token store contract on a real SQLite file. */
class SqliteTokenStoreTest extends TokenStoreConformance {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve("vault.db");
  }

  @Override
  protected TokenStore newStore() {
    return SqliteStore.open(file());
  }

  @Override
  protected TokenStore reopen(TokenStore current) {
    current.close();
    return SqliteStore.open(file());
  }

  @Override
  protected byte[] rawStorageBytes() {
    return SqliteFiles.readAll(file());
  }
}
