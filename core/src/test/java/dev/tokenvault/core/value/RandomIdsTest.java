package dev.tokenvault.core.value;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomIdsTest {
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  /** The digits the BigInteger version produced, which every stored id was made with. */
  private static String byBigInteger(byte[] bytes) {
    BigInteger n = new BigInteger(1, bytes);
    char[] body = new char[RandomIds.LENGTH];
    for (int i = body.length - 1; i >= 0; i--) {
      BigInteger[] qr = n.divideAndRemainder(BigInteger.valueOf(62));
      body[i] = BASE62.charAt(qr[1].intValue());
      n = qr[0];
    }
    return new String(body);
  }

  @Test
  void encodesLikeBigIntegerDivision() {
    Random random = new Random(20261123);
    for (int i = 0; i < 100_000; i++) {
      byte[] bytes = new byte[16];
      random.nextBytes(bytes);
      assertThat(RandomIds.encode(bytes)).isEqualTo(byBigInteger(bytes));
    }
  }

  @Test
  void edges() {
    byte[] zero = new byte[16];
    byte[] ones = new byte[16];
    Arrays.fill(ones, (byte) 0xFF);
    assertThat(RandomIds.encode(zero)).isEqualTo("0".repeat(22));
    // 2^128 - 1 in base62
    assertThat(RandomIds.encode(ones)).isEqualTo("7n42DGM5Tflk9n8mt7Fhc7").isEqualTo(byBigInteger(ones));
    byte[] one = new byte[16];
    one[15] = 1;
    assertThat(RandomIds.encode(one)).isEqualTo("0".repeat(21) + "1");
  }

  @Test
  void nextHasThePrefixAndTwentyTwoBase62Characters() {
    String id = RandomIds.next("pay_");
    assertThat(id).startsWith("pay_").hasSize(4 + 22);
    assertThat(id.substring(4)).matches("[0-9A-Za-z]{22}");
  }
}
