package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A store or key manager that is unknown, missing its settings or given a setting it cannot use
 * stops the start with a clear message (and no secret in it).
 */
class StartupErrorsIT {

  @ParameterizedTest
  @CsvSource({
    "tokenvault.store.type, postgres, tokenvault.store.postgres.url is required",
    "tokenvault.store.type, mongo, unknown tokenvault.store.type 'mongo'",
    "tokenvault.store.type, dynamodb, tokenvault.store.dynamodb.region is required",
    "tokenvault.keys.type, awskms, tokenvault.keys.awskms.key-id is required",
    "tokenvault.keys.type, pkcs11, tokenvault.keys.pkcs11.library is required",
    "tokenvault.keys.type, vault, unknown tokenvault.keys.type 'vault'",
    "tokenvault.store.sqlite.token-cache-rows, -1, tokenvault.store.sqlite.token-cache-rows must be a whole number of rows, 0 or more",
    "tokenvault.store.sqlite.token-cache-rows, lots, tokenvault.store.sqlite.token-cache-rows must be a whole number of rows, 0 or more",
    "tokenvault.access-log.flush-interval, -1s, tokenvault.access-log.flush-interval must not be negative",
  })
  void unsupportedAdaptersFailTheStart(String name, String value, String message) {
    VaultServer server = VaultServer.fresh("startup-error", Map.of(name, value));
    int status = server.startExpectingFailure();
    assertThat(status).isNotZero();
    assertThat(server.logText()).contains(message);
  }
}
