package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import java.math.BigDecimal;
import java.util.Currency;

/** Amount conversions; a fraction that the currency cannot hold is refused, never rounded. */
final class Amounts {
  private Amounts() {}

  /** A whole number of minor units, as the {@code /v1/payments} contract wants. */
  static long minorUnits(BigDecimal amount) {
    if (amount == null) {
      throw new InvalidValueException("required", "amount", "amount is required");
    }
    try {
      return amount.longValueExact();
    } catch (ArithmeticException e) {
      throw new InvalidValueException(
          "invalid_amount", "amount", "amount is a whole number of minor units (cents)");
    }
  }

  /** Major units (the seeds' {@code 25.00}) to minor units of {@code currency}. */
  static long fromMajorUnits(BigDecimal amount, String currency) {
    if (amount == null) {
      throw new InvalidValueException("required", "amount", "amount is required");
    }
    int digits = Currency.getInstance(currency).getDefaultFractionDigits();
    try {
      return amount.movePointRight(Math.max(digits, 0)).longValueExact();
    } catch (ArithmeticException e) {
      throw new InvalidValueException("invalid_amount", "amount",
          "amount has more decimal places than the currency allows");
    }
  }

  static BigDecimal toMajorUnits(long minor, String currency) {
    int digits = Currency.getInstance(currency).getDefaultFractionDigits();
    return BigDecimal.valueOf(minor, Math.max(digits, 0));
  }
}
