package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentStatus;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import dev.tokenvault.testkit.TestContexts;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Records for the DynamoDB tests. Ciphertexts are random bytes of a realistic length: a store never
 * sees a value, so its tests never need one.
 */
final class Fixtures {
  private Fixtures() {}

  static final SecureRandom RANDOM = new SecureRandom();

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String hex(int n) {
    return HexFormat.of().formatHex(bytes(n));
  }

  /** A card token with every optional field set; {@code createdAt} has nanoseconds on purpose. */
  static TokenRecord card(
      Namespace ns, String fingerprint, boolean deterministic, Instant expiresAt) {
    return new TokenRecord(
        Token.random(RANDOM),
        ns,
        ValueType.CARD,
        bytes(49),
        "dk_" + hex(8),
        fingerprint,
        deterministic,
        "1111",
        "411111",
        "visa",
        Instant.parse("2026-11-23T04:05:06.123456789Z"),
        expiresAt,
        Map.of("order", "A-17", "channel", "web"));
  }

  static TokenRecord card() {
    return card(Namespace.DEFAULT, hex(32), false, null);
  }

  /** An account token with every optional field absent. */
  static TokenRecord account(Namespace ns) {
    return new TokenRecord(
        Token.random(RANDOM),
        ns,
        ValueType.ACCOUNT,
        bytes(49),
        "dk_" + hex(8),
        hex(32),
        false,
        "3456",
        null,
        null,
        Instant.parse("2026-11-23T04:05:06Z"),
        null,
        null);
  }

  static AuditEvent event(String name, RequestContext actor, TokenRecord r) {
    return AuditEvent.builder(name, actor, Instant.now())
        .namespace(r.namespace().name())
        .token(r.token().value())
        .key(r.dataKeyId(), 1)
        .build();
  }

  static AuditEvent tokenize(TokenRecord r) {
    return event(AuditAction.TOKENIZE, TestContexts.merchant(), r);
  }

  static DataKeyRecord dataKey(String keyId) {
    return new DataKeyRecord(
        keyId,
        Namespace.DEFAULT,
        KeyPurpose.RECORD,
        new WrappedKey("local:kek", 2, bytes(120)),
        Instant.parse("2026-11-23T04:00:00.5Z"));
  }

  static AuditEvent dataKeyEvent(DataKeyRecord k) {
    return AuditEvent.builder(
            AuditAction.GENERATE_DATA_KEY, RequestContext.system("req-" + hex(4)), Instant.now())
        .namespace(k.namespace().name())
        .key(k.keyId(), k.wrapped().kekVersion())
        .encryptionContext(Map.of("namespace", k.namespace().name(), "purpose", "RECORD"))
        .build();
  }

  static Payment payment(String clientId, String idempotencyKey) {
    return new Payment(
        "pay_" + hex(10),
        Namespace.DEFAULT,
        Token.random(RANDOM),
        "****1111",
        1999,
        "EUR",
        PaymentStatus.APPROVED,
        null,
        "AUTH42",
        clientId,
        idempotencyKey,
        hex(32),
        Instant.parse("2026-11-23T04:10:00.000001Z"));
  }

  static AuditEvent paymentEvent(Payment p) {
    return AuditEvent.builder(
            AuditAction.CREATE_PAYMENT, TestContexts.client(p.clientId()), Instant.now())
        .namespace(p.namespace().name())
        .token(p.token().value())
        .build();
  }

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** The exception {@code stage} failed with (unwrapped), or an assertion error. */
  static Throwable failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the stage to fail");
  }
}
