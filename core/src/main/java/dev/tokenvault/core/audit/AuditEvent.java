package dev.tokenvault.core.audit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One audit record, shaped like an AWS CloudTrail event so that tools built for CloudTrail read
 * it naturally: who ({@link RequestContext}), what ({@code eventName}), when, on which resource
 * (namespace, token, key id and version) and with which outcome.
 *
 * <h2>What never appears</h2>
 *
 * A value (card or account number), a key, a secret or a bearer token. Tokens and key ids are
 * references, meaningless without the vault.
 *
 * <h2>Hash chain</h2>
 *
 * A store appends events in order and links each to the one before: {@code hash = SHA-256(
 * previousHash || canonicalBytes())}, hex. In {@link #canonicalBytes()} every string is
 * length-prefixed (null marked apart from empty) and every list or map is count-prefixed, so two
 * different events never encode alike. {@link #chain(String)} fills both fields; {@link
 * #verifyHash()} recomputes them, so any edited, deleted, inserted or reordered event breaks the
 * chain at that point.
 */
public record AuditEvent(
    String eventId,
    Instant eventTime,
    String eventName,
    RequestContext actor,
    String namespace,
    String token,
    String keyId,
    Integer keyVersion,
    Map<String, String> encryptionContext,
    Outcome outcome,
    String errorCode,
    String previousHash,
    String hash) {

  /** The {@code previousHash} of the first event of a chain. */
  public static final String GENESIS = "0".repeat(64);

  public AuditEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventTime, "eventTime");
    Objects.requireNonNull(eventName, "eventName");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(outcome, "outcome");
    encryptionContext =
        encryptionContext == null ? Map.of() : java.util.Collections.unmodifiableMap(
            new TreeMap<>(encryptionContext));
  }

  /** Starts an event with a fresh id. */
  public static Builder builder(String eventName, RequestContext actor, Instant eventTime) {
    return new Builder(eventName, actor, eventTime);
  }

  public AuditEvent withToken(String newToken) {
    return new AuditEvent(eventId, eventTime, eventName, actor, namespace, newToken, keyId,
        keyVersion, encryptionContext, outcome, errorCode, previousHash, hash);
  }

  /** This event linked after an event whose hash is {@code previous}. */
  public AuditEvent chain(String previous) {
    Objects.requireNonNull(previous, "previous");
    return new AuditEvent(eventId, eventTime, eventName, actor, namespace, token, keyId,
        keyVersion, encryptionContext, outcome, errorCode, previous, computeHash(previous));
  }

  /** True when {@code hash} is the hash of this event's content after {@code previousHash}. */
  public boolean verifyHash() {
    return previousHash != null && hash != null && hash.equals(computeHash(previousHash));
  }

  private String computeHash(String previous) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(previous.getBytes(StandardCharsets.US_ASCII));
      sha.update(canonicalBytes());
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** Every field except the two hashes, each length-prefixed, in a fixed order. */
  public byte[] canonicalBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    field(out, eventId);
    field(out, eventTime.toString());
    field(out, eventName);
    field(out, actor.principal());
    field(out, actor.clientId());
    count(out, actor.scopes().size());
    for (String scope : actor.scopes()) {
      field(out, scope);
    }
    field(out, actor.sourceIp());
    field(out, actor.userAgent());
    field(out, actor.clientCertSubject());
    field(out, actor.requestId());
    field(out, namespace);
    field(out, token);
    field(out, keyId);
    field(out, keyVersion == null ? null : keyVersion.toString());
    count(out, encryptionContext.size());
    for (Map.Entry<String, String> e : encryptionContext.entrySet()) {
      field(out, e.getKey());
      field(out, e.getValue());
    }
    field(out, outcome.name());
    field(out, errorCode);
    return out.toByteArray();
  }

  private static void count(ByteArrayOutputStream out, int n) {
    out.write(0x01);
    out.write((n >>> 8) & 0xff);
    out.write(n & 0xff);
  }

  private static void field(ByteArrayOutputStream out, String s) {
    if (s == null) {
      out.write(0xff);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(0x00);
    out.write((b.length >>> 24) & 0xff);
    out.write((b.length >>> 16) & 0xff);
    out.write((b.length >>> 8) & 0xff);
    out.write(b.length & 0xff);
    out.write(b, 0, b.length);
  }

  /** Fills the optional fields of an event. */
  public static final class Builder {
    private final String eventName;
    private final RequestContext actor;
    private final Instant eventTime;
    private String namespace;
    private String token;
    private String keyId;
    private Integer keyVersion;
    private Map<String, String> encryptionContext = Map.of();
    private Outcome outcome = Outcome.SUCCESS;
    private String errorCode;

    private Builder(String eventName, RequestContext actor, Instant eventTime) {
      this.eventName = Objects.requireNonNull(eventName, "eventName");
      this.actor = Objects.requireNonNull(actor, "actor");
      this.eventTime = Objects.requireNonNull(eventTime, "eventTime");
    }

    public Builder namespace(String v) {
      this.namespace = v;
      return this;
    }

    public Builder token(String v) {
      this.token = v;
      return this;
    }

    public Builder key(String id, Integer version) {
      this.keyId = id;
      this.keyVersion = version;
      return this;
    }

    public Builder encryptionContext(Map<String, String> v) {
      this.encryptionContext = v;
      return this;
    }

    public Builder outcome(Outcome v, String code) {
      this.outcome = v;
      this.errorCode = code;
      return this;
    }

    public AuditEvent build() {
      return new AuditEvent(UUID.randomUUID().toString(), eventTime, eventName, actor, namespace,
          token, keyId, keyVersion, encryptionContext, outcome, errorCode, null, null);
    }
  }
}
