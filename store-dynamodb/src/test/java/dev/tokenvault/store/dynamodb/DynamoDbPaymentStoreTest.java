package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.testkit.PaymentStoreConformance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The payment store contract on DynamoDB Local; each test gets its own tables. */
class DynamoDbPaymentStoreTest extends PaymentStoreConformance {
  @RegisterExtension static final LocalDynamo DYNAMO = new LocalDynamo();

  private String prefix;

  @Override
  protected PaymentStore newStore() {
    prefix = DYNAMO.freshPrefix();
    return DYNAMO.store(prefix);
  }

  /** A restart: a new store on the same tables, which it must not try to create again. */
  @Override
  protected PaymentStore reopen(PaymentStore current) {
    ((DynamoDbStore) current).close();
    return new DynamoDbStore(DYNAMO.settings(prefix).withCreateTables(false), DYNAMO.client());
  }

  /** A Scan of every table, serialized: what a copy of the database holds. */
  @Override
  protected byte[] rawStorageBytes() {
    return DYNAMO.rawDump(prefix);
  }
}
