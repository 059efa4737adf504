package dev.tokenvault.core.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An independent implementation of the record envelope, written from {@link RecordCipher}'s
 * Javadoc alone (JCE AES/GCM, not Tink), so that tests check the code against the documented
 * format rather than against itself. Test-only: it takes the nonce as a parameter, which
 * production code must never do.
 */
final class ReferenceEnvelope {
  private ReferenceEnvelope() {}

  /** {@code "tokenvault/record" || u8 version || lp(namespace) || lp(token) || lp(type) || lp(key id)}. */
  static byte[] associatedData(int version, String namespace, String token, String type, String keyId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("tokenvault/record".getBytes(StandardCharsets.US_ASCII));
    out.write(version);
    lp(out, namespace.getBytes(StandardCharsets.UTF_8));
    lp(out, token.getBytes(StandardCharsets.US_ASCII));
    lp(out, type.getBytes(StandardCharsets.US_ASCII));
    lp(out, keyId.getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** {@code version || L || key id || nonce || ciphertext || tag}, AAD as documented. */
  static byte[] seal(
      int version,
      byte[] key,
      byte[] nonce,
      String keyId,
      String namespace,
      String token,
      String type,
      byte[] plaintext)
      throws GeneralSecurityException {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    gcm.updateAAD(associatedData(version, namespace, token, type, keyId));
    byte[] ctAndTag = gcm.doFinal(plaintext);
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(version);
    out.write(id.length);
    out.writeBytes(id);
    out.writeBytes(nonce);
    out.writeBytes(ctAndTag);
    return out.toByteArray();
  }

  /** Opens an envelope as documented; throws if the tag does not verify. */
  static byte[] open(byte[] key, byte[] envelope, String namespace, String token, String type)
      throws GeneralSecurityException {
    int version = envelope[0] & 0xff;
    int len = envelope[1] & 0xff;
    String keyId = new String(envelope, 2, len, StandardCharsets.US_ASCII);
    int nonceAt = 2 + len;
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(key, "AES"),
        new GCMParameterSpec(128, envelope, nonceAt, 12));
    gcm.updateAAD(associatedData(version, namespace, token, type, keyId));
    return gcm.doFinal(envelope, nonceAt + 12, envelope.length - nonceAt - 12);
  }

  private static void lp(ByteArrayOutputStream out, byte[] b) {
    out.write((b.length >>> 8) & 0xff);
    out.write(b.length & 0xff);
    out.writeBytes(b);
  }
}
