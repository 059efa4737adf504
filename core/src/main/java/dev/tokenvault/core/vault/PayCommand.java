package dev.tokenvault.core.vault;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.util.Currency;
import java.util.Objects;

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

  public PayCommand {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(token, "token");
    if (amount < 1 || amount > MAX_AMOUNT) {
      throw new InvalidValueException(
          "invalid_amount", "amount", "amount is a whole number of minor units, 1 to " + MAX_AMOUNT);
    }
    if (currency == null || !isThreeCapitals(currency) || !isKnownCurrency(currency)) {
      throw new InvalidValueException(
          "invalid_currency", "currency", "currency must be an ISO 4217 code such as USD or EUR");
    }
    if (idempotencyKey == null || !isPrintableAscii(idempotencyKey, 255)) {
      throw new InvalidValueException(
          "invalid_idempotency_key",
          "Idempotency-Key",
          "Idempotency-Key must be 1-255 printable ASCII characters");
    }
  }

  // Checked by hand, not by regular expression: both run on every payment request, and
  // String.matches compiles its pattern on every call.

  private static boolean isThreeCapitals(String s) {
    if (s.length() != 3) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      char c = s.charAt(i);
      if (c < 'A' || c > 'Z') {
        return false;
      }
    }
    return true;
  }

  /** 1 to {@code max} characters, each printable ASCII without space (0x21-0x7e). */
  private static boolean isPrintableAscii(String s, int max) {
    if (s.isEmpty() || s.length() > max) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
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
