package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.testkit.PaymentStoreConformance;

/** The payment store contract on a real PostgreSQL server, a fresh database per test. */
class PostgresPaymentStoreTest extends PaymentStoreConformance {
  private String url;

  @Override
  protected PaymentStore newStore() {
    url = PostgresServer.newDatabase();
    return PostgresStore.open(PostgresServer.settings(url));
  }

  @Override
  protected PaymentStore reopen(PaymentStore current) {
    ((PostgresStore) current).close();
    return PostgresStore.open(PostgresServer.settings(url));
  }

  @Override
  protected byte[] rawStorageBytes() throws Exception {
    return PostgresServer.dumpTables(url);
  }
}
