package dev.tokenvault.core.store;

import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.value.Namespace;
import java.time.Instant;
import java.util.Objects;

/**
 * A data key as stored: only ever wrapped under a KEK.
 *
 * @param keyId the data key's id, unique in the store, referenced by every record it encrypts
 * @param namespace the namespace the key belongs to (keys are never shared between namespaces)
 * @param purpose record encryption or fingerprinting
 * @param wrapped the key encrypted under the key manager's KEK
 * @param createdAt when it was generated
 */
public record DataKeyRecord(
    String keyId, Namespace namespace, KeyPurpose purpose, WrappedKey wrapped, Instant createdAt) {
  public DataKeyRecord {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
