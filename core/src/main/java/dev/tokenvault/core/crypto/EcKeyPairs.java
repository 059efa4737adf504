package dev.tokenvault.core.crypto;

import com.google.crypto.tink.subtle.Hkdf;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * P-256 key pairs derived from a 32-byte seed that the key manager wraps like any data key.
 *
 * <p>The vault's own asymmetric keys (the signing key of audit checkpoints and capture sessions,
 * the decryption key of browser capture JWEs) are stored the way data keys are: a random seed,
 * wrapped under the KEK, rewrapped on KEK rotation, audited on every unwrap. The key pair is a
 * deterministic function of the seed, so nothing but the wrapped seed is ever stored.
 *
 * <p>Derivation, following FIPS 186-5 A.2.1 (key pair generation using extra random bits): {@code
 * c = HKDF-SHA256(ikm = seed, salt = "tokenvault/p256", info = label, L = 40 bytes)}, {@code d =
 * (c mod (n - 1)) + 1}, {@code Q = d·G}. The 64 extra bits make the bias of {@code d} negligible;
 * the label separates keys of different purposes or ids derived from the same seed.
 *
 * <p>Why P-256: it is approved for both ECDSA (FIPS 186-5) and ECDH (SP 800-56A), which a bank's
 * auditors ask for, and every browser's WebCrypto speaks it (ES256, ECDH-ES). Why Bouncy Castle
 * here: the JDK and Tink's public API do not compute a public point from a private scalar; BC's
 * fixed-point comb multiplier does, and the result is plain curve arithmetic that no library
 * upgrade can change.
 */
public final class EcKeyPairs {
  private static final byte[] SALT = "tokenvault/p256".getBytes(StandardCharsets.US_ASCII);
  private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
  private static final ECParameterSpec SPEC;

  static {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      SPEC = params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private EcKeyPairs() {}

  /** The P-256 key pair derived from {@code seed} (32 bytes) for {@code label}. */
  public static KeyPair p256FromSeed(byte[] seed, String label) {
    if (seed.length != TinkPrimitives.KEY_BYTES) {
      throw new IllegalArgumentException("a key-pair seed is 32 bytes");
    }
    byte[] c;
    try {
      c =
          Hkdf.computeHkdf(
              "HMACSHA256", seed, SALT, label.getBytes(StandardCharsets.UTF_8), 40);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 is unavailable", e);
    }
    BigInteger n = CURVE.getN();
    BigInteger d = new BigInteger(1, c).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
    Arrays.fill(c, (byte) 0);
    return p256(d);
  }

  /** The P-256 key pair whose private scalar is {@code d} (1 ≤ d < n). */
  public static KeyPair p256(BigInteger d) {
    if (d.signum() <= 0 || d.compareTo(CURVE.getN()) >= 0) {
      throw new IllegalArgumentException("the private scalar is out of range");
    }
    org.bouncycastle.math.ec.ECPoint q =
        new FixedPointCombMultiplier().multiply(CURVE.getG(), d).normalize();
    ECPoint w =
        new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    try {
      KeyFactory kf = KeyFactory.getInstance("EC");
      return new KeyPair(
          kf.generatePublic(new ECPublicKeySpec(w, SPEC)),
          kf.generatePrivate(new ECPrivateKeySpec(d, SPEC)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK refused a P-256 key", e);
    }
  }
}
