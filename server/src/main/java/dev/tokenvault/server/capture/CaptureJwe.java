package dev.tokenvault.server.capture;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.text.ParseException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Opens the browser's compact JWE: exactly {@code alg: ECDH-ES} (direct key agreement, RFC 7518
 * §4.6) with {@code enc: A256GCM} on P-256, nothing else.
 *
 * <h2>Policy, checked before any cryptography</h2>
 *
 * <ul>
 *   <li>compact serialization only, at most {@link #MAX_LENGTH} characters;
 *   <li>{@code alg} ECDH-ES and {@code enc} A256GCM: RSA1_5 (padding oracles), RSA-OAEP, key wrap,
 *       {@code dir}, PBES2 and CBC-HMAC are all refused, however valid the JWE;
 *   <li>no {@code zip} (a compressed payload is a decompression bomb and a length oracle), no
 *       {@code crit}, no header parameter outside {@link #ALLOWED_HEADER} (no {@code jku}, {@code
 *       jwk} or {@code x5u} that could point at another key);
 *   <li>{@code epk} on P-256 (Nimbus then checks the point is on the curve: invalid-curve
 *       attacks);
 *   <li>an empty encrypted key (RFC 7518 §4.6; Nimbus does not check it);
 *   <li>{@code kid} names a capture encryption key in force, else {@code unknown_kid}.
 * </ul>
 *
 * Every other failure (malformed parts, a wrong tag, a modified header, IV or ciphertext) is one
 * opaque {@code invalid_jwe}.
 *
 * <h2>Why Nimbus</h2>
 *
 * Nimbus JOSE+JWT is already the vault's JOSE library (dev issuer, tests); its {@link
 * ECDHDecrypter} implements the Concat KDF and validates the ephemeral key. Our only addition is
 * the allow-list above, since Nimbus accepts every algorithm its decrypter supports.
 */
final class CaptureJwe {
  /** A capture JWE is about 1.5 KB; 8 KiB leaves room and bounds the work per request. */
  static final int MAX_LENGTH = 8192;

  static final Set<String> ALLOWED_HEADER =
      Set.of("alg", "enc", "kid", "epk", "apu", "apv", "typ", "cty");

  private CaptureJwe() {}

  /**
   * The decrypted payload (the caller zeroes it). {@code keyForKid} maps the header's {@code kid}
   * (maybe null) to the private key, or empty when no such key is in force.
   */
  static byte[] open(String compact, Function<String, Optional<ECPrivateKey>> keyForKid) {
    if (compact == null || compact.isEmpty()) {
      throw CaptureException.invalidJwe("the body is empty: send a compact JWE");
    }
    if (compact.length() > MAX_LENGTH) {
      throw CaptureException.tooLarge(MAX_LENGTH);
    }
    JWEObject jwe;
    try {
      jwe = JWEObject.parse(compact.trim());
    } catch (ParseException e) {
      throw CaptureException.invalidJwe("the body is not a compact JWE");
    }
    JWEHeader h = jwe.getHeader();
    checkHeader(h);
    if (jwe.getEncryptedKey() != null && !jwe.getEncryptedKey().toString().isEmpty()) {
      // RFC 7518 §4.6: with direct key agreement the encrypted key MUST be empty; Nimbus would
      // ignore it, leaving an unauthenticated, malleable part in the message
      throw CaptureException.invalidJwe("ECDH-ES has no encrypted key");
    }
    ECPrivateKey key = keyForKid.apply(h.getKeyID()).orElseThrow(CaptureException::unknownKid);
    try {
      jwe.decrypt(new ECDHDecrypter(key));
    } catch (JOSEException | RuntimeException e) {
      throw CaptureException.invalidJwe("the JWE does not decrypt");
    }
    return jwe.getPayload().toBytes();
  }

  /** The allow-list; public for the interop tests that run other JWEs against it. */
  static void checkHeader(JWEHeader h) {
    if (!JWEAlgorithm.ECDH_ES.equals(h.getAlgorithm())) {
      throw CaptureException.invalidJwe("only alg ECDH-ES is accepted");
    }
    if (!EncryptionMethod.A256GCM.equals(h.getEncryptionMethod())) {
      throw CaptureException.invalidJwe("only enc A256GCM is accepted");
    }
    if (h.getCompressionAlgorithm() != null) {
      throw CaptureException.invalidJwe("compressed payloads (zip) are refused");
    }
    if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
      throw CaptureException.invalidJwe("critical header parameters are refused");
    }
    for (String name : h.getIncludedParams()) {
      if (!ALLOWED_HEADER.contains(name)) {
        throw CaptureException.invalidJwe("the JWE header has a parameter that is not accepted");
      }
    }
    ECKey epk = h.getEphemeralPublicKey() instanceof ECKey k ? k : null;
    if (epk == null || !Curve.P_256.equals(epk.getCurve()) || epk.isPrivate()) {
      throw CaptureException.invalidJwe("the ephemeral key must be a P-256 public key");
    }
  }
}
