package dev.tokenvault.core.vault;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.util.Currency;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A request to charge a token; validates itself.
 *
 * @param namespace the tenant
 * @param token the token to charge
 * @param amount minor units (cents), 1 to {@link #MAX_AMOUNT}
 * @param currency an ISO 4217 alphabetic code known to the JDK, upper case
 * @param idempotencyKey the caller's key, 1-255 printable ASCII characters
 */
public record PayCommand(
    Namespace namespace, Token token, long amount, String currency, String idempotencyKey) {

  /** The largest amount accepted at all (the acquirer applies its own, lower limits). */
  public static final long MAX_AMOUNT = 99_999_999_999L;

  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

  public PayCommand {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(token, "token");
    if (amount < 1 || amount > MAX_AMOUNT) {
      throw new InvalidValueException(
          "invalid_amount", "amount", "amount is a whole number of minor units, 1 to " + MAX_AMOUNT);
    }
    if (currency == null || !currency.matches("[A-Z]{3}") || !isKnownCurrency(currency)) {
      throw new InvalidValueException(
          "invalid_currency", "currency", "currency must be an ISO 4217 code such as USD or EUR");
    }
    if (idempotencyKey == null || !KEY.matcher(idempotencyKey).matches()) {
      throw new InvalidValueException(
          "invalid_idempotency_key",
          "Idempotency-Key",
          "Idempotency-Key must be 1-255 printable ASCII characters");
    }
  }

  /** ISO 4217 codes that are not money one can pay in: metals, funds units, test, none. */
  private static final java.util.Set<String> NOT_PAYABLE =
      java.util.Set.of(
          "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XTS",
          "XXX");

  private static boolean isKnownCurrency(String code) {
    if (NOT_PAYABLE.contains(code)) {
      return false;
    }
    try {
      Currency.getInstance(code);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
