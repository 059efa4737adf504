package dev.tokenvault.server.wiring;

import dev.tokenvault.store.jdbc.SqliteStore;
import java.nio.file.Path;

/** Opens the store adapters. */
final class Adapters {
  private Adapters() {}

  /** Looks a configuration name up; null when unset or empty. */
  static String config(String name) {
    return org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getOptionalValue(name, String.class)
        .filter(v -> !v.isBlank())
        .orElse(null);
  }

  /** PostgreSQL ({@code tokenvault.store.postgres.*}): Flyway, a pool, group commit. */
  static VaultProducer.Stores postgres() {
    dev.tokenvault.store.jdbc.PostgresStore s =
        dev.tokenvault.store.jdbc.PostgresStore.open(
            dev.tokenvault.store.jdbc.PostgresSettings.fromConfig(Adapters::config));
    return new VaultProducer.Stores(s, s, s);
  }

  /**
   * DynamoDB ({@code tokenvault.store.dynamodb.endpoint|region|table-prefix|create-tables}),
   * credentials from the default provider chain.
   */
  static VaultProducer.Stores dynamoDb() {
    String endpoint = config("tokenvault.store.dynamodb.endpoint");
    String prefix = config("tokenvault.store.dynamodb.table-prefix");
    dev.tokenvault.store.dynamodb.DynamoDbSettings settings =
        new dev.tokenvault.store.dynamodb.DynamoDbSettings(
            java.util.Optional.ofNullable(endpoint).map(java.net.URI::create),
            required("tokenvault.store.dynamodb.region"),
            prefix == null ? "" : prefix,
            Boolean.parseBoolean(config("tokenvault.store.dynamodb.create-tables")));
    dev.tokenvault.store.dynamodb.DynamoDbStore s =
        dev.tokenvault.store.dynamodb.DynamoDbStore.open(settings);
    return new VaultProducer.Stores(s, s, s);
  }

  /**
   * An HSM through PKCS#11 ({@code tokenvault.keys.pkcs11.*}). The PIN comes from the
   * environment variable {@code TOKENVAULT_PKCS11_PIN} or the file named by {@code
   * tokenvault.keys.pkcs11.pin-file}, never from a command-line argument.
   */
  static dev.tokenvault.core.keys.KeyManager pkcs11() {
    String library = required("tokenvault.keys.pkcs11.library");
    String keyLabel = required("tokenvault.keys.pkcs11.key-label");
    boolean createKey = Boolean.parseBoolean(config("tokenvault.keys.pkcs11.create-key"));
    String tokenLabel = config("tokenvault.keys.pkcs11.token-label");
    String slot = config("tokenvault.keys.pkcs11.slot-index");
    dev.tokenvault.keys.pkcs11.Pkcs11Settings settings =
        tokenLabel != null
            ? dev.tokenvault.keys.pkcs11.Pkcs11Settings.byTokenLabel(
                library, tokenLabel, keyLabel, createKey)
            : dev.tokenvault.keys.pkcs11.Pkcs11Settings.bySlotIndex(
                library, slot == null ? 0 : Integer.parseInt(slot.strip()), keyLabel, createKey);
    char[] pin = pkcs11Pin();
    try {
      return dev.tokenvault.keys.pkcs11.Pkcs11KeyManager.open(settings, pin);
    } finally {
      java.util.Arrays.fill(pin, '\0');
    }
  }

  private static char[] pkcs11Pin() {
    String env = System.getenv("TOKENVAULT_PKCS11_PIN");
    if (env != null && !env.isEmpty()) {
      return env.toCharArray();
    }
    String file = config("tokenvault.keys.pkcs11.pin-file");
    if (file != null) {
      try {
        return java.nio.file.Files.readString(Path.of(file)).strip().toCharArray();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot read tokenvault.keys.pkcs11.pin-file", e);
      }
    }
    throw new IllegalStateException(
        "the PKCS#11 PIN is required: set TOKENVAULT_PKCS11_PIN or tokenvault.keys.pkcs11.pin-file");
  }

  /** AWS KMS ({@code tokenvault.keys.awskms.*}), credentials from the default provider chain. */
  static dev.tokenvault.core.keys.KeyManager awsKms() {
    String endpoint = config("tokenvault.keys.awskms.endpoint");
    return dev.tokenvault.keys.awskms.AwsKmsKeyManager.open(
        new dev.tokenvault.keys.awskms.AwsKmsSettings(
            required("tokenvault.keys.awskms.key-id"),
            required("tokenvault.keys.awskms.region"),
            endpoint == null ? null : java.net.URI.create(endpoint),
            previousKeyIds()));
  }

  /** {@code tokenvault.keys.awskms.previous-key-ids}: comma-separated, oldest first. */
  private static java.util.List<String> previousKeyIds() {
    String v = config("tokenvault.keys.awskms.previous-key-ids");
    if (v == null) {
      return java.util.List.of();
    }
    return java.util.Arrays.stream(v.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private static String required(String name) {
    String v = config(name);
    if (v == null) {
      throw new IllegalStateException(name + " is required");
    }
    return v;
  }

  /**
   * The embedded default: one SQLite file (WAL, group commit), tokens, payments and audit, with
   * up to {@code tokenvault.store.sqlite.token-cache-rows} token rows in memory.
   */
  static VaultProducer.Stores sqlite(Path file) {
    SqliteStore s = SqliteStore.open(file, tokenCacheRows());
    return new VaultProducer.Stores(s, s, s);
  }

  /** {@code tokenvault.store.sqlite.token-cache-rows}: a whole number ≥ 0; 0 turns the cache off. */
  static long tokenCacheRows() {
    String name = "tokenvault.store.sqlite.token-cache-rows";
    String v = config(name);
    if (v == null) {
      return SqliteStore.TOKEN_CACHE_ROWS;
    }
    long rows;
    try {
      rows = Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      rows = -1;
    }
    if (rows < 0) {
      throw new IllegalStateException(name + " must be a whole number of rows, 0 or more");
    }
    return rows;
  }
}
