package dev.tokenvault.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
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

  /**
   * One digest per thread, reset before each use: every event written and every event verified
   * hashes here, and {@code MessageDigest.getInstance} looks the provider up each time.
   */
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required of every JVM", e);
            }
          });

  private String computeHash(String previous) {
    MessageDigest sha = SHA_256.get();
    sha.reset();
    sha.update(previous.getBytes(StandardCharsets.US_ASCII));
    sha.update(canonicalBytes());
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Every field except the two hashes, each length-prefixed, in a fixed order. */
  public byte[] canonicalBytes() {
    Canonical out = new Canonical();
    field(out, eventId);
    out.instant(eventTime);
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

  private static void count(Canonical out, int n) {
    out.write(0x01);
    out.write((n >>> 8) & 0xff);
    out.write(n & 0xff);
  }

  private static void field(Canonical out, String s) {
    if (s == null) {
      out.write(0xff);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.header(b.length);
    out.write(b, 0, b.length);
  }

  /**
   * The canonical bytes being built: a growable array without {@code ByteArrayOutputStream}'s
   * lock on every byte, and the event time written as {@link Instant#toString()} writes it
   * without building the string (its formatter was a quarter of the hash's cost in a profile).
   */
  static final class Canonical {
    /** 9999-12-31T23:59:59Z: up to here the time is written by hand, beyond by Instant. */
    static final long LAST_FOUR_DIGIT_SECOND = 253_402_300_799L;

    private byte[] buf = new byte[256];
    private int size;

    void write(int b) {
      ensure(1);
      buf[size++] = (byte) b;
    }

    void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    /** A present field's marker and its length, big-endian. */
    void header(int length) {
      ensure(5);
      buf[size++] = 0x00;
      buf[size++] = (byte) (length >>> 24);
      buf[size++] = (byte) (length >>> 16);
      buf[size++] = (byte) (length >>> 8);
      buf[size++] = (byte) length;
    }

    /**
     * {@code t.toString()} as a field: {@code yyyy-MM-ddTHH:mm:ssZ} with the fraction of a
     * second in 3, 6 or 9 digits as needed (ISO_INSTANT), byte for byte. Times before 1970 or
     * after year 9999 go through {@code toString} itself.
     */
    void instant(Instant t) {
      long seconds = t.getEpochSecond();
      if (seconds < 0 || seconds > LAST_FOUR_DIGIT_SECOND) {
        field(this, t.toString());
        return;
      }
      int nano = t.getNano();
      int fraction = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
      int length = 20 + (fraction == 0 ? 0 : fraction + 1);
      header(length);
      ensure(length);
      long days = Math.floorDiv(seconds, 86_400L);
      int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
      // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
      long z = days + 719_468L;
      long era = z / 146_097L;
      long dayOfEra = z - era * 146_097L;
      long yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
      long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
      long mp = (5 * dayOfYear + 2) / 153;
      int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
      int month = (int) (mp < 10 ? mp + 3 : mp - 9);
      int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
      digits(year, 4);
      buf[size++] = '-';
      digits(month, 2);
      buf[size++] = '-';
      digits(day, 2);
      buf[size++] = 'T';
      digits(secondOfDay / 3600, 2);
      buf[size++] = ':';
      digits(secondOfDay / 60 % 60, 2);
      buf[size++] = ':';
      digits(secondOfDay % 60, 2);
      if (fraction > 0) {
        buf[size++] = '.';
        digits(fraction == 3 ? nano / 1_000_000 : fraction == 6 ? nano / 1_000 : nano, fraction);
      }
      buf[size++] = 'Z';
    }

    private void digits(int value, int width) {
      for (int i = size + width - 1; i >= size; i--) {
        buf[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
      size += width;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
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
