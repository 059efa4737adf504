package dev.tokenvault.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TinkPrimitivesTest {

  @ParameterizedTest
  @ValueSource(ints = {0, 16, 24, 31, 33, 64})
  void aes256Gcm_whenKeyNot32BytesThenRejected(int length) {
    assertThatIllegalArgumentException().isThrownBy(() -> TinkPrimitives.aes256Gcm(new byte[length]));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 16, 31, 33})
  void hmacSha256Prf_whenKeyNot32BytesThenRejected(int length) {
    assertThatIllegalArgumentException().isThrownBy(() -> TinkPrimitives.hmacSha256Prf(new byte[length]));
  }

  @Test
  void aes256Gcm_callerMayWipeTheKeyAfterwards() throws GeneralSecurityException {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    Aead aead = TinkPrimitives.aes256Gcm(key);
    byte[] sealed = aead.encrypt(new byte[] {42}, new byte[0]);
    Arrays.fill(key, (byte) 0);

    assertThat(aead.decrypt(sealed, new byte[0])).containsExactly(42);
    assertThat(aead.encrypt(new byte[] {42}, new byte[0])).isNotEqualTo(sealed);
  }

  @Test
  void encrypt_usesAFreshNonceEachTime() throws GeneralSecurityException {
    Aead aead = TinkPrimitives.aes256Gcm(new byte[32]);
    byte[] a = aead.encrypt(new byte[16], new byte[0]);
    byte[] b = aead.encrypt(new byte[16], new byte[0]);

    assertThat(Arrays.copyOf(a, 12)).isNotEqualTo(Arrays.copyOf(b, 12));
  }
}
