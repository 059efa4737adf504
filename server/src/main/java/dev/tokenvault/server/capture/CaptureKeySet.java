package dev.tokenvault.server.capture;

import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import dev.tokenvault.core.vault.VaultKeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The capture keys in force for one month: the current signing and encryption key pairs and the
 * previous month's, if they exist. Only these kids are accepted (see {@link CaptureKeyIds}).
 */
record CaptureKeySet(
    YearMonth month,
    VaultKeyPair signing,
    Optional<VaultKeyPair> previousSigning,
    VaultKeyPair encryption,
    Optional<VaultKeyPair> previousEncryption) {

  CaptureKeySet {
    Objects.requireNonNull(month, "month");
    Objects.requireNonNull(signing, "signing");
    Objects.requireNonNull(previousSigning, "previousSigning");
    Objects.requireNonNull(encryption, "encryption");
    Objects.requireNonNull(previousEncryption, "previousEncryption");
  }

  /** The public key that verifies sessions signed under {@code kid}, if it is in force. */
  Optional<ECPublicKey> verificationKey(String kid) {
    return find(kid, signing, previousSigning).map(VaultKeyPair::publicKey);
  }

  /** The private key that decrypts JWEs made for {@code kid}, if it is in force. */
  Optional<ECPrivateKey> decryptionKey(String kid) {
    return find(kid, encryption, previousEncryption).map(VaultKeyPair::privateKey);
  }

  private static Optional<VaultKeyPair> find(
      String kid, VaultKeyPair current, Optional<VaultKeyPair> previous) {
    if (kid == null) {
      return Optional.empty();
    }
    if (current.kid().equals(kid)) {
      return Optional.of(current);
    }
    return previous.filter(p -> p.kid().equals(kid));
  }

  /** The encryption public key a browser encrypts to: {@code use: enc}, {@code alg: ECDH-ES}. */
  ECKey encryptionJwk() {
    return encryptionJwk(encryption);
  }

  /** Every key in force, current first: what {@code GET /v1/capture/jwks} publishes. */
  JWKSet publicJwks() {
    List<JWK> keys = new ArrayList<>();
    keys.add(encryptionJwk(encryption));
    previousEncryption.ifPresent(k -> keys.add(encryptionJwk(k)));
    keys.add(signingJwk(signing));
    previousSigning.ifPresent(k -> keys.add(signingJwk(k)));
    return new JWKSet(keys);
  }

  static ECKey encryptionJwk(VaultKeyPair k) {
    return new ECKey.Builder(Curve.P_256, k.publicKey())
        .keyID(k.kid())
        .keyUse(KeyUse.ENCRYPTION)
        .algorithm(JWEAlgorithm.ECDH_ES)
        .build();
  }

  static ECKey signingJwk(VaultKeyPair k) {
    return new ECKey.Builder(Curve.P_256, k.publicKey())
        .keyID(k.kid())
        .keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.ES256)
        .build();
  }
}
