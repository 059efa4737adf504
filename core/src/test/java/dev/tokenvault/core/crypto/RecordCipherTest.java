package dev.tokenvault.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCipherTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String KEY_ID = "dk_0123456789abcdef";
  private static final Namespace NS = new Namespace("shop-1");
  private static final Token TOKEN = new Token("tok_AAAAAAAAAAAAAAAAAAAAAA");
  private static final byte[] VALUE = ("4111" + "1111" + "1111" + "1111").getBytes(StandardCharsets.US_ASCII);

  private final byte[] keyBytes = randomKey();
  private final Aead key = TinkPrimitives.aes256Gcm(keyBytes);

  private static byte[] randomKey() {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return k;
  }

  private byte[] seal() {
    return RecordCipher.encrypt(key, KEY_ID, NS, TOKEN, ValueType.CARD, VALUE);
  }

  private static void assertRejects(Aead key, byte[] envelope, Namespace ns, Token token, ValueType type) {
    assertThatThrownBy(() -> RecordCipher.decrypt(key, envelope, ns, token, type))
        .isInstanceOf(InvalidCiphertextException.class)
        .hasMessage("invalid ciphertext");
  }

  @Test
  void roundTrip() throws Exception {
    byte[] opened = RecordCipher.decrypt(key, seal(), NS, TOKEN, ValueType.CARD);
    assertThat(Arrays.equals(opened, VALUE)).as("decrypts to the value").isTrue();
  }

  @Test
  void roundTrip_emptyAndLongValues() throws Exception {
    for (byte[] value : new byte[][] {new byte[0], "DE87123456781234567890".getBytes(StandardCharsets.US_ASCII), new byte[4096]}) {
      byte[] env = RecordCipher.encrypt(key, KEY_ID, NS, TOKEN, ValueType.ACCOUNT, value);
      assertThat(RecordCipher.decrypt(key, env, NS, TOKEN, ValueType.ACCOUNT)).isEqualTo(value);
    }
  }

  @Test
  void envelope_hasTheDocumentedLayout() throws Exception {
    byte[] env = seal();
    byte[] id = KEY_ID.getBytes(StandardCharsets.US_ASCII);

    assertThat(env[0]).isEqualTo(RecordCipher.VERSION_1);
    assertThat(env[1] & 0xff).isEqualTo(id.length);
    assertThat(Arrays.copyOfRange(env, 2, 2 + id.length)).isEqualTo(id);
    assertThat(env).hasSize(2 + id.length + 12 + VALUE.length + 16);
    assertThat(RecordCipher.dataKeyId(env)).isEqualTo(KEY_ID);
  }

  @Test
  void envelope_containsNoPlaintext() {
    byte[] env = seal();
    String asText = new String(env, StandardCharsets.ISO_8859_1);
    assertThat(asText.contains(new String(VALUE, StandardCharsets.US_ASCII))).isFalse();
    assertThat(asText.contains("1111")).isFalse();
  }

  @Test
  void encrypt_twiceGivesDifferentEnvelopes() {
    assertThat(seal()).isNotEqualTo(seal());
  }

  @Test
  void envelope_matchesTheIndependentImplementationOfTheDocumentedFormat() throws Exception {
    byte[] ours = seal();
    byte[] opened = ReferenceEnvelope.open(keyBytes, ours, NS.name(), TOKEN.value(), "card");
    assertThat(Arrays.equals(opened, VALUE)).isTrue();

    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    byte[] theirs = ReferenceEnvelope.seal(1, keyBytes, nonce, KEY_ID, NS.name(), TOKEN.value(), "card", VALUE);
    assertThat(Arrays.equals(RecordCipher.decrypt(key, theirs, NS, TOKEN, ValueType.CARD), VALUE)).isTrue();
  }

  @Test
  void flippingAnySingleBit_isRejected() {
    byte[] env = seal();
    List<String> accepted = new ArrayList<>();
    for (int bit = 0; bit < env.length * 8; bit++) {
      byte[] tampered = env.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      try {
        RecordCipher.decrypt(key, tampered, NS, TOKEN, ValueType.CARD);
        accepted.add("byte " + bit / 8 + " bit " + bit % 8);
      } catch (InvalidCiphertextException expected) {
        // every region: version, key-id length, key id, nonce, ciphertext, tag
      } catch (RuntimeException e) {
        accepted.add("byte " + bit / 8 + " bit " + bit % 8 + ": " + e.getClass().getSimpleName());
      }
    }
    assertThat(accepted).as("bit flips not rejected as invalid ciphertext").isEmpty();
  }

  @Test
  void truncatedAtEveryLength_isRejected() {
    byte[] env = seal();
    for (int n = 0; n < env.length; n++) {
      byte[] truncated = Arrays.copyOf(env, n);
      assertThatThrownBy(() -> RecordCipher.decrypt(key, truncated, NS, TOKEN, ValueType.CARD))
          .as("truncated to %d bytes", n)
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void appendedByte_isRejected() {
    byte[] env = seal();
    assertRejects(key, Arrays.copyOf(env, env.length + 1), NS, TOKEN, ValueType.CARD);
  }

  @Test
  void nullEnvelope_isRejected() {
    assertRejects(key, null, NS, TOKEN, ValueType.CARD);
    assertThatThrownBy(() -> RecordCipher.dataKeyId(null)).isInstanceOf(InvalidCiphertextException.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {0x00, 0x02, 0x10, 0x7f, 0x80, 0xff})
  void unknownVersionByte_isRejected(int version) {
    byte[] env = seal();
    env[0] = (byte) version;
    assertRejects(key, env, NS, TOKEN, ValueType.CARD);
    assertThatThrownBy(() -> RecordCipher.dataKeyId(env)).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unknownVersion_isRejectedEvenWhenItsTagVerifies() throws GeneralSecurityException {
    byte[] nonce = new byte[12];
    byte[] v2 = ReferenceEnvelope.seal(2, keyBytes, nonce, KEY_ID, NS.name(), TOKEN.value(), "card", VALUE);
    assertRejects(key, v2, NS, TOKEN, ValueType.CARD);
  }

  @Test
  void otherNamespace_isRejected() {
    assertRejects(key, seal(), new Namespace("shop-2"), TOKEN, ValueType.CARD);
  }

  @Test
  void otherToken_isRejected() {
    assertRejects(key, seal(), NS, new Token("tok_AAAAAAAAAAAAAAAAAAAAAB"), ValueType.CARD);
  }

  @Test
  void otherType_isRejected() {
    assertRejects(key, seal(), NS, TOKEN, ValueType.ACCOUNT);
  }

  @Test
  void otherDataKey_isRejected() {
    assertRejects(TinkPrimitives.aes256Gcm(randomKey()), seal(), NS, TOKEN, ValueType.CARD);
  }

  @Test
  void relabelledKeyId_isRejected() {
    byte[] env = seal();
    byte[] id = KEY_ID.getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = Arrays.copyOfRange(env, 2 + id.length, env.length);

    for (String otherId : new String[] {"dk_0123456789abcdeX", "dk_other", "x"}) {
      byte[] other = otherId.getBytes(StandardCharsets.US_ASCII);
      byte[] relabelled = new byte[2 + other.length + sealed.length];
      relabelled[0] = RecordCipher.VERSION_1;
      relabelled[1] = (byte) other.length;
      System.arraycopy(other, 0, relabelled, 2, other.length);
      System.arraycopy(sealed, 0, relabelled, 2 + other.length, sealed.length);
      assertRejects(key, relabelled, NS, TOKEN, ValueType.CARD);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 65, 200})
  void keyIdLengthByteOutOfRange_isRejected(int length) {
    byte[] env = seal();
    env[1] = (byte) length;
    assertRejects(key, env, NS, TOKEN, ValueType.CARD);
  }

  @Test
  void keyIdLengths_1To64AreAccepted_0And65Rejected() throws Exception {
    for (String id : new String[] {"k", "k".repeat(64)}) {
      byte[] env = RecordCipher.encrypt(key, id, NS, TOKEN, ValueType.CARD, VALUE);
      assertThat(RecordCipher.dataKeyId(env)).isEqualTo(id);
      assertThat(Arrays.equals(RecordCipher.decrypt(key, env, NS, TOKEN, ValueType.CARD), VALUE)).isTrue();
    }
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RecordCipher.encrypt(key, "", NS, TOKEN, ValueType.CARD, VALUE));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RecordCipher.encrypt(key, "k".repeat(65), NS, TOKEN, ValueType.CARD, VALUE));
  }

  /**
   * The parser accepts key-id bytes 0x21-0x7e only; encrypt must not write an envelope the parser
   * will refuse (or, for non-ASCII, silently store a different id than the one given).
   */
  @ParameterizedTest
  @ValueSource(strings = {"dk 1", "dk_\t1", "dk_\u00e91", "dk_\u20ac"})
  void encryptWhenKeyIdNotPrintableAsciiThenRejectedUpFront(String keyId) {
    assertThatIllegalArgumentException()
        .as("encrypt must refuse a key id its own parser rejects or rewrites")
        .isThrownBy(() -> RecordCipher.encrypt(key, keyId, NS, TOKEN, ValueType.CARD, VALUE));
  }

  @Test
  void goldenRecord_decryptsToTheTestCard() throws Exception {
    GoldenRecord golden = GoldenRecord.load();

    assertThat(RecordCipher.dataKeyId(golden.envelope)).isEqualTo(golden.keyId);
    byte[] opened =
        RecordCipher.decrypt(
            TinkPrimitives.aes256Gcm(golden.dataKey),
            golden.envelope,
            new Namespace(golden.namespace),
            new Token(golden.token),
            ValueType.fromWireName(golden.type));
    assertThat(Arrays.equals(opened, GoldenRecord.expectedPlaintext()))
        .as("golden record decrypts to the " + GoldenRecord.PLAINTEXT_DESCRIPTION)
        .isTrue();
  }

  @Test
  void goldenRecord_isWhatTheDocumentedFormatProduces() throws Exception {
    GoldenRecord golden = GoldenRecord.load();
    byte[] expected =
        ReferenceEnvelope.seal(1, golden.dataKey, golden.nonce, golden.keyId, golden.namespace,
            golden.token, golden.type, GoldenRecord.expectedPlaintext());
    assertThat(golden.envelope).isEqualTo(expected);
  }
}
