package dev.tokenvault.testkit;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
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
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Valid records for store tests, as pre-filled builders.
 *
 * <p>Ciphertexts and wrapped keys are random bytes of a realistic length, not encryptions of
 * anything: a store never sees a value, so its tests never need one. Times are truncated to
 * microseconds, the finest precision every supported engine keeps (PostgreSQL {@code timestamptz}).
 */
public final class TestRecords {
  private TestRecords() {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A Tink AES-256-GCM ciphertext of a 16-byte value: 5 prefix + 12 IV + 16 + 16 tag. */
  static final int CIPHERTEXT_LENGTH = 49;

  /** Length of a wrapped Tink keyset, roughly. */
  static final int WRAPPED_KEY_LENGTH = 120;

  /** The current time at microsecond precision. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  public static byte[] randomBytes(int length) {
    byte[] b = new byte[length];
    RANDOM.nextBytes(b);
    return b;
  }

  public static String randomHex(int bytes) {
    return HexFormat.of().formatHex(randomBytes(bytes));
  }

  public static Namespace namespace() {
    return new Namespace("ns-" + randomHex(4));
  }

  public static Token token() {
    return Token.random(RANDOM);
  }

  /** A keyed-fingerprint-shaped string (hex of 32 random bytes). */
  public static String fingerprint() {
    return randomHex(32);
  }

  /** A fingerprint-shaped string of fingerprint-key version {@code version} ({@code fp2_…}). */
  public static String fingerprint(int version) {
    return dev.tokenvault.core.store.FingerprintFormat.prefix(version) + randomHex(32);
  }

  /** Version {@code version} of {@code namespace}'s fingerprint key, as the vault stores it. */
  public static DataKeyRecord fingerprintKey(Namespace namespace, int version) {
    return new DataKeyRecord(
        "fk_v" + version + "_" + namespace.name(),
        namespace,
        KeyPurpose.FINGERPRINT,
        new WrappedKey("local:kek", 3, randomBytes(WRAPPED_KEY_LENGTH)),
        now());
  }

  /** A made-up caller: a merchant's service account on a documentation address (RFC 5737). */
  public static RequestContext actor() {
    return actor("merchant-a-service", "merchant-a");
  }

  public static RequestContext actor(String principal, String clientId) {
    return new RequestContext(
        principal,
        clientId,
        List.of("payments.tokenize", "payments.read"),
        "203.0.113.7",
        "tokenvault-testkit/1.0",
        null,
        "req-" + randomHex(8));
  }

  /** An event with every optional field set. */
  public static AuditEvent.Builder event(String eventName) {
    return AuditEvent.builder(eventName, actor(), now())
        .namespace("default")
        .key("dk_" + randomHex(8), 1)
        .encryptionContext(Map.of("namespace", "default", "purpose", "record"));
  }

  public static AuditEvent tokenizeEvent(TokenRecord record) {
    return AuditEvent.builder(AuditAction.TOKENIZE, actor(), now())
        .namespace(record.namespace().name())
        .token(record.token().value())
        .key(record.dataKeyId(), 1)
        .outcome(Outcome.SUCCESS, null)
        .build();
  }

  public static AuditEvent deleteEvent(Token token, Namespace namespace) {
    return AuditEvent.builder(AuditAction.DELETE_TOKEN, actor(), now())
        .namespace(namespace.name())
        .token(token.value())
        .build();
  }

  public static AuditEvent dataKeyEvent(DataKeyRecord key) {
    return AuditEvent.builder(AuditAction.GENERATE_DATA_KEY, RequestContext.system("boot"), now())
        .namespace(key.namespace().name())
        .key(key.keyId(), key.wrapped().kekVersion())
        .encryptionContext(Map.of("namespace", key.namespace().name(), "keyId", key.keyId()))
        .build();
  }

  public static AuditEvent paymentEvent(Payment payment) {
    return AuditEvent.builder(
            AuditAction.CREATE_PAYMENT, actor("merchant-a-service", payment.clientId()), now())
        .namespace(payment.namespace().name())
        .token(payment.token().value())
        .build();
  }

  public static DataKeyRecord dataKey(Namespace namespace) {
    return dataKey(namespace, "dk_" + randomHex(12));
  }

  public static DataKeyRecord dataKey(Namespace namespace, String keyId) {
    return new DataKeyRecord(
        keyId,
        namespace,
        KeyPurpose.RECORD,
        new WrappedKey("local:kek", 3, randomBytes(WRAPPED_KEY_LENGTH)),
        now());
  }

  /** A random (non-deterministic) card token record, every optional field set. */
  public static TokenBuilder tokenRecord(Namespace namespace, String dataKeyId) {
    return new TokenBuilder(namespace, dataKeyId);
  }

  /** An approved payment of 12.34 EUR by {@code clientId} under {@code idempotencyKey}. */
  public static PaymentBuilder payment(String clientId, String idempotencyKey) {
    return new PaymentBuilder(clientId, idempotencyKey);
  }

  /** Fills a {@link TokenRecord}; defaults are valid and every optional field is set. */
  public static final class TokenBuilder {
    private Token token = TestRecords.token();
    private Namespace namespace;
    private ValueType type = ValueType.CARD;
    private byte[] ciphertext = randomBytes(CIPHERTEXT_LENGTH);
    private String dataKeyId;
    private String fingerprint = TestRecords.fingerprint();
    private boolean deterministic;
    private String last4 = "4242";
    private String bin = "424242";
    private String scheme = "visa";
    private Instant createdAt = now();
    private Instant expiresAt = createdAt.plus(30, ChronoUnit.DAYS);
    private Map<String, String> metadata = Map.of("order", "A-1001", "note", "b\u00e4r \"quoted\"");

    private TokenBuilder(Namespace namespace, String dataKeyId) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      this.dataKeyId = Objects.requireNonNull(dataKeyId, "dataKeyId");
    }

    public TokenBuilder token(Token v) {
      this.token = v;
      return this;
    }

    public TokenBuilder type(ValueType v) {
      this.type = v;
      return this;
    }

    public TokenBuilder ciphertext(byte[] v) {
      this.ciphertext = v.clone();
      return this;
    }

    public TokenBuilder deterministic(String fingerprint) {
      this.deterministic = true;
      this.fingerprint = fingerprint;
      return this;
    }

    public TokenBuilder fingerprint(String v) {
      this.fingerprint = v;
      return this;
    }

    /** An account-number record: no BIN, no scheme. */
    public TokenBuilder account() {
      this.type = ValueType.ACCOUNT;
      this.bin = null;
      this.scheme = null;
      this.last4 = "3456";
      return this;
    }

    public TokenBuilder createdAt(Instant v) {
      this.createdAt = v;
      return this;
    }

    public TokenBuilder expiresAt(Instant v) {
      this.expiresAt = v;
      return this;
    }

    public TokenBuilder metadata(Map<String, String> v) {
      this.metadata = v;
      return this;
    }

    public TokenRecord build() {
      return new TokenRecord(
          token,
          namespace,
          type,
          ciphertext,
          dataKeyId,
          fingerprint,
          deterministic,
          last4,
          bin,
          scheme,
          createdAt,
          expiresAt,
          metadata);
    }
  }

