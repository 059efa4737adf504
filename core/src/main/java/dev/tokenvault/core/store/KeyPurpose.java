package dev.tokenvault.core.store;

/** What a stored (wrapped) key is for. Stored by name: never rename a constant. */
public enum KeyPurpose {
  /** Encrypts records (AES-256-GCM). */
  RECORD,
  /** Computes fingerprints for deterministic tokenization (HMAC-SHA256 PRF). */
  FINGERPRINT,
  /** Seed of a vault signing key pair (ECDSA P-256): audit checkpoints, capture sessions. */
  SIGNING,
  /** Seed of a vault key-agreement key pair (ECDH-ES P-256): browser capture JWEs. */
  CAPTURE_ENCRYPTION,
  /**
   * Keys the references under which payments are found by their {@code Idempotency-Key}
   * (HMAC-SHA256 PRF): one per vault, so no caller's key is stored in clear.
   */
  IDEMPOTENCY
}
