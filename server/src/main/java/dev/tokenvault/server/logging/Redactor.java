package dev.tokenvault.server.logging;

import dev.tokenvault.core.value.Luhn;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks card numbers that slipped into text: the safety net under "never log a value".
 *
 * <h2>Rule</h2>
 *
 * A run of digits, optionally separated by single spaces or dashes, that contains a window of
 * 12-19 consecutive digits passing the Luhn check (ISO/IEC 7812-1) is replaced as a whole by
 * {@code [PAN ****1234]} (the run's last four digits, which PCI DSS 3.4.1 allows to be shown).
 * Checking every window, not only the whole run, catches a card number glued to other digits.
 *
 * <h2>Trade-off</h2>
 *
 * Any Luhn-valid run is masked, so about one in ten long numeric ids (timestamps in millis,
 * order numbers of 12+ digits) is masked too. A false positive costs a masked log field; a false
 * negative costs a card number in the logs. We take the first.
 */
public final class Redactor {
  private Redactor() {}

  /** A digit run: digits with at most one space or dash between two digits. */
  private static final Pattern RUN = Pattern.compile("\\d(?:[ -]?\\d)*");

  private static final int MIN_DIGITS = 12;
  private static final int MAX_DIGITS = 19;

  /** {@code text} with every card-number-bearing digit run masked; the same instance if none. */
  public static String redact(String text) {
    if (text == null || !hasLongDigitRun(text)) {
      return text;
    }
    Matcher m = RUN.matcher(text);
    StringBuilder out = null;
    int copied = 0;
    while (m.find()) {
      if (m.end() - m.start() < MIN_DIGITS) {
        continue;
      }
      String digits = digitsOf(text, m.start(), m.end());
      if (digits.length() < MIN_DIGITS || !containsLuhnWindow(digits)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, copied, m.start())
          .append("[PAN ****")
          .append(digits, digits.length() - 4, digits.length())
          .append(']');
      copied = m.end();
    }
    if (out == null) {
      return text;
    }
    return out.append(text, copied, text.length()).toString();
  }

  /** True when {@link #redact} would change {@code text}. */
  public static boolean containsCardNumber(String text) {
    String r = redact(text);
    return r != null && !r.equals(text);
  }

  /**
   * Whether {@code text} has a {@link #RUN} with at least {@link #MIN_DIGITS} digits: the cheap
   * necessary condition checked before the regex, since almost no log line has one.
   */
  static boolean hasLongDigitRun(String text) {
    int n = text.length();
    if (n < MIN_DIGITS) {
      return false;
    }
    int digits = 0;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++digits >= MIN_DIGITS) {
          return true;
        }
      } else if (!((c == ' ' || c == '-') && digits > 0 && i + 1 < n && isDigit(text.charAt(i + 1)))) {
        digits = 0;
      }
    }
    return false;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static String digitsOf(String text, int start, int end) {
    StringBuilder b = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean containsLuhnWindow(String digits) {
    int n = digits.length();
    for (int len = Math.min(MAX_DIGITS, n); len >= MIN_DIGITS; len--) {
      for (int start = 0; start + len <= n; start++) {
        if (Luhn.isValid(digits.subSequence(start, start + len))) {
          return true;
        }
      }
    }
    return false;
  }
}
