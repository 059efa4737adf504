package dev.tokenvault.store.dynamodb;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.waiters.DynamoDbWaiter;

/**
 * The four tables and, when asked, their creation. The definitions here are the ones documented in
 * {@code docs/dynamodb.md}; keep them in step.
 *
 * <ul>
 *   <li>{@code <prefix>tokenization-vault}: partition key {@code token} (S). Token items, and the
 *       deterministic-mode fingerprint items under {@code fp#<namespace>#<fingerprint>}. TTL on
 *       {@code expires_at}.
 *   <li>{@code <prefix>tokenization-vault-keys}: partition key {@code key_id} (S). Wrapped data
 *       keys.
 *   <li>{@code <prefix>tokenization-vault-payments}: partition key {@code id} (S). Payments, and
 *       idempotency items under {@code idem#<sha-256 of client id and key>}.
 *   <li>{@code <prefix>tokenization-vault-audit}: partition key {@code chain} (S), sort key {@code
 *       seq} (N). The chain head at {@code seq = 0}, events from 1.
 * </ul>
 */
final class Tables {
  private static final Logger LOG = LoggerFactory.getLogger(Tables.class);

  static final String TOKENS_SUFFIX = "tokenization-vault";
  static final String KEYS_SUFFIX = "tokenization-vault-keys";
  static final String PAYMENTS_SUFFIX = "tokenization-vault-payments";
  static final String AUDIT_SUFFIX = "tokenization-vault-audit";

  /**
   * Polling of a table being created. The SDK's default waits 20 s between polls; tables are
   * usually active within seconds, so poll each second, for up to five minutes.
   */
  private static final WaiterOverrideConfiguration TABLE_WAIT =
      WaiterOverrideConfiguration.builder()
          .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofSeconds(1)))
          .maxAttempts(300)
          .build();

  /** The TTL attribute of the tokens table (epoch seconds). */
  static final String TTL_ATTRIBUTE = "expires_at";

  final String tokens;
  final String keys;
  final String payments;
  final String audit;

  Tables(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    this.tokens = prefix + TOKENS_SUFFIX;
    this.keys = prefix + KEYS_SUFFIX;
    this.payments = prefix + PAYMENTS_SUFFIX;
    this.audit = prefix + AUDIT_SUFFIX;
  }

  List<String> all() {
    return List.of(tokens, keys, payments, audit);
  }

  /**
   * Creates every missing table (on-demand billing), waits until each is active and turns on TTL
   * for the tokens table. Idempotent: existing tables are left as they are.
   */
  void createIfMissing(DynamoDbClient client) {
    create(client, tokens, key("token", ScalarAttributeType.S, KeyType.HASH));
    create(client, keys, key("key_id", ScalarAttributeType.S, KeyType.HASH));
    create(client, payments, key("id", ScalarAttributeType.S, KeyType.HASH));
    create(
        client,
        audit,
        key("chain", ScalarAttributeType.S, KeyType.HASH),
        key("seq", ScalarAttributeType.N, KeyType.RANGE));
    enableTtl(client, tokens);
  }

  private record Key(String name, ScalarAttributeType type, KeyType keyType) {}

  private static Key key(String name, ScalarAttributeType type, KeyType keyType) {
    return new Key(name, type, keyType);
  }

  private static void create(DynamoDbClient client, String table, Key... keys) {
    if (exists(client, table)) {
      return;
    }
    CreateTableRequest.Builder request =
        CreateTableRequest.builder()
            .tableName(table)
            .billingMode(BillingMode.PAY_PER_REQUEST)
            .attributeDefinitions(
                java.util.Arrays.stream(keys)
                    .map(
                        k ->
                            AttributeDefinition.builder()
                                .attributeName(k.name())
                                .attributeType(k.type())
                                .build())
                    .toList())
            .keySchema(
                java.util.Arrays.stream(keys)
                    .map(
                        k ->
                            KeySchemaElement.builder()
                                .attributeName(k.name())
                                .keyType(k.keyType())
                                .build())
                    .toList());
    try {
      client.createTable(request.build());
      LOG.info("created DynamoDB table {}", table);
    } catch (ResourceInUseException e) {
      // Another vault node created it between our check and our call: fine.
    }
    waitUntilActive(client, table);
  }

  private static void waitUntilActive(DynamoDbClient client, String table) {
    try (DynamoDbWaiter waiter =
        DynamoDbWaiter.builder().client(client).overrideConfiguration(TABLE_WAIT).build()) {
      waiter.waitUntilTableExists(b -> b.tableName(table));
    }
  }

  private static boolean exists(DynamoDbClient client, String table) {
    try {
      client.describeTable(b -> b.tableName(table));
      waitUntilActive(client, table);
      return true;
    } catch (ResourceNotFoundException e) {
      return false;
    }
  }

  private static void enableTtl(DynamoDbClient client, String table) {
    TimeToLiveStatus status =
        client
            .describeTimeToLive(b -> b.tableName(table))
            .timeToLiveDescription()
            .timeToLiveStatus();
    if (status == TimeToLiveStatus.ENABLED || status == TimeToLiveStatus.ENABLING) {
      return;
    }
    client.updateTimeToLive(
        b ->
            b.tableName(table)
                .timeToLiveSpecification(s -> s.attributeName(TTL_ATTRIBUTE).enabled(true)));
    LOG.info("enabled TTL on {}.{}", table, TTL_ATTRIBUTE);
  }
}
