package dev.tokenvault.core.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.prf.HmacPrfKey;
import com.google.crypto.tink.prf.HmacPrfParameters;
import com.google.crypto.tink.prf.Prf;
import com.google.crypto.tink.prf.PrfConfig;
import com.google.crypto.tink.prf.PrfSet;
import com.google.crypto.tink.util.SecretBytes;
import java.security.GeneralSecurityException;

/**
 * The only place raw key bytes become Tink primitives.
 *
 * <p>Key managers hand out raw 256-bit data keys (as AWS KMS {@code GenerateDataKey} and an HSM
 * do); this class imports them into Tink as keys with fixed, validated parameters. The
 * parameters are named constants: AES-256-GCM with a 96-bit random nonce generated inside Tink
 * and a 128-bit tag (NIST SP 800-38D), no Tink output prefix (our envelope carries its own key
 * id); HMAC-SHA256 with a 256-bit key as the fingerprint PRF (RFC 2104).
 *
 * <p>Uses Tink's current API: parameter objects and {@link RegistryConfiguration}, never the
 * deprecated {@code getPrimitive(Class)}.
 */
public final class TinkPrimitives {
  /** AES-256-GCM, 12-byte nonce, 16-byte tag, no prefix: nonce || ciphertext || tag. */
  public static final AesGcmParameters AES256_GCM_RAW;

  /** HMAC-SHA256 with a 32-byte key, used as a PRF. */
  public static final HmacPrfParameters HMAC_SHA256_PRF;

  /** Nonce bytes plus tag bytes that AES-GCM adds to every plaintext. */
  public static final int AES_GCM_OVERHEAD = 12 + 16;

  public static final int KEY_BYTES = 32;

  static {
    try {
      AeadConfig.register();
      PrfConfig.register();
      AES256_GCM_RAW =
          AesGcmParameters.builder()
              .setKeySizeBytes(KEY_BYTES)
              .setIvSizeBytes(12)
              .setTagSizeBytes(16)
              .setVariant(AesGcmParameters.Variant.NO_PREFIX)
              .build();
      HMAC_SHA256_PRF =
          HmacPrfParameters.builder()
              .setKeySizeBytes(KEY_BYTES)
              .setHashType(HmacPrfParameters.HashType.SHA256)
              .build();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private TinkPrimitives() {}

  /** An AES-256-GCM AEAD over a raw 32-byte key. The caller may wipe {@code key} afterwards. */
  public static Aead aes256Gcm(byte[] key) {
    try {
      AesGcmKey k =
          AesGcmKey.builder()
              .setParameters(AES256_GCM_RAW)
              .setKeyBytes(SecretBytes.copyFrom(key, InsecureSecretKeyAccess.get()))
              .build();
      KeysetHandle handle =
          KeysetHandle.newBuilder()
              .addEntry(KeysetHandle.importKey(k).withRandomId().makePrimary())
              .build();
      return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a valid AES-256 key", e);
    }
  }

  /** An HMAC-SHA256 PRF over a raw 32-byte key. The caller may wipe {@code key} afterwards. */
  public static Prf hmacSha256Prf(byte[] key) {
    try {
      HmacPrfKey k =
          HmacPrfKey.builder()
              .setParameters(HMAC_SHA256_PRF)
              .setKeyBytes(SecretBytes.copyFrom(key, InsecureSecretKeyAccess.get()))
              .build();
      KeysetHandle handle =
          KeysetHandle.newBuilder()
              .addEntry(KeysetHandle.importKey(k).withRandomId().makePrimary())
              .build();
      PrfSet set = handle.getPrimitive(RegistryConfiguration.get(), PrfSet.class);
      return set.getPrfs().get(set.getPrimaryId());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a valid HMAC key", e);
    }
  }
}
