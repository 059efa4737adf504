package dev.tokenvault.store.dynamodb;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach DynamoDB: the {@code tokenvault.store.dynamodb.*} configuration.
 *
 * @param endpoint an endpoint override (DynamoDB Local, a VPC endpoint), or empty for the region's
 *     public endpoint
 * @param region the AWS region, e.g. {@code eu-west-1}
 * @param tablePrefix prepended to every table name ({@code prod-} gives {@code
 *     prod-tokenization-vault}); empty by default
 * @param createTables whether the store creates missing tables at start. Off by default: in
 *     production the tables come from infrastructure as code and the vault's role cannot create
 *     tables (see {@code docs/dynamodb.md})
 */
public record DynamoDbSettings(
    Optional<URI> endpoint, String region, String tablePrefix, boolean createTables) {

  /** DynamoDB table names are 3-255 of these; the prefix leaves room for our suffixes. */
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.-]{0,200}");

  public DynamoDbSettings {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(tablePrefix, "tablePrefix");
    if (region.isBlank()) {
      throw new IllegalArgumentException("region must not be blank");
    }
    if (!PREFIX.matcher(tablePrefix).matches()) {
      throw new IllegalArgumentException(
          "tablePrefix must be at most 200 characters of A-Z, a-z, 0-9, '_', '-' and '.'");
    }
  }

  /** The defaults: the region's public endpoint, no prefix, tables not created. */
  public static DynamoDbSettings of(String region) {
    return new DynamoDbSettings(Optional.empty(), region, "", false);
  }

  public DynamoDbSettings withEndpoint(URI uri) {
    return new DynamoDbSettings(Optional.of(uri), region, tablePrefix, createTables);
  }

  public DynamoDbSettings withTablePrefix(String prefix) {
    return new DynamoDbSettings(endpoint, region, prefix, createTables);
  }

  public DynamoDbSettings withCreateTables(boolean create) {
    return new DynamoDbSettings(endpoint, region, tablePrefix, create);
  }
}
