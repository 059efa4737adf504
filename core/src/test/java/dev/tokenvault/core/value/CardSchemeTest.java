package dev.tokenvault.core.value;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** IIN range edges of the table in {@link CardScheme}'s Javadoc (only prefixes are read). */
class CardSchemeTest {

  @ParameterizedTest
  @CsvSource({
    "340000, AMEX", "370000, AMEX", "350000, UNKNOWN",
    "300000, DINERS", "305999, DINERS", "306000, UNKNOWN", "309500, DINERS", "360000, DINERS",
    "380000, DINERS", "390000, DINERS",
    "352799, UNKNOWN", "352800, JCB", "358999, JCB", "359000, UNKNOWN",
    "400000, VISA", "499999, VISA",
    "510000, MASTERCARD", "559999, MASTERCARD", "222099, UNKNOWN", "222100, MASTERCARD",
    "272099, MASTERCARD", "272100, UNKNOWN",
    "601100, DISCOVER", "644000, DISCOVER", "649999, DISCOVER", "650000, DISCOVER",
    "622125, UNIONPAY", "622126, DISCOVER", "622925, DISCOVER", "622926, UNIONPAY",
    "620000, UNIONPAY", "810000, UNIONPAY",
    "500000, MAESTRO", "560000, MAESTRO", "670300, MAESTRO", "690000, MAESTRO",
    "100000, UNKNOWN", "700000, UNKNOWN"
  })
  void fromDigits_rangeEdges(String prefix, CardScheme expected) {
    assertThat(CardScheme.fromDigits(prefix + "0000000000")).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "VISA, 13, true", "VISA, 14, false", "VISA, 16, true", "VISA, 17, false", "VISA, 19, true",
    "AMEX, 15, true", "AMEX, 16, false", "MASTERCARD, 16, true", "MASTERCARD, 15, false",
    "DINERS, 14, true", "DINERS, 13, false", "MAESTRO, 12, true", "MAESTRO, 20, false"
  })
  void acceptsLength(CardScheme scheme, int length, boolean expected) {
    assertThat(scheme.acceptsLength(length)).isEqualTo(expected);
  }
}
