package dev.tokenvault.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.value.InvalidValueException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The payment id's shape, as {@code GET /v1/payments/{id}} checks it on both request paths. */
class PaymentIdsTest {
  /** Every character an id may hold. */
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

  @Test
  void everyIdCharacterAndBothLengthLimitsAreAccepted() {
    for (char c : ALPHABET.toCharArray()) {
      assertThat(PaymentsResource.paymentId("pay" + c)).isEqualTo("pay" + c);
    }
    assertThat(PaymentsResource.paymentId("p")).isEqualTo("p");
    assertThat(PaymentsResource.paymentId("p".repeat(64))).hasSize(64);
  }

  /** The neighbours of each accepted range, separators, escapes and non-ASCII look-alikes. */
  @ParameterizedTest
  @ValueSource(strings = {"pay@", "pay[", "pay`", "pay{", "pay/", "pay:", "pay.", "pay,", "pay^",
      "pay ", "pay%20", "pay\u0000", "pay\u00e9", "pay\uff21", ""})
  void otherIdsAreRefused(String id) {
    assertThatThrownBy(() -> PaymentsResource.paymentId(id))
        .isInstanceOfSatisfying(InvalidValueException.class,
            e -> assertThat(e.code()).isEqualTo("invalid_payment_id"));
  }

  @Test
  void anIdLongerThan64OrNullIsRefused() {
    assertThatThrownBy(() -> PaymentsResource.paymentId("p".repeat(65)))
        .isInstanceOf(InvalidValueException.class);
    assertThatThrownBy(() -> PaymentsResource.paymentId(null))
        .isInstanceOf(InvalidValueException.class);
  }

  @Test
  void theHotRouteTakesOnlyAnExactPaymentPath() {
    assertThat(HotRoutes.exactPath("/v1/payments/pay_x-1", "/v1/payments/{id}")).isTrue();
    assertThat(HotRoutes.exactPath("/v1/payments/" + "p".repeat(64), "/v1/payments/{id}"))
        .isTrue();
    for (String path : new String[] {"/v1/payments/", "/v1/payments/pay_x/", "/v1/payments//x",
        "/v1/payments/a%20b", "/v1/payments/../x", "/v1/payments/" + "p".repeat(65),
        "/v1/paymentsX/pay_x", "/v2/payments/pay_x"}) {
      assertThat(HotRoutes.exactPath(path, "/v1/payments/{id}")).as(path).isFalse();
    }
    assertThat(HotRoutes.exactPath("/v1/tokens", "/v1/tokens")).isTrue();
    assertThat(HotRoutes.exactPath("/v1/tokens/", "/v1/tokens")).isFalse();
  }
}
