package dev.tokenvault.testkit;

import dev.tokenvault.core.store.TokenStore;

/**
 * The conformance suite against the in-memory fake, so the fake the use-case tests rely on keeps
 * the contract. It has no storage to reopen (reopen hands back the same instance) and its "raw
 * storage" is a dump of what it holds.
 */
class InMemoryTokenStoreTest extends TokenStoreConformance {
  @Override
  protected TokenStore newStore() {
    return new InMemoryStore();
  }

  @Override
  protected TokenStore reopen(TokenStore current) {
    return current;
  }

  @Override
  protected byte[] rawStorageBytes() {
    return ((InMemoryStore) store).dump();
  }
}
