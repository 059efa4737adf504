package dev.tokenvault.core.crypto;

import static dev.tokenvault.core.testing.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.prf.Prf;
import dev.tokenvault.core.testing.Vectors;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Project Wycheproof against {@link TinkPrimitives}, restricted to the parameters we use:
 * AES-256-GCM with a 96-bit nonce and 128-bit tag, HMAC-SHA256 with a 256-bit key. Every
 * failure is collected and reported by {@code tcId}; {@code acceptable} cases may go either way.
 */
class WycheproofTest {

  @Test
  void aesGcm256_allVectorsForOurParameters() {
    JsonNode root = Vectors.json("wycheproof/aes_gcm_test.json");
    List<String> failures = new ArrayList<>();
    int run = 0;
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() != 256
          || group.get("ivSize").asInt() != 96
          || group.get("tagSize").asInt() != 128) {
        continue;
      }
      for (JsonNode tc : group.get("tests")) {
        run++;
        int id = tc.get("tcId").asInt();
        String result = tc.get("result").asText();
        byte[] sealed =
            concat(hex(tc.get("iv").asText()), hex(tc.get("ct").asText()), hex(tc.get("tag").asText()));
        byte[] aad = hex(tc.get("aad").asText());
        byte[] msg = hex(tc.get("msg").asText());
        Aead aead = TinkPrimitives.aes256Gcm(hex(tc.get("key").asText()));
        byte[] decrypted;
        try {
          decrypted = aead.decrypt(sealed, aad);
        } catch (GeneralSecurityException e) {
          decrypted = null;
        }
        if (result.equals("valid") && (decrypted == null || !Arrays.equals(decrypted, msg))) {
          failures.add("tcId " + id + ": valid case did not decrypt to msg");
        } else if (result.equals("invalid") && decrypted != null) {
          failures.add("tcId " + id + ": invalid case decrypted");
        }
      }
    }
    assertThat(run).as("AES-256-GCM cases run").isPositive();
    assertThat(failures).isEmpty();
  }

  @Test
  void aesGcm256_encryptOutputDecryptsAndHasTheRawLayout() throws GeneralSecurityException {
    Aead aead = TinkPrimitives.aes256Gcm(new byte[32]);
    byte[] sealed = aead.encrypt(new byte[] {1, 2, 3}, new byte[] {9});

    assertThat(sealed).hasSize(3 + TinkPrimitives.AES_GCM_OVERHEAD);
    assertThat(aead.decrypt(sealed, new byte[] {9})).containsExactly(1, 2, 3);
  }

  @Test
  void hmacSha256_allVectorsFor256BitKeys() throws GeneralSecurityException {
    JsonNode root = Vectors.json("wycheproof/hmac_sha256_test.json");
    List<String> failures = new ArrayList<>();
    int run = 0;
    for (JsonNode group : root.get("testGroups")) {
      if (group.get("keySize").asInt() != 256) {
        continue;
      }
      int tagBytes = group.get("tagSize").asInt() / 8;
      for (JsonNode tc : group.get("tests")) {
        run++;
        int id = tc.get("tcId").asInt();
        String result = tc.get("result").asText();
        Prf prf = TinkPrimitives.hmacSha256Prf(hex(tc.get("key").asText()));
        byte[] computed = prf.compute(hex(tc.get("msg").asText()), tagBytes);
        boolean matches = Arrays.equals(computed, hex(tc.get("tag").asText()));
        if (result.equals("valid") && !matches) {
          failures.add("tcId " + id + " (tag " + tagBytes + " bytes): valid tag not reproduced");
        } else if (result.equals("invalid") && matches) {
          failures.add("tcId " + id + " (tag " + tagBytes + " bytes): invalid tag reproduced");
        }
      }
    }
    assertThat(run).as("HMAC-SHA256 cases run").isPositive();
    assertThat(failures).isEmpty();
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }
}
