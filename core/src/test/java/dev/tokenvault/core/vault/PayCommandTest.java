package dev.tokenvault.core.vault;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PayCommandTest {
  private static final Token TOKEN = new Token("tok_AAAAAAAAAAAAAAAAAAAAAA");

  private static PayCommand pay(long amount, String currency, String key) {
    return new PayCommand(Namespace.DEFAULT, TOKEN, amount, currency, key);
  }

  @Test
  void validCommand_keepsItsFields() {
    PayCommand c = pay(1050, "USD", "order-42");
    assertThat(c.amount()).isEqualTo(1050);
    assertThat(c.currency()).isEqualTo("USD");
    assertThat(c.idempotencyKey()).isEqualTo("order-42");
  }

  @Test
  void amount_boundaries() {
    assertThat(pay(1, "USD", "k").amount()).isEqualTo(1);
    assertThat(pay(PayCommand.MAX_AMOUNT, "USD", "k").amount()).isEqualTo(PayCommand.MAX_AMOUNT);
    for (long amount : new long[] {0, -1, PayCommand.MAX_AMOUNT + 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertRejected(() -> pay(amount, "USD", "k")).as("amount %d", amount).isEqualTo("invalid_amount");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"USD", "EUR", "JPY", "GBP", "CHF", "XOF", "XAF"})
  void currency_knownIsoCodesAccepted(String currency) {
    assertThat(pay(100, currency, "k").currency()).isEqualTo(currency);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"usd", "Usd", "XXX1", "ABC", "US", "USDD", " USD", "USD ", "U$D", "\uff35SD", "XXX", "XTS", "XAU", "XDR"})
  void currency_otherwiseRejected(String currency) {
    assertThatThrownBy(() -> pay(100, currency, "k"))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> {
              assertThat(e.code()).isEqualTo("invalid_currency");
              assertThat(e.field()).isEqualTo("currency");
            });
  }

  @Test
  void idempotencyKey_printableAsciiUpTo255() {
    assertThat(pay(100, "USD", "k").idempotencyKey()).isEqualTo("k");
    assertThat(pay(100, "USD", "x".repeat(255)).idempotencyKey()).hasSize(255);
    StringBuilder printable = new StringBuilder();
    for (char c = 0x21; c <= 0x7e; c++) {
      printable.append(c);
    }
    assertThat(pay(100, "USD", printable.toString()).idempotencyKey()).isEqualTo(printable.toString());
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"a b", " k", "k\t", "k\n", "caf\u00e9", "k\u007f", "k\u0000"})
  void idempotencyKey_otherwiseRejected(String key) {
    assertThatThrownBy(() -> pay(100, "USD", key))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> {
              assertThat(e.code()).isEqualTo("invalid_idempotency_key");
              assertThat(e.field()).isEqualTo("Idempotency-Key");
            });
  }

  @Test
  void idempotencyKey_longerThan255Rejected() {
    assertRejected(() -> pay(100, "USD", "x".repeat(256))).isEqualTo("invalid_idempotency_key");
  }

  @Test
  void requiredFields_areChecked() {
    assertThatNullPointerException().isThrownBy(() -> new PayCommand(null, TOKEN, 1, "USD", "k"));
    assertThatNullPointerException().isThrownBy(() -> new PayCommand(Namespace.DEFAULT, null, 1, "USD", "k"));
  }
}
