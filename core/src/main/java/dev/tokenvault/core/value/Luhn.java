package dev.tokenvault.core.value;

/** The Luhn (mod 10) check digit algorithm of ISO/IEC 7812-1, over ASCII digits. */
public final class Luhn {
  private Luhn() {}

  /** True when {@code digits} (ASCII digits only) has a valid Luhn check digit. */
  public static boolean isValid(CharSequence digits) {
    return sum(digits, false) % 10 == 0;
  }

  /** The check digit that makes {@code payload} followed by it Luhn-valid. */
  public static int checkDigit(CharSequence payload) {
    return (10 - sum(payload, true) % 10) % 10;
  }

  private static int sum(CharSequence digits, boolean doubleFirst) {
    int sum = 0;
    boolean dbl = doubleFirst;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (dbl) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      dbl = !dbl;
    }
    return sum;
  }
}
