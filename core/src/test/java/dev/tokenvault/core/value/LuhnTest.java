package dev.tokenvault.core.value;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LuhnTest {

  @ParameterizedTest(name = "[{index}] check digit {1}")
  @CsvSource({"7992739871, 3", "411111111111111, 1", "555555555555444, 4", "37828224631000, 5", "0, 0"})
  void checkDigit_knownAnswers(String payload, int expected) {
    assertThat(Luhn.checkDigit(payload)).isEqualTo(expected);
    assertThat(Luhn.isValid(payload + expected)).isTrue();
  }

  @Test
  void checkDigit_roundTrip_onlyTheCheckDigitIsValid() {
    Random random = new Random(42); // test data, not a secret
    for (int i = 0; i < 2_000; i++) {
      int length = 1 + random.nextInt(25);
      StringBuilder payload = new StringBuilder();
      for (int j = 0; j < length; j++) {
        payload.append((char) ('0' + random.nextInt(10)));
      }
      int check = Luhn.checkDigit(payload);
      assertThat(check).isBetween(0, 9);
      for (int d = 0; d <= 9; d++) {
        assertThat(Luhn.isValid(payload.toString() + d)).as("payload #%d digit %d", i, d).isEqualTo(d == check);
      }
    }
  }

  @Test
  void isValid_detectsAdjacentTranspositionsExceptZeroNine() {
    // Luhn catches every adjacent transposition except 09 <-> 90.
    assertThat(Luhn.isValid("79927398713")).isTrue();
    assertThat(Luhn.isValid("97927398713")).isFalse();
    assertThat(Luhn.isValid("0918")).isEqualTo(Luhn.isValid("9018"));
  }
}
