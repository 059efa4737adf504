package dev.tokenvault.core.value;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static dev.tokenvault.core.testing.Rejections.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.testing.TestCards;
import dev.tokenvault.core.testing.TestCards.Card;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Pan}: the published test cards, boundaries, and what a Pan lets out. Card numbers are
 * compared as booleans and named by index, so a failure never prints one.
 */
class PanTest {

  /** The scheme each Adyen group logo must map to; dankort (no scheme of its own) is absent. */
  private static final Map<String, CardScheme> SCHEME_BY_LOGO =
      Map.ofEntries(
          Map.entry("amex", CardScheme.AMEX),
          Map.entry("visa", CardScheme.VISA),
          Map.entry("cartebancaire", CardScheme.VISA),
          Map.entry("vpay", CardScheme.VISA),
          Map.entry("mc", CardScheme.MASTERCARD),
          Map.entry("discover", CardScheme.DISCOVER),
          Map.entry("jcb", CardScheme.JCB),
          Map.entry("cup", CardScheme.UNIONPAY),
          Map.entry("diners", CardScheme.DINERS),
          Map.entry("maestro", CardScheme.MAESTRO));

  static List<Card> adyenCards() {
    return TestCards.adyenCards();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenCards")
  void adyenCard_parsesWithSchemeOfItsGroup(Card card) {
    Pan pan = Pan.parse(card.digits());

    assertThat(pan.type()).isEqualTo(ValueType.CARD);
    assertThat(pan.length()).isEqualTo(card.digits().length());
    if (card.logo().equals("dankort")) {
      return;
    }
    assertThat(SCHEME_BY_LOGO).as("known logo for %s", card).containsKey(card.logo());
    assertThat(pan.scheme()).as("%s", card).isEqualTo(SCHEME_BY_LOGO.get(card.logo()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenCards")
  void adyenCard_keepsOnlyLast4AndBin(Card card) {
    Pan pan = Pan.parse(card.digits());
    String d = card.digits();

    assertThat(pan.last4()).as("%s", card).isEqualTo(d.substring(d.length() - 4));
    assertThat(pan.masked()).as("%s", card).isEqualTo("****" + d.substring(d.length() - 4));
    if (d.length() < 15) {
      assertThat(pan.bin()).as("%s", card).isNull();
    } else {
      assertThat(pan.bin()).as("%s", card).isEqualTo(d.substring(0, 6));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenCards")
  void adyenCard_lastDigitChanged_failsLuhn(Card card) {
    String d = card.digits();
    char last = d.charAt(d.length() - 1);
    for (int delta = 1; delta <= 9; delta++) {
      String changed = d.substring(0, d.length() - 1) + (char) ('0' + (last - '0' + delta) % 10);
      assertThat(codeOf(() -> Pan.parse(changed)))
          .as("%s, last digit +%d", card, delta)
          .isEqualTo("luhn_check_failed");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenCards")
  void adyenCard_toStringShowsNoMoreThanLast4(Card card) {
    Pan pan = Pan.parse(card.digits());
    String s = pan.toString();

    assertThat(s.contains(card.digits())).as("%s: full number in toString", card).isFalse();
    assertThat(s.contains(card.digits().substring(0, 6))).as("%s: BIN in toString", card).isFalse();
    assertThat(s.replaceAll("[^0-9]", "")).as("%s: digits in toString", card).hasSize(4);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenCards")
  void adyenCard_revealReturnsTheDigits(Card card) {
    byte[] revealed = Pan.parse(card.digits()).reveal();
    assertThat(Arrays.equals(revealed, card.digits().getBytes(StandardCharsets.US_ASCII)))
        .as("%s: reveal() gives the digits", card)
        .isTrue();
  }

  @Test
  void parseWhenEmptyThenValueRequired() {
    assertRejected(() -> Pan.parse("")).isEqualTo("value_required");
  }

  @ParameterizedTest(name = "[{index}] formatted or non-ASCII input")
  @ValueSource(
      strings = {
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        " 4111111111111111",
        "4111111111111111 ",
        "411111111111111a",
        "4111111111111111\n",
        "\u0664\u0661\u0661\u0661111111111111", // Arabic-Indic digits: not ASCII
        "\uff14111111111111111", // full-width 4
        "+4111111111111111"
      })
  void parseWhenNotAsciiDigitsThenInvalidCharacters(String input) {
    assertRejected(() -> Pan.parse(input)).isEqualTo("invalid_characters");
  }

  @Test
  void parseWhenNullThenNullPointer() {
    org.assertj.core.api.Assertions.assertThatNullPointerException()
        .isThrownBy(() -> Pan.parse(null));
  }

  @ParameterizedTest(name = "[{index}] Luhn-valid, wrong length")
  @ValueSource(strings = {"12345678903", "40000000000000000002", "00000000", "0000000000000000000000"})
  void parseWhenOutside12To19DigitsThenInvalidLength(String luhnValidDigits) {
    assertThat(Luhn.isValid(luhnValidDigits)).as("fixture is Luhn-valid").isTrue();
    assertRejected(() -> Pan.parse(luhnValidDigits)).isEqualTo("invalid_length");
  }

  @ParameterizedTest(name = "{1}, {2} digits")
  @CsvSource({
    "500000000009, MAESTRO, 12",
    "4000000000006, VISA, 13",
    "4000000000000000006, VISA, 19",
    "6200000000000000000, UNIONPAY, 19"
  })
  void parseAtLengthBoundariesThenAccepted(String digits, CardScheme scheme, int length) {
    Pan pan = Pan.parse(digits);
    assertThat(pan.scheme()).isEqualTo(scheme);
    assertThat(pan.length()).isEqualTo(length);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
    "411111111111116, visa 15",
    "400000000000000002, visa 18",
    "3400000000000000, amex 16",
    "510000000000003, mastercard 15",
    "30000000000004, diners ok, accepted"
  })
  void parseWhenLengthWrongForSchemeThenInvalidLengthForScheme(String digits, String label) {
    if (label.endsWith("ok")) {
      assertThat(Pan.parse(digits).scheme()).isEqualTo(CardScheme.DINERS);
      return;
    }
    assertRejected(() -> Pan.parse(digits)).as(label).isEqualTo("invalid_length_for_scheme");
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource({
    "378282246310005, AMEX, 378282",
    "2223003122003222, MASTERCARD, 222300",
    "5555555555554444, MASTERCARD, 555555",
    "4111111111111111, VISA, 411111",
    "6011111111111117, DISCOVER, 601111",
    "3530111333300000, JCB, 353011"
  })
  void parseWellKnownTestCardsThenSchemeAndBin(String digits, CardScheme scheme, String bin) {
    Pan pan = Pan.parse(digits);
    assertThat(pan.scheme()).isEqualTo(scheme);
    assertThat(pan.bin()).isEqualTo(bin);
    assertThat(pan.last4()).isEqualTo(digits.substring(digits.length() - 4));
  }

  @Test
  void parseWhenLuhnFailsThenCode() {
    assertRejected(() -> Pan.parse("4111111111111112")).isEqualTo("luhn_check_failed");
  }

  @Test
  void rejectionMessage_neverContainsTheInput() {
    String[] inputs = {"4111111111111112", "411111111111116", "4111 1111 1111 1111", "12345678903"};
    for (int i = 0; i < inputs.length; i++) {
      String input = inputs[i];
      try {
        Pan.parse(input);
        throw new AssertionError("input #" + i + " accepted");
      } catch (InvalidValueException e) {
        String all = e.getMessage() + " " + e.code() + " " + e.field();
        assertThat(all.contains(input)).as("input #%d in message", i).isFalse();
        assertThat(all.contains(input.substring(0, 6))).as("input #%d BIN in message", i).isFalse();
      }
    }
  }

  @Test
  void equals_comparesDigits() {
    Pan a = Pan.parse("4111111111111111");
    Pan same = Pan.parse("4111111111111111");
    Pan other = Pan.parse("5555555555554444");
    // same length and last four (so the same hash code), different digits
    Pan sameLast4 = Pan.parse("4210111111111111");

    assertThat(a.equals(same)).isTrue();
    assertThat(a.hashCode()).isEqualTo(same.hashCode());
    assertThat(a.equals(other)).isFalse();
    assertThat(a.equals(sameLast4)).isFalse();
    assertThat(a.hashCode()).isEqualTo(sameLast4.hashCode());
    assertThat(a.equals(null)).isFalse();
    assertThat(a.equals(AccountNumber.parse("4111111111111111"))).isFalse();
    assertThat(a.equals(a)).isTrue();
  }

  @Test
  void hashCode_isStableAcrossInstancesAndCalls() {
    Pan a = Pan.parse("378282246310005");
    assertThat(a.hashCode()).isEqualTo(a.hashCode()).isEqualTo(Pan.parse("378282246310005").hashCode());
  }

  @Test
  void reveal_returnsAFreshCopy() {
    Pan pan = Pan.parse("4111111111111111");
    byte[] first = pan.reveal();
    Arrays.fill(first, (byte) '0');

    byte[] second = pan.reveal();
    assertThat(second).isNotSameAs(first);
    assertThat(Arrays.equals(second, "4111111111111111".getBytes(StandardCharsets.US_ASCII)))
        .as("value unchanged after mutating a revealed copy")
        .isTrue();
    assertThat(pan).isEqualTo(Pan.parse("4111111111111111"));
  }

  @Test
  void parse_copiesItsInput() {
    StringBuilder input = new StringBuilder("4111111111111111");
    Pan pan = Pan.parse(input);
    input.setCharAt(0, '5');
    assertThat(pan.scheme()).isEqualTo(CardScheme.VISA);
    assertThat(pan).isEqualTo(Pan.parse("4111111111111111"));
  }

  @Test
  void toString_isMaskedForm() {
    assertThat(Pan.parse("4111111111111111").toString()).isEqualTo("Pan[****1111]");
  }

  @Test
  void sensitiveValueParse_dispatchesOnType() {
    assertThat(SensitiveValue.parse(ValueType.CARD, "4111111111111111")).isInstanceOf(Pan.class);
    assertThat(SensitiveValue.parse(ValueType.ACCOUNT, "4111111111111111"))
        .isInstanceOf(AccountNumber.class);
    assertRejected(() -> SensitiveValue.parse(ValueType.CARD, "4111111111111112"))
        .isEqualTo("luhn_check_failed");
  }
}
