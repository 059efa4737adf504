package dev.tokenvault.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenvault.core.testing.Vectors;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;

class EcKeyPairsTest {

  /**
   * Wycheproof's WebCrypto ECDH vectors give each private key as a JWK with its own public point
   * (d, x, y): the public point we compute from d must be exactly theirs, and the ECDH shared
   * secret with the peer's point must be the one they publish.
   */
  @Test
  void publicPointFromPrivateScalarMatchesWycheproof() throws Exception {
    JsonNode root = Vectors.json("wycheproof/ecdh_secp256r1_webcrypto_test.json");
    Set<String> checked = new HashSet<>();
    int agreements = 0;
    for (JsonNode group : root.get("testGroups")) {
      for (JsonNode t : group.get("tests")) {
        JsonNode priv = t.get("private");
        BigInteger d = b64(priv.get("d").asText());
        KeyPair kp = EcKeyPairs.p256(d);
        ECPublicKey pub = (ECPublicKey) kp.getPublic();
        assertThat(pub.getW().getAffineX()).isEqualTo(b64(priv.get("x").asText()));
        assertThat(pub.getW().getAffineY()).isEqualTo(b64(priv.get("y").asText()));
        checked.add(priv.get("d").asText());
        if ("valid".equals(t.get("result").asText()) && t.get("public").has("y")) {
          KeyAgreement ka = KeyAgreement.getInstance("ECDH");
          ka.init(kp.getPrivate());
          ka.doPhase(publicKey(t.get("public")), true);
          assertThat(java.util.HexFormat.of().formatHex(ka.generateSecret()))
              .isEqualTo(t.get("shared").asText());
          agreements++;
        }
      }
    }
    assertThat(checked).isNotEmpty();
    assertThat(agreements).isPositive();
  }

  @Test
  void derivationIsDeterministicAndSeparatedByLabel() throws Exception {
    byte[] seed = new byte[32];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = (byte) i;
    }
    KeyPair a = EcKeyPairs.p256FromSeed(seed, "tokenvault/SIGNING/vk_sig_a");
    KeyPair again = EcKeyPairs.p256FromSeed(seed.clone(), "tokenvault/SIGNING/vk_sig_a");
    KeyPair other = EcKeyPairs.p256FromSeed(seed, "tokenvault/CAPTURE_ENCRYPTION/vk_sig_a");
    assertThat(again.getPublic().getEncoded()).isEqualTo(a.getPublic().getEncoded());
    assertThat(other.getPublic().getEncoded()).isNotEqualTo(a.getPublic().getEncoded());

    // A known answer, so that no change of library or code can silently change a published key.
    ECPublicKey pub = (ECPublicKey) a.getPublic();
    assertThat(pub.getW().getAffineX().toString(16)).isEqualTo(KNOWN_X);

    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(a.getPrivate());
    byte[] msg = "checkpoint".getBytes(StandardCharsets.US_ASCII);
    signer.update(msg);
    byte[] sig = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(a.getPublic());
    verifier.update(msg);
    assertThat(verifier.verify(sig)).isTrue();
    verifier.initVerify(other.getPublic());
    verifier.update(msg);
    assertThat(verifier.verify(sig)).isFalse();
  }

  @Test
  void refusesBadSeedsAndScalars() {
    assertThatThrownBy(() -> EcKeyPairs.p256FromSeed(new byte[31], "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EcKeyPairs.p256(BigInteger.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    BigInteger n =
        new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    assertThatThrownBy(() -> EcKeyPairs.p256(n)).isInstanceOf(IllegalArgumentException.class);
    assertThat(EcKeyPairs.p256(n.subtract(BigInteger.ONE))).isNotNull();
  }

  /**
   * x of the public key for seed 00..1f and that label, computed independently with Python's
   * {@code hmac}/{@code hashlib} (HKDF-SHA256 written out by hand) and {@code
   * cryptography.hazmat ... ec.derive_private_key}, 2026-11-23.
   */
  private static final String KNOWN_X =
      "19a131ca57c705005cbbade0611116e821ddcc129bdfb785782654ab7c6c223f";

  private static BigInteger b64(String s) {
    return new BigInteger(1, Base64.getUrlDecoder().decode(s));
  }

  private static java.security.PublicKey publicKey(JsonNode jwk) throws Exception {
    java.security.AlgorithmParameters params = java.security.AlgorithmParameters.getInstance("EC");
    params.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.spec.ECParameterSpec spec =
        params.getParameterSpec(java.security.spec.ECParameterSpec.class);
    return java.security.KeyFactory.getInstance("EC")
        .generatePublic(
            new java.security.spec.ECPublicKeySpec(
                new java.security.spec.ECPoint(
                    b64(jwk.get("x").asText()), b64(jwk.get("y").asText())),
                spec));
  }
}
