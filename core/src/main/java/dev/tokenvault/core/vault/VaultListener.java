package dev.tokenvault.core.vault;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.value.Token;

/**
 * What the vault tells an observer (metrics, detectors) as it works. Every method has an empty
 * default; implementations must be cheap and must not block: they run on the request path, often
 * on an event-loop thread. They never receive a value or a key.
 */
public interface VaultListener {

  /** The listener that does nothing. */
  VaultListener NONE = new VaultListener() {};

  /** A value was revealed to a caller (after its audit event was durable). */
  default void detokenized(RequestContext ctx, Token token) {}

  /**
   * Stored data failed authentication: a record's AEAD tag ({@code record_integrity_failure}) or
   * a wrapped key ({@code key_integrity_failure}). Tampering or corruption.
   */
  default void integrityFailure(String code) {}

  /** An audit event could not be written; the operation it audited was refused. */
  default void auditWriteFailed(String eventName) {}

  /** A data key was found unwrapped in the cache (no key-manager call). */
  default void dataKeyCacheHit() {}

  /** A data key had to be unwrapped by the key manager. */
  default void dataKeyCacheMiss() {}
}
