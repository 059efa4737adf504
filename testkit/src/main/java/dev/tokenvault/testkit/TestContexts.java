package dev.tokenvault.testkit;

import dev.tokenvault.core.audit.RequestContext;
import java.util.List;
import java.util.UUID;

/** Request contexts for tests: made-up principals, never real credentials. */
public final class TestContexts {
  private TestContexts() {}

  public static RequestContext merchant() {
    return client("merchant-1");
  }

  /** A key custodian: the {@code keys.admin} scope only. */
  public static RequestContext admin() {
    return new RequestContext(
        "sub-key-custodian",
        "admin",
        List.of("keys.admin"),
        "127.0.0.1",
        "tokenvault-tests",
        null,
        UUID.randomUUID().toString());
  }

  public static RequestContext client(String clientId) {
    return new RequestContext(
        "sub-" + clientId,
        clientId,
        List.of("payments.tokenize", "payments.create", "payments.detokenize"),
        "127.0.0.1",
        "tokenvault-tests",
        null,
        UUID.randomUUID().toString());
  }
}