  /** Fills a {@link Payment}; defaults are valid. */
  public static final class PaymentBuilder {
    private String id = "pay_" + randomHex(12);
    private Namespace namespace = Namespace.DEFAULT;
    private Token token = TestRecords.token();
    private long amount = 1234;
    private String currency = "EUR";
    private PaymentStatus status = PaymentStatus.APPROVED;
    private String declineCode;
    private String authorizationCode = "A1B2C3";
    private final String clientId;
    private final String idempotencyKey;
    private String requestHash = randomHex(32);
    private Instant createdAt = now();

    private PaymentBuilder(String clientId, String idempotencyKey) {
      this.clientId = Objects.requireNonNull(clientId, "clientId");
      this.idempotencyKey = Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    }

    public PaymentBuilder namespace(Namespace v) {
      this.namespace = v;
      return this;
    }

    public PaymentBuilder token(Token v) {
      this.token = v;
      return this;
    }

    public PaymentBuilder amount(long v) {
      this.amount = v;
      return this;
    }

    public PaymentBuilder declined(String code) {
      this.status = PaymentStatus.DECLINED;
      this.declineCode = code;
      this.authorizationCode = null;
      return this;
    }

    public PaymentBuilder requestHash(String v) {
      this.requestHash = v;
      return this;
    }

    public Payment build() {
      return new Payment(
          id,
          namespace,
          token,
          "****4242",
          amount,
          currency,
          status,
          declineCode,
          authorizationCode,
          clientId,
          idempotencyKey,
          requestHash,
          createdAt);
    }
  }

  /** A fresh idempotency key. */
  public static String idempotencyKey() {
    return UUID.randomUUID().toString();
  }
}
