package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.testkit.TokenStoreConformance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The token store contract on DynamoDB Local; each test gets its own tables. */
class DynamoDbTokenStoreTest extends TokenStoreConformance {
  @RegisterExtension static final LocalDynamo DYNAMO = new LocalDynamo();

  private String prefix;

  @Override
  protected TokenStore newStore() {
    prefix = DYNAMO.freshPrefix();
    return DYNAMO.store(prefix);
  }

  /** A restart: a new store on the same tables, which it must not try to create again. */
  @Override
  protected TokenStore reopen(TokenStore current) {
    current.close();
    return new DynamoDbStore(DYNAMO.settings(prefix).withCreateTables(false), DYNAMO.client());
  }

  /** A Scan of every table, serialized: what a copy of the database holds. */
  @Override
  protected byte[] rawStorageBytes() {
    return DYNAMO.rawDump(prefix);
  }
}
