package dev.tokenvault.server.error;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.vault.VaultException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ProblemMappersTest {

  @Test
  void vaultKindsBecomeTheirStatuses() {
    assertThat(status(new VaultException(VaultException.Kind.NOT_FOUND, "token_not_found", "x"))).isEqualTo(404);
    assertThat(status(new VaultException(VaultException.Kind.GONE, "token_expired", "x"))).isEqualTo(410);
    assertThat(status(new VaultException(VaultException.Kind.CONFLICT, "idempotency_key_reused", "x"))).isEqualTo(422);
    assertThat(status(new VaultException(VaultException.Kind.INVALID, "invalid", "x"))).isEqualTo(400);
    assertThat(status(new VaultException(VaultException.Kind.UNAVAILABLE, "key_manager_unavailable", "x"))).isEqualTo(503);
    Problem integrity = ProblemMappers.toProblem(
        new VaultException(VaultException.Kind.INTEGRITY, "record_integrity_failure", "details"));
    assertThat(integrity.status()).isEqualTo(500);
    assertThat(integrity.code()).isEqualTo("record_integrity_failure");
  }

  @Test
  void anOutageIsNeverAClientFault() {
    assertThat(status(new StoreException("disk gone", null))).isEqualTo(503);
    assertThat(status(new KeyManagerException.Unavailable("hsm gone", null))).isEqualTo(503);
    assertThat(status(new KeyManagerException.IntegrityFailure("tampered", null))).isEqualTo(500);
    assertThat(status(new CompletionException(new StoreException("disk gone", null)))).isEqualTo(503);
    assertThat(status(new IllegalStateException("bug"))).isEqualTo(500);
  }

  @Test
  void invalidValuesNameTheFieldAndTheReason() {
    Problem p = ProblemMappers.toProblem(new CompletionException(
        new InvalidValueException("luhn_check_failed", "value", "the card number fails the Luhn check")));
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.code()).isEqualTo("validation_failed");
    assertThat(p.errors()).singleElement().satisfies(e -> {
      assertThat(e.field()).isEqualTo("value");
      assertThat(e.code()).isEqualTo("luhn_check_failed");
    });
  }

  @Test
  void jacksonMessagesNeverReachTheProblem() {
    ObjectMapper json = new ObjectMapper();
    record Body(long amount) {}
    JsonProcessingException mismatch = catching(() -> json.readValue("{\"amount\":\"4111111111111111x\"}", Body.class));
    Problem p = ProblemMappers.toProblem(mismatch);
    assertThat(p.code()).isEqualTo("validation_failed");
    assertThat(p.errors().get(0).field()).isEqualTo("amount");
    assertThat(p.toString()).doesNotContain("4111111111111111");

    JsonProcessingException broken = catching(() -> json.readTree("{\"value\":\"4111111111111111"));
    Problem q = ProblemMappers.toProblem(broken);
    assertThat(q.code()).isEqualTo("malformed_json");
    assertThat(q.toString()).doesNotContain("4111111111111111");
  }

  private static int status(Throwable t) {
    return ProblemMappers.toProblem(t).status();
  }

  interface Parse {
    void run() throws JsonProcessingException;
  }

  private static JsonProcessingException catching(Parse p) {
    try {
      p.run();
    } catch (JsonProcessingException e) {
      return e;
    }
    throw new AssertionError("expected a Jackson failure");
  }
}
