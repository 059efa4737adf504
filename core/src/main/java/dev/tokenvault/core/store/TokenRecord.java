package dev.tokenvault.core.store;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A token as stored: the value only as ciphertext, plus metadata that is safe to keep in clear.
 *
 * @param token the token, unique in the store
 * @param namespace the tenant it belongs to
 * @param type card or account
 * @param ciphertext the record envelope ({@code dev.tokenvault.core.crypto.RecordCipher})
 * @param dataKeyId the data key that encrypted it
 * @param fingerprint keyed PRF of the value under the namespace's fingerprint key
 * @param deterministic whether this is the namespace's one token for its fingerprint
 * @param last4 last four characters of the value
 * @param bin first six digits (cards of 15+ digits), else null
 * @param scheme card scheme wire name (cards), else null
 * @param createdAt creation time
 * @param expiresAt when the token stops answering, or null
 * @param metadata caller metadata (small, string to string, never a value)
 */
public record TokenRecord(
    Token token,
    Namespace namespace,
    ValueType type,
    byte[] ciphertext,
    String dataKeyId,
    String fingerprint,
    boolean deterministic,
    String last4,
    String bin,
    String scheme,
    Instant createdAt,
    Instant expiresAt,
    Map<String, String> metadata) {

  public TokenRecord {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(ciphertext, "ciphertext");
    Objects.requireNonNull(dataKeyId, "dataKeyId");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(last4, "last4");
    Objects.requireNonNull(createdAt, "createdAt");
    ciphertext = ciphertext.clone();
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  public boolean isExpiredAt(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenRecord r
        && token.equals(r.token)
        && namespace.equals(r.namespace)
        && type == r.type
        && Arrays.equals(ciphertext, r.ciphertext)
        && dataKeyId.equals(r.dataKeyId)
        && fingerprint.equals(r.fingerprint)
        && deterministic == r.deterministic
        && last4.equals(r.last4)
        && Objects.equals(bin, r.bin)
        && Objects.equals(scheme, r.scheme)
        && createdAt.equals(r.createdAt)
        && Objects.equals(expiresAt, r.expiresAt)
        && metadata.equals(r.metadata);
  }

  @Override
  public int hashCode() {
    return token.hashCode();
  }

  @Override
  public String toString() {
    return "TokenRecord[" + token + ", " + namespace + ", " + type + ", ****" + last4 + "]";
  }
}
