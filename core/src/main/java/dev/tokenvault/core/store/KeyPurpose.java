package dev.tokenvault.core.store;

/** What a stored (wrapped) key is for. */
public enum KeyPurpose {
  /** Encrypts records (AES-256-GCM). */
  RECORD,
  /** Computes fingerprints for deterministic tokenization (HMAC-SHA256 PRF). */
  FINGERPRINT
}
