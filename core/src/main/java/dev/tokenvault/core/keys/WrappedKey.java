package dev.tokenvault.core.keys;

import java.util.Arrays;
import java.util.Objects;

/**
 * A data key encrypted under a key-encryption key (KEK). Safe to store anywhere: without the key
 * manager it is useless.
 *
 * @param kekId the key manager's identifier of the KEK (a file, an HSM label, a KMS key ARN)
 * @param kekVersion the KEK version that wrapped it
 * @param ciphertext the key manager's ciphertext, opaque to everyone else
 */
public record WrappedKey(String kekId, int kekVersion, byte[] ciphertext) {
  public WrappedKey {
    Objects.requireNonNull(kekId, "kekId");
    Objects.requireNonNull(ciphertext, "ciphertext");
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedKey w
        && kekId.equals(w.kekId)
        && kekVersion == w.kekVersion
        && Arrays.equals(ciphertext, w.ciphertext);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kekId, kekVersion, Arrays.hashCode(ciphertext));
  }

  @Override
  public String toString() {
    return "WrappedKey[kekId=" + kekId + ", kekVersion=" + kekVersion + ", " + ciphertext.length
        + " bytes]";
  }
}
