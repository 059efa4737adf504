package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentStatus;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Records to DynamoDB items and back. Attribute names are snake_case as in the seeds' table.
 *
 * <h2>Times</h2>
 *
 * {@code created_at}, {@code event_time} and the exact expiry are ISO-8601 instants (strings,
 * nanosecond-exact round trip). {@code expires_at} is a number of epoch seconds, rounded
 * <em>up</em>, because DynamoDB TTL reads only that format: rounding up means TTL never removes an
 * item before it expires. Reads never trust TTL (it deletes lazily, up to days late) and check
 * expiry on the exact value themselves.
 */
final class Items {
  private Items() {}

  /** Prefix of fingerprint items' partition key in the tokens table; a token never starts so. */
  static final String FINGERPRINT_PREFIX = "fp#";

  /** Prefix of idempotency items' partition key in the payments table. */
  static final String IDEMPOTENCY_PREFIX = "idem#";

  // ---- keys

  static Map<String, AttributeValue> tokenKey(String token) {
    return Map.of("token", s(token));
  }

  static Map<String, AttributeValue> fingerprintKey(Namespace namespace, String fingerprint) {
    return Map.of("token", s(fingerprintId(namespace, fingerprint)));
  }

  /** Namespaces cannot contain {@code #}, so namespace and fingerprint split unambiguously. */
  static String fingerprintId(Namespace namespace, String fingerprint) {
    return FINGERPRINT_PREFIX + namespace.name() + "#" + fingerprint;
  }

  static Map<String, AttributeValue> dataKeyKey(String keyId) {
    return Map.of("key_id", s(keyId));
  }

  static Map<String, AttributeValue> paymentKey(String id) {
    return Map.of("id", s(id));
  }

