package dev.tokenvault.core.value;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * A bank account number: 6 to 34 characters, either all digits (a domestic account number, e.g.
 * the seeds' {@code 1234567890123456}) or an IBAN (ISO 13616: two letters, two check digits,
 * alphanumerics) whose mod-97 check (ISO 7064) passes.
 *
 * <p>IBANs are normalised to upper case; spaces are not accepted. Never prints its characters:
 * {@link #toString()} is {@code AccountNumber[****3456]}.
 */
public final class AccountNumber implements SensitiveValue {
  public static final int MIN_LENGTH = 6;
  public static final int MAX_LENGTH = 34;
  /** Shortest IBAN in use (Norway). */
  static final int MIN_IBAN_LENGTH = 15;

  private final byte[] chars;
  private final boolean iban;

  private AccountNumber(byte[] chars, boolean iban) {
    this.chars = chars;
    this.iban = iban;
  }

  public static AccountNumber parse(CharSequence input) {
    Objects.requireNonNull(input, "input");
    int n = input.length();
    if (n == 0) {
      throw new InvalidValueException("value_required", "value", "an account number is required");
    }
    if (n < MIN_LENGTH || n > MAX_LENGTH) {
      throw new InvalidValueException(
          "invalid_length", "value", "an account number must have 6 to 34 characters");
    }
    boolean allDigits = true;
    for (int i = 0; i < n; i++) {
      char c = input.charAt(i);
      if (c < '0' || c > '9') {
        allDigits = false;
      }
      if (!(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z')) {
        throw new InvalidValueException(
            "invalid_characters",
            "value",
            "an account number must contain only digits, or letters and digits for an IBAN");
      }
    }
    if (allDigits) {
      return new AccountNumber(SecretChars.ascii(input), false);
    }
    String upper = input.toString().toUpperCase(Locale.ROOT);
    if (!isIbanShape(upper)) {
      throw new InvalidValueException(
          "invalid_format",
          "value",
          "an account number must be all digits or an IBAN (country code, check digits, BBAN)");
    }
    if (!ibanChecksumValid(upper)) {
      throw new InvalidValueException(
          "iban_check_failed", "value", "the IBAN fails the mod-97 check");
    }
    return new AccountNumber(SecretChars.ascii(upper), true);
  }

  private static boolean isIbanShape(String s) {
    return s.length() >= MIN_IBAN_LENGTH
        && Character.isLetter(s.charAt(0))
        && Character.isLetter(s.charAt(1))
        && Character.isDigit(s.charAt(2))
        && Character.isDigit(s.charAt(3));
  }

  /** ISO 7064 MOD 97-10 over the rearranged IBAN, computed piecewise (no big integers). */
  static boolean ibanChecksumValid(String iban) {
    String rearranged = iban.substring(4) + iban.substring(0, 4);
    int remainder = 0;
    for (int i = 0; i < rearranged.length(); i++) {
      char c = rearranged.charAt(i);
      int v = Character.isDigit(c) ? c - '0' : c - 'A' + 10;
      remainder = v >= 10 ? (remainder * 100 + v) % 97 : (remainder * 10 + v) % 97;
    }
    return remainder == 1;
  }

  @Override
  public ValueType type() {
    return ValueType.ACCOUNT;
  }

  public boolean isIban() {
    return iban;
  }

  @Override
  public String last4() {
    return SecretChars.last4(chars);
  }

  @Override
  public byte[] reveal() {
    return chars.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccountNumber other && SecretChars.constantTimeEquals(chars, other.chars);
  }

  @Override
  public int hashCode() {
    return SecretChars.safeHashCode(chars);
  }

  @Override
  public String toString() {
    return "AccountNumber[" + masked() + "]";
  }

  /** Overwrites the characters held by this instance; it must not be used afterwards. */
  public void destroy() {
    Arrays.fill(chars, (byte) 0);
  }
}
