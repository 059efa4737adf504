package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A store or key manager this build cannot provide stops the start with a clear message. */
class StartupErrorsIT {

  @ParameterizedTest
  @CsvSource({
    "tokenvault.store.type, postgres, tokenvault.store.type=postgres is not available",
    "tokenvault.store.type, mongo, unknown tokenvault.store.type 'mongo'",
    "tokenvault.keys.type, awskms, tokenvault.keys.type=awskms is not available",
  })
  void unsupportedAdaptersFailTheStart(String name, String value, String message) {
    VaultServer server = VaultServer.fresh("startup-error", Map.of(name, value));
    int status = server.startExpectingFailure();
    assertThat(status).isNotZero();
    assertThat(server.logText()).contains(message);
  }
}
