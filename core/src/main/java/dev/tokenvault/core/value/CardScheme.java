package dev.tokenvault.core.value;

import java.util.Locale;

/**
 * Card schemes recognised from the issuer identification number (IIN, the leading digits).
 *
 * <p>Ranges follow the schemes' published IIN tables (ISO/IEC 7812 prefixes as used by
 * payment processors): Visa {@code 4}; Mastercard {@code 51-55} and {@code 2221-2720}; American
 * Express {@code 34, 37}; Discover {@code 6011, 644-649, 65, 622126-622925}; JCB {@code
 * 3528-3589}; UnionPay {@code 62, 81}; Diners Club {@code 300-305, 3095, 36, 38-39}; Maestro
 * {@code 50, 56-69} (what the others leave). A Luhn-valid number in no range is {@link #UNKNOWN}:
 * it is accepted, since new ranges appear faster than any table is updated.
 */
public enum CardScheme {
  VISA(13, 16, 19),
  MASTERCARD(16, 16),
  AMEX(15, 15),
  DISCOVER(16, 19),
  JCB(16, 19),
  UNIONPAY(16, 19),
  DINERS(14, 19),
  MAESTRO(12, 19),
  UNKNOWN(12, 19);

  private final int[] lengths;

  CardScheme(int... lengthsOrRange) {
    this.lengths = lengthsOrRange;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a PAN of this many digits is valid for the scheme. */
  public boolean acceptsLength(int length) {
    if (this == VISA) {
      for (int l : lengths) {
        if (l == length) {
          return true;
        }
      }
      return false;
    }
    return length >= lengths[0] && length <= lengths[1];
  }

  /** The scheme of a digit string (only its first six digits are read). */
  public static CardScheme fromDigits(CharSequence digits) {
    int p1 = prefix(digits, 1);
    int p2 = prefix(digits, 2);
    int p3 = prefix(digits, 3);
    int p4 = prefix(digits, 4);
    int p6 = prefix(digits, 6);
    if (p2 == 34 || p2 == 37) {
      return AMEX;
    }
    if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) {
      return DINERS;
    }
    if (p4 >= 3528 && p4 <= 3589) {
      return JCB;
    }
    if (p1 == 4) {
      return VISA;
    }
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) {
      return MASTERCARD;
    }
    if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) {
      return DISCOVER;
    }
    if (p2 == 62 || p2 == 81) {
      return UNIONPAY;
    }
    if (p2 == 50 || (p2 >= 56 && p2 <= 69)) {
      return MAESTRO;
    }
    return UNKNOWN;
  }

  private static int prefix(CharSequence digits, int n) {
    if (digits.length() < n) {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < n; i++) {
      v = v * 10 + (digits.charAt(i) - '0');
    }
    return v;
  }
}
