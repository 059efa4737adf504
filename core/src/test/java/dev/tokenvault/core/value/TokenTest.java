package dev.tokenvault.core.value;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TokenTest {
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  /** A SecureRandom whose bytes are fixed, to pin the encoding. */
  private static SecureRandom fixedBytes(byte fill) {
    return new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        java.util.Arrays.fill(bytes, fill);
      }
    };
  }

  @Test
  void random_hasTheDocumentedShape() {
    Token t = Token.random(new SecureRandom());

    assertThat(t.value()).matches("tok_[0-9A-Za-z]{22}");
    assertThat(Token.isWellFormed(t.value())).isTrue();
    assertThat(t.toString()).isEqualTo(t.value());
  }

  @Test
  void random_tenThousandAreDistinct() {
    SecureRandom random = new SecureRandom();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      seen.add(Token.random(random).value());
    }
    assertThat(seen).hasSize(10_000);
  }

  @Test
  void randomIds_encode128BitsWithoutLoss() {
    assertThat(RandomIds.next("tok_", fixedBytes((byte) 0))).isEqualTo("tok_" + "0".repeat(22));

    String max = RandomIds.next("", fixedBytes((byte) 0xff));
    assertThat(max).hasSize(22);
    assertThat(decodeBase62(max)).isEqualTo(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE));
  }

  @Test
  void randomIds_roundTripThroughBase62() {
    SecureRandom source = new SecureRandom();
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[16];
      source.nextBytes(bytes);
      SecureRandom replay =
          new SecureRandom() {
            @Override
            public void nextBytes(byte[] out) {
              System.arraycopy(bytes, 0, out, 0, out.length);
            }
          };
      String id = RandomIds.next("p_", replay);
      assertThat(id).startsWith("p_").hasSize(2 + 22);
      assertThat(decodeBase62(id.substring(2))).isEqualTo(new BigInteger(1, bytes));
    }
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "tok_",
        "tok_123456789012345678901", // 21
        "tok_12345678901234567890123", // 23
        "TOK_1234567890123456789012",
        "tk_1234567890123456789012",
        "tok-1234567890123456789012",
        "tok_123456789012345678901!",
        "tok_12345678901234567890 2",
        "tok_123456789012345678901\u00e9",
        "tok_1234567890123456789012\n",
        // each neighbour of the three character ranges
        "tok_123456789012345678901/",
        "tok_123456789012345678901:",
        "tok_123456789012345678901@",
        "tok_123456789012345678901[",
        "tok_123456789012345678901`",
        "tok_123456789012345678901{",
        "tok_/23456789012345678901a",
        " tok_1234567890123456789012",
        "1234567890123456789012"
      })
  void constructWhenMalformedThenInvalidToken(String s) {
    assertRejected(() -> new Token(s)).isEqualTo("invalid_token");
    assertThat(Token.isWellFormed(s)).isFalse();
  }

  @Test
  void construct_whenWellFormed_keepsValue() {
    assertThat(new Token("tok_AZaz09AZaz09AZaz09AZaz").value()).isEqualTo("tok_AZaz09AZaz09AZaz09AZaz");
  }

  private static BigInteger decodeBase62(String s) {
    BigInteger n = BigInteger.ZERO;
    for (char c : s.toCharArray()) {
      int v = ALPHABET.indexOf(c);
      assertThat(v).as("base62 character").isNotNegative();
      n = n.multiply(BigInteger.valueOf(62)).add(BigInteger.valueOf(v));
    }
    return n;
  }
}
