/**
 * The DynamoDB token, payment and audit store (AWS SDK v2). Entry point: {@link
 * dev.tokenvault.store.dynamodb.DynamoDbStore#open} with {@link
 * dev.tokenvault.store.dynamodb.DynamoDbSettings}. The only module that sees the DynamoDB SDK.
 * Tables, IAM policy and trade-offs: {@code docs/dynamodb.md}.
 */
package dev.tokenvault.store.dynamodb;
