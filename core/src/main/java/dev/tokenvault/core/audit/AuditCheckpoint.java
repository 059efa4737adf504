package dev.tokenvault.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A signed statement of the audit chain's head: "the event at {@code headSequence} has hash
 * {@code headHash} and is the {@code eventCount}-th event of the chain", made at {@code time} with
 * the vault's signing key {@code kid}.
 *
 * <h2>Why</h2>
 *
 * The hash chain alone is unkeyed: whoever can write the whole log can recompute it after an edit,
 * and can cut events off its end. A checkpoint is signed with a key that only the vault can use
 * (its seed is wrapped under the KEK), so a rewritten chain no longer matches the signed head, and
 * a log that ends before a signed head was truncated. Format and threat model:
 * {@code docs/audit.md}.
 *
 * <h2>Signature</h2>
 *
 * ECDSA P-256 with SHA-256 (JWS ES256), over {@link #signingInput()}, the signature in IEEE P1363
 * form (r || s, 64 bytes; the JWS encoding), base64url without padding. Plain JDK {@code
 * SHA256withECDSAinP1363Format}: a checkpoint is a handful of fields, not a JOSE object, and a
 * verifier in any language needs only SHA-256 and ECDSA.
 *
 * <h2>Where it is stored</h2>
 *
 * As an audit event of its own kind ({@link AuditAction#AUDIT_CHECKPOINT}) in the chain itself
 * ({@link #toEvent}), so every store keeps it durably with no schema change; and as one log line
 * ({@link #compact()}), so a copy lives outside the database.
 */
public record AuditCheckpoint(
    long headSequence, String headHash, long eventCount, Instant time, String kid, String signature) {

  /** Domain separation: what this signature is about, and the format version. */
  static final String CONTEXT = "tokenvault-audit-checkpoint-v1";

  private static final String ALGORITHM = "SHA256withECDSAinP1363Format";
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern KID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern COMPACT =
      Pattern.compile("tvcp1\\.([0-9]{1,19})\\.([A-Za-z0-9_-]{43})\\.([0-9]{1,19})\\.([0-9]{1,12})"
          + "\\.([A-Za-z0-9_-]{1,64})\\.([A-Za-z0-9_-]{1,200})");

  static final String F_HEAD_SEQUENCE = "checkpoint:head-sequence";
  static final String F_HEAD_HASH = "checkpoint:head-hash";
  static final String F_EVENT_COUNT = "checkpoint:event-count";
  static final String F_TIME = "checkpoint:time";
  static final String F_SIGNATURE = "checkpoint:signature";

  public AuditCheckpoint {
    Objects.requireNonNull(headHash, "headHash");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(kid, "kid");
    if (headSequence < 0 || eventCount < 0) {
      throw new IllegalArgumentException("headSequence and eventCount must be >= 0");
    }
    if (!HEX64.matcher(headHash).matches()) {
      throw new IllegalArgumentException("headHash must be 64 lowercase hex digits");
    }
    if (!KID.matcher(kid).matches()) {
      throw new IllegalArgumentException("a kid is 1-64 characters of A-Z a-z 0-9 - _");
    }
    time = Instant.ofEpochSecond(time.getEpochSecond());
  }

  /** Signs the head with {@code key} (the vault's signing key {@code kid}). */
  public static AuditCheckpoint sign(
      long headSequence, String headHash, long eventCount, Instant time, String kid,
      ECPrivateKey key) {
    AuditCheckpoint unsigned =
        new AuditCheckpoint(headSequence, headHash, eventCount, time, kid, null);
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(unsigned.signingInput());
      String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
      return new AuditCheckpoint(headSequence, headHash, eventCount, unsigned.time, kid, sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-256 signing failed", e);
    }
  }

  /** True when {@link #signature} is a valid signature of this checkpoint under {@code key}. */
  public boolean verify(ECPublicKey key) {
    if (signature == null) {
      return false;
    }
    try {
      byte[] sig = Base64.getUrlDecoder().decode(signature);
      if (sig.length != 64) {
        return false;
      }
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(signingInput());
      return s.verify(sig);
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The signed bytes: UTF-8 of {@code tokenvault-audit-checkpoint-v1 LF headSequence LF headHash
   * LF eventCount LF time-in-epoch-seconds LF kid}. Every field is a decimal number, hex or a
   * kid (no LF possible), so the encoding is unambiguous.
   */
  public byte[] signingInput() {
    return (CONTEXT + "\n" + headSequence + "\n" + headHash + "\n" + eventCount + "\n"
            + time.getEpochSecond() + "\n" + kid)
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * One printable token, {@code tvcp1.<headSequence>.<headHash>.<eventCount>.<epochSeconds>.<kid>.
   * <signature>} with the hash in base64url: what the vault logs at each checkpoint and what
   * {@code tokenvault audit verify --checkpoints} reads. No long decimal runs (a hex hash or epoch
   * milliseconds could look like a card number to the log redaction filter and be masked).
   */
  public String compact() {
    return "tvcp1." + headSequence + "." + B64.encodeToString(HexFormat.of().parseHex(headHash))
        + "." + eventCount + "." + time.getEpochSecond() + "." + kid + "." + signature;
  }

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** Parses {@link #compact()}; empty when the text is not a checkpoint. */
  public static Optional<AuditCheckpoint> parseCompact(String text) {
    var m = COMPACT.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      String hash = HexFormat.of().formatHex(Base64.getUrlDecoder().decode(m.group(2)));
      return Optional.of(new AuditCheckpoint(Long.parseLong(m.group(1)), hash,
          Long.parseLong(m.group(3)), Instant.ofEpochSecond(Long.parseLong(m.group(4))),
          m.group(5), m.group(6)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The audit event that stores this checkpoint in the chain (written by {@code actor}). */
  public AuditEvent toEvent(RequestContext actor) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put(F_HEAD_SEQUENCE, Long.toString(headSequence));
    fields.put(F_HEAD_HASH, headHash);
    fields.put(F_EVENT_COUNT, Long.toString(eventCount));
    fields.put(F_TIME, Long.toString(time.getEpochSecond()));
    fields.put(F_SIGNATURE, signature);
    return AuditEvent.builder(AuditAction.AUDIT_CHECKPOINT, actor, time)
        .key(kid, null)
        .encryptionContext(fields)
        .build();
  }

  /**
   * The checkpoint an {@link AuditAction#AUDIT_CHECKPOINT} event stores; empty when the event is
   * of another kind or its fields do not parse (a verifier reports that as a broken checkpoint).
   */
  public static Optional<AuditCheckpoint> fromEvent(AuditEvent e) {
    if (!AuditAction.AUDIT_CHECKPOINT.equals(e.eventName()) || e.keyId() == null) {
      return Optional.empty();
    }
    Map<String, String> f = e.encryptionContext();
    try {
      return Optional.of(new AuditCheckpoint(
          Long.parseLong(f.get(F_HEAD_SEQUENCE)),
          f.get(F_HEAD_HASH),
          Long.parseLong(f.get(F_EVENT_COUNT)),
          Instant.ofEpochSecond(Long.parseLong(f.get(F_TIME))),
          e.keyId(),
          f.get(F_SIGNATURE)));
    } catch (RuntimeException ex) {
      return Optional.empty();
    }
  }
}
