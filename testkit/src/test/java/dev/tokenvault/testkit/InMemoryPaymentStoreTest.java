package dev.tokenvault.testkit;

import dev.tokenvault.core.payment.PaymentStore;

/**
 * The payment conformance suite against the in-memory fake (see {@link InMemoryTokenStoreTest}).
 */
class InMemoryPaymentStoreTest extends PaymentStoreConformance {
  @Override
  protected PaymentStore newStore() {
    return new InMemoryStore();
  }

  @Override
  protected PaymentStore reopen(PaymentStore current) {
    return current;
  }

  @Override
  protected byte[] rawStorageBytes() {
    return ((InMemoryStore) store).dump();
  }
}
