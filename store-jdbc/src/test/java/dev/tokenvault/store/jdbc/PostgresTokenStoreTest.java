package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.testkit.TokenStoreConformance;

/** The token store contract on a real PostgreSQL server, a fresh database per test. */
class PostgresTokenStoreTest extends TokenStoreConformance {
  private String url;

  @Override
  protected TokenStore newStore() {
    url = PostgresServer.newDatabase();
    return PostgresStore.open(PostgresServer.settings(url));
  }

  @Override
  protected TokenStore reopen(TokenStore current) {
    current.close();
    return PostgresStore.open(PostgresServer.settings(url));
  }

  @Override
  protected byte[] rawStorageBytes() throws Exception {
    return PostgresServer.dumpTables(url);
  }
}
