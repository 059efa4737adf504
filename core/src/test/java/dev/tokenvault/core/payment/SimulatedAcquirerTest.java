package dev.tokenvault.core.payment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.value.AccountNumber;
import dev.tokenvault.core.value.Pan;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules of {@link SimulatedAcquirer}'s Javadoc, in their documented order. */
class SimulatedAcquirerTest {
  private static final Pan APPROVED_CARD = Pan.parse("4111111111111111");

  private final SimulatedAcquirer acquirer = new SimulatedAcquirer();

  private static void assertDeclined(Authorization a, String code) {
    assertThat(a.status()).isEqualTo(PaymentStatus.DECLINED);
    assertThat(a.declineCode()).isEqualTo(code);
    assertThat(a.authorizationCode()).isNull();
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
    "4000000000000002, card_declined",
    "4000000000009995, insufficient_funds",
    "4000000000000069, expired_card"
  })
  void testCards_areDeclinedWithTheirCode(String card, String code) {
    assertDeclined(acquirer.authorize(Pan.parse(card), 1000, "USD"), code);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
    "4000000000000002, card_declined",
    "4000000000009995, insufficient_funds",
    "4000000000000069, expired_card"
  })
  void cardRules_comeBeforeAmountRules(String card, String code) {
    assertDeclined(acquirer.authorize(Pan.parse(card), SimulatedAcquirer.MAX_AMOUNT + 1, "USD"), code);
    assertDeclined(acquirer.authorize(Pan.parse(card), 1051, "USD"), code);
  }

  @Test
  void amountAboveLimit_isDeclined() {
    assertDeclined(acquirer.authorize(APPROVED_CARD, SimulatedAcquirer.MAX_AMOUNT + 1, "USD"), "amount_limit_exceeded");
    assertDeclined(acquirer.authorize(APPROVED_CARD, Long.MAX_VALUE, "USD"), "amount_limit_exceeded");
  }

  @Test
  void amountAtLimit_isApproved() {
    assertThat(acquirer.authorize(APPROVED_CARD, SimulatedAcquirer.MAX_AMOUNT, "USD").status())
        .isEqualTo(PaymentStatus.APPROVED);
  }

  @Test
  void limitRule_comesBeforeThe51Rule() {
    assertDeclined(acquirer.authorize(APPROVED_CARD, SimulatedAcquirer.MAX_AMOUNT + 51, "USD"), "amount_limit_exceeded");
  }

  @ParameterizedTest
  @ValueSource(longs = {51, 151, 1051, 99_999_951})
  void amountEndingIn51_isInsufficientFunds(long amount) {
    assertDeclined(acquirer.authorize(APPROVED_CARD, amount, "EUR"), "insufficient_funds");
  }

  @Test
  void the51Rule_worksForAccounts() {
    assertDeclined(acquirer.authorize(AccountNumber.parse("DE87123456781234567890"), 2051, "EUR"), "insufficient_funds");
    assertThat(acquirer.authorize(AccountNumber.parse("DE87123456781234567890"), 2050, "EUR").status())
        .isEqualTo(PaymentStatus.APPROVED);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 50, 52, 510, 5100, 1000})
  void otherwise_approvedWithSixCharacterCode(long amount) {
    Authorization a = acquirer.authorize(APPROVED_CARD, amount, "USD");
    assertThat(a.status()).isEqualTo(PaymentStatus.APPROVED);
    assertThat(a.declineCode()).isNull();
    assertThat(a.authorizationCode()).matches("[0-9A-HJ-NP-Z]{6}");
  }

  @Test
  void authorizationCodes_areRandom() {
    Set<String> codes = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      codes.add(acquirer.authorize(APPROVED_CARD, 1000, "USD").authorizationCode());
    }
    assertThat(codes).hasSizeGreaterThan(40);
  }

  @Test
  void authorize_leavesTheValueIntact() {
    Pan card = Pan.parse("4000000000000002");
    acquirer.authorize(card, 1000, "USD");
    assertThat(Arrays.equals(card.reveal(), "4000000000000002".getBytes(StandardCharsets.US_ASCII)))
        .as("the acquirer wipes its own copy only")
        .isTrue();
  }
}
