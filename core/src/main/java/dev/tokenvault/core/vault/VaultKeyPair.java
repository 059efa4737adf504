package dev.tokenvault.core.vault;

import dev.tokenvault.core.store.KeyPurpose;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.Objects;

/**
 * One of the vault's own P-256 key pairs (not a tenant's): it signs audit checkpoints and capture
 * sessions ({@link KeyPurpose#SIGNING}) or decrypts browser capture JWEs ({@link
 * KeyPurpose#CAPTURE_ENCRYPTION}).
 *
 * <p>Only its seed is stored, wrapped under the KEK (see {@link
 * dev.tokenvault.core.crypto.EcKeyPairs}); the private key lives in this process's memory while
 * the key is cached, like an unwrapped data key. {@link #toString()} never shows it.
 *
 * @param kid the key id published in JWKS headers and JWS/JWE {@code kid}
 * @param purpose what the key is for; a key is never used for another purpose
 * @param createdAt when its seed was generated
 */
public record VaultKeyPair(String kid, KeyPurpose purpose, KeyPair keyPair, Instant createdAt) {
  public VaultKeyPair {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(keyPair, "keyPair");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  public ECPublicKey publicKey() {
    return (ECPublicKey) keyPair.getPublic();
  }

  public ECPrivateKey privateKey() {
    return (ECPrivateKey) keyPair.getPrivate();
  }

  @Override
  public String toString() {
    return "VaultKeyPair[kid=" + kid + ", purpose=" + purpose + ", createdAt=" + createdAt + "]";
  }
}
