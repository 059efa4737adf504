package dev.tokenvault.core.value;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static dev.tokenvault.core.testing.Rejections.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.testing.TestCards;
import dev.tokenvault.core.testing.TestCards.Iban;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AccountNumberTest {

  static List<Iban> adyenIbans() {
    return TestCards.adyenIbans();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenIbans")
  void adyenIban_parsesAsIban(Iban iban) {
    AccountNumber a = AccountNumber.parse(iban.value());

    assertThat(a.isIban()).isTrue();
    assertThat(a.type()).isEqualTo(ValueType.ACCOUNT);
    assertThat(a.last4()).isEqualTo(iban.value().substring(iban.value().length() - 4));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenIbans")
  void adyenIban_lowerCase_parsesToTheSameValue(Iban iban) {
    AccountNumber lower = AccountNumber.parse(iban.value().toLowerCase(Locale.ROOT));

    assertThat(lower.isIban()).isTrue();
    assertThat(lower).isEqualTo(AccountNumber.parse(iban.value()));
    assertThat(Arrays.equals(lower.reveal(), iban.value().getBytes(StandardCharsets.US_ASCII)))
        .as("%s normalised to upper case", iban)
        .isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenIbans")
  void adyenIban_anyDigitChanged_failsIbanCheck(Iban iban) {
    String v = iban.value();
    int changedPositions = 0;
    for (int pos = 2; pos < v.length(); pos++) {
      char c = v.charAt(pos);
      if (c < '0' || c > '9') {
        continue;
      }
      for (int delta = 1; delta <= 9; delta++) {
        String changed = v.substring(0, pos) + (char) ('0' + (c - '0' + delta) % 10) + v.substring(pos + 1);
        assertThat(codeOf(() -> AccountNumber.parse(changed)))
            .as("%s, position %d +%d", iban, pos, delta)
            .isEqualTo("iban_check_failed");
      }
      changedPositions++;
    }
    assertThat(changedPositions).isGreaterThan(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adyenIbans")
  void adyenIban_toStringShowsNoMoreThanLast4(Iban iban) {
    String s = AccountNumber.parse(iban.value()).toString();
    String v = iban.value();

    assertThat(s.contains(v)).isFalse();
    assertThat(s.contains(v.substring(4, 10))).isFalse();
    assertThat(s).isEqualTo("AccountNumber[****" + v.substring(v.length() - 4) + "]");
  }

  @Test
  void seedAccount_parsesAsDomesticNumber() {
    AccountNumber a = AccountNumber.parse("1234567890123456");

    assertThat(a.isIban()).isFalse();
    assertThat(a.last4()).isEqualTo("3456");
    assertThat(a.toString()).isEqualTo("AccountNumber[****3456]");
  }

  @Test
  void parseAtLengthBoundaries() {
    assertThat(AccountNumber.parse("123456").isIban()).isFalse();
    assertThat(AccountNumber.parse("1".repeat(34)).isIban()).isFalse();
    assertRejected(() -> AccountNumber.parse("12345")).isEqualTo("invalid_length");
    assertRejected(() -> AccountNumber.parse("1".repeat(35))).isEqualTo("invalid_length");
  }

  @Test
  void parseWhenEmptyThenValueRequired() {
    assertRejected(() -> AccountNumber.parse("")).isEqualTo("value_required");
  }

  @ParameterizedTest(name = "[{index}]")
  @ValueSource(strings = {"NL13 TEST 0123 4567 89", "NL13-TEST-0123456789", "1234567890 ", "12345\u00e967890"})
  void parseWhenSeparatorsOrNonAsciiThenInvalidCharacters(String input) {
    assertRejected(() -> AccountNumber.parse(input)).isEqualTo("invalid_characters");
  }

  @ParameterizedTest(name = "[{index}]")
  @ValueSource(strings = {"ABCDEFGHIJKLMNOP", "1L13TEST0123456789", "NLXXTEST0123456789", "NL13TEST01"})
  void parseWhenNeitherDigitsNorIbanShapeThenInvalidFormat(String input) {
    assertRejected(() -> AccountNumber.parse(input)).isEqualTo("invalid_format");
  }

  @Test
  void parseWhenLettersTransposedThenIbanCheckFails() {
    assertRejected(() -> AccountNumber.parse("NL13TSET0123456789")).isEqualTo("iban_check_failed");
  }

  @Test
  void equalsAndHashCode() {
    AccountNumber a = AccountNumber.parse("DE87123456781234567890");
    AccountNumber same = AccountNumber.parse("de87123456781234567890");
    AccountNumber other = AccountNumber.parse("DE92123456789876543210");

    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same).isNotEqualTo(other);
    assertThat(a.equals(Pan.parse("4111111111111111"))).isFalse();
    assertThat(a.equals(null)).isFalse();
  }

  @Test
  void reveal_returnsAFreshCopy() {
    AccountNumber a = AccountNumber.parse("1234567890123456");
    byte[] first = a.reveal();
    Arrays.fill(first, (byte) 'x');

    assertThat(new String(a.reveal(), StandardCharsets.US_ASCII)).isEqualTo("1234567890123456");
  }
}