  /**
   * The idempotency item's id: a hash of the length-prefixed client id and key, so that any
   * characters in either (including {@code #}) map to one fixed-length key without ambiguity.
   */
  static String idempotencyId(String clientId, String idempotencyKey) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : List.of(clientId, idempotencyKey)) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        sha.update(
            new byte[] {
              (byte) (b.length >>> 24),
              (byte) (b.length >>> 16),
              (byte) (b.length >>> 8),
              (byte) b.length
            });
        sha.update(b);
      }
      return IDEMPOTENCY_PREFIX + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  // ---- tokens

  static Map<String, AttributeValue> token(TokenRecord r) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("token", s(r.token().value()));
    m.put("namespace", s(r.namespace().name()));
    m.put("type", s(r.type().wireName()));
    m.put("ciphertext", AttributeValue.fromB(SdkBytes.fromByteArray(r.ciphertext())));
    m.put("key_id", s(r.dataKeyId()));
    m.put("fingerprint", s(r.fingerprint()));
    m.put("deterministic", AttributeValue.fromBool(r.deterministic()));
    m.put("last4", s(r.last4()));
    putIfPresent(m, "bin", r.bin());
    putIfPresent(m, "scheme", r.scheme());
    m.put("created_at", s(r.createdAt().toString()));
    putExpiry(m, r.expiresAt());
    Map<String, AttributeValue> metadata = new HashMap<>();
    r.metadata().forEach((k, v) -> metadata.put(k, s(v)));
    m.put("metadata", AttributeValue.fromM(metadata));
    return m;
  }

  static TokenRecord token(Map<String, AttributeValue> m) {
    Map<String, String> metadata = new LinkedHashMap<>();
    AttributeValue meta = m.get("metadata");
    if (meta != null && meta.m() != null) {
      meta.m().forEach((k, v) -> metadata.put(k, v.s()));
    }
    return new TokenRecord(
        new Token(str(m, "token")),
        new Namespace(str(m, "namespace")),
        ValueType.fromWireName(str(m, "type")),
        m.get("ciphertext").b().asByteArray(),
        str(m, "key_id"),
        str(m, "fingerprint"),
        Boolean.TRUE.equals(m.get("deterministic").bool()),
        str(m, "last4"),
        str(m, "bin"),
        str(m, "scheme"),
        Instant.parse(str(m, "created_at")),
        expiry(m),
        metadata);
  }

  /** The fingerprint item: points at the namespace's deterministic token, expires with it. */
  static Map<String, AttributeValue> fingerprint(TokenRecord r) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("token", s(fingerprintId(r.namespace(), r.fingerprint())));
    m.put("target", s(r.token().value()));
    m.put("namespace", s(r.namespace().name()));
    putExpiry(m, r.expiresAt());
    return m;
  }

  private static void putExpiry(Map<String, AttributeValue> m, Instant expiresAt) {
    if (expiresAt == null) {
      return;
    }
    long seconds = expiresAt.getEpochSecond() + (expiresAt.getNano() > 0 ? 1 : 0);
    m.put(Tables.TTL_ATTRIBUTE, AttributeValue.fromN(Long.toString(seconds)));
    m.put("expires_at_exact", s(expiresAt.toString()));
  }

  private static Instant expiry(Map<String, AttributeValue> m) {
    String exact = str(m, "expires_at_exact");
    if (exact != null) {
      return Instant.parse(exact);
    }
    AttributeValue seconds = m.get(Tables.TTL_ATTRIBUTE);
    return seconds == null ? null : Instant.ofEpochSecond(Long.parseLong(seconds.n()));
  }

  // ---- data keys

  static Map<String, AttributeValue> dataKey(DataKeyRecord k) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("key_id", s(k.keyId()));
    m.put("namespace", s(k.namespace().name()));
    m.put("purpose", s(k.purpose().name()));
    m.put("kek_id", s(k.wrapped().kekId()));
    m.put("kek_version", n(k.wrapped().kekVersion()));
    m.put("wrapped", AttributeValue.fromB(SdkBytes.fromByteArray(k.wrapped().ciphertext())));
    m.put("created_at", s(k.createdAt().toString()));
    return m;
  }

  static DataKeyRecord dataKey(Map<String, AttributeValue> m) {
    return new DataKeyRecord(
        str(m, "key_id"),
        new Namespace(str(m, "namespace")),
        KeyPurpose.valueOf(str(m, "purpose")),
        new WrappedKey(
            str(m, "kek_id"),
            Integer.parseInt(m.get("kek_version").n()),
            m.get("wrapped").b().asByteArray()),
        Instant.parse(str(m, "created_at")));
  }

  // ---- payments

  static Map<String, AttributeValue> payment(Payment p) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("id", s(p.id()));
    m.put("namespace", s(p.namespace().name()));
    m.put("token", s(p.token().value()));
    m.put("masked_account", s(p.maskedAccount()));
    m.put("amount", n(p.amount()));
    m.put("currency", s(p.currency()));
    m.put("status", s(p.status().name()));
    putIfPresent(m, "decline_code", p.declineCode());
    putIfPresent(m, "authorization_code", p.authorizationCode());
    m.put("client_id", s(p.clientId()));
    m.put("idempotency_key", s(p.idempotencyKey()));
    m.put("request_hash", s(p.requestHash()));
    m.put("created_at", s(p.createdAt().toString()));
    return m;
  }

  static Payment payment(Map<String, AttributeValue> m) {
    return new Payment(
        str(m, "id"),
        new Namespace(str(m, "namespace")),
        new Token(str(m, "token")),
        str(m, "masked_account"),
        Long.parseLong(m.get("amount").n()),
        str(m, "currency"),
        PaymentStatus.valueOf(str(m, "status")),
        str(m, "decline_code"),
        str(m, "authorization_code"),
        str(m, "client_id"),
        str(m, "idempotency_key"),
        str(m, "request_hash"),
        Instant.parse(str(m, "created_at")));
  }

  /** The idempotency item: (client, key) to the payment it created. */
  static Map<String, AttributeValue> idempotency(Payment p) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("id", s(idempotencyId(p.clientId(), p.idempotencyKey())));
    m.put("payment_id", s(p.id()));
    m.put("client_id", s(p.clientId()));
    m.put("idempotency_key", s(p.idempotencyKey()));
    return m;
  }

  // ---- audit

  static Map<String, AttributeValue> auditEvent(String chain, long seq, AuditEvent e) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("chain", s(chain));
    m.put("seq", n(seq));
    m.put("event_id", s(e.eventId()));
    m.put("event_time", s(e.eventTime().toString()));
    m.put("event_name", s(e.eventName()));
    RequestContext a = e.actor();
    m.put("principal", s(a.principal()));
    putIfPresent(m, "client_id", a.clientId());
    m.put("scopes", AttributeValue.fromL(a.scopes().stream().map(Items::s).toList()));
    putIfPresent(m, "source_ip", a.sourceIp());
    putIfPresent(m, "user_agent", a.userAgent());
    putIfPresent(m, "client_cert_subject", a.clientCertSubject());
    m.put("request_id", s(a.requestId()));
    putIfPresent(m, "namespace", e.namespace());
    putIfPresent(m, "token", e.token());
    putIfPresent(m, "key_id", e.keyId());
    if (e.keyVersion() != null) {
      m.put("key_version", n(e.keyVersion()));
    }
    Map<String, AttributeValue> context = new HashMap<>();
    e.encryptionContext().forEach((k, v) -> context.put(k, s(v)));
    m.put("encryption_context", AttributeValue.fromM(context));
    m.put("outcome", s(e.outcome().name()));
    putIfPresent(m, "error_code", e.errorCode());
    m.put("previous_hash", s(e.previousHash()));
    m.put("hash", s(e.hash()));
    return m;
  }

  static StoredAuditEvent auditEvent(Map<String, AttributeValue> m) {
    AttributeValue scopes = m.get("scopes");
    RequestContext actor =
        new RequestContext(
            str(m, "principal"),
            str(m, "client_id"),
            scopes == null ? List.of() : scopes.l().stream().map(AttributeValue::s).toList(),
            str(m, "source_ip"),
            str(m, "user_agent"),
            str(m, "client_cert_subject"),
            str(m, "request_id"));
    Map<String, String> context = new HashMap<>();
    AttributeValue ctx = m.get("encryption_context");
    if (ctx != null && ctx.m() != null) {
      ctx.m().forEach((k, v) -> context.put(k, v.s()));
    }
    AttributeValue keyVersion = m.get("key_version");
    AuditEvent event =
        new AuditEvent(
            str(m, "event_id"),
            Instant.parse(str(m, "event_time")),
            str(m, "event_name"),
            actor,
            str(m, "namespace"),
            str(m, "token"),
            str(m, "key_id"),
            keyVersion == null ? null : Integer.valueOf(keyVersion.n()),
            context,
            Outcome.valueOf(str(m, "outcome")),
            str(m, "error_code"),
            str(m, "previous_hash"),
            str(m, "hash"));
    return new StoredAuditEvent(Long.parseLong(m.get("seq").n()), event);
  }

  // ---- helpers

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }

  static String str(Map<String, AttributeValue> m, String name) {
    AttributeValue v = m.get(name);
    return v == null ? null : v.s();
  }

  private static void putIfPresent(Map<String, AttributeValue> m, String name, String value) {
    if (value != null) {
      m.put(name, s(value));
    }
  }
}
