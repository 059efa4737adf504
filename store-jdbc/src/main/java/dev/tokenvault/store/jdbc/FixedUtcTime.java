package dev.tokenvault.store.jdbc;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The SQLite store's time text, {@code uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'} in UTC (30 characters,
 * so that text order is time order), written and read without {@link DateTimeFormatter}.
 *
 * <p>Why by hand: {@code DateTimeFormatter.format} and {@code Instant.parse} were 8-10% of a
 * SQLite reader thread's CPU on the detokenize route (a token row holds two times) and showed on
 * the writer too (async-profiler, bench/README.md, session 3). The text is exactly what {@link
 * #FORMATTER} writes (tested against it over random instants); any text this class does not
 * recognise as that fixed form goes through {@link Instant#parse} as before, and a year outside
 * 0000-9999 is written by the formatter.
 */
final class FixedUtcTime {
  static final DateTimeFormatter FORMATTER =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private static final int LENGTH = 30;

  private FixedUtcTime() {}

  static String format(Instant t) {
    LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC);
    int year = d.getYear();
    if (year < 0 || year > 9999) {
      return FORMATTER.format(t);
    }
    char[] c = new char[LENGTH];
    digits(c, 0, year, 4);
    c[4] = '-';
    digits(c, 5, d.getMonthValue(), 2);
    c[7] = '-';
    digits(c, 8, d.getDayOfMonth(), 2);
    c[10] = 'T';
    digits(c, 11, d.getHour(), 2);
    c[13] = ':';
    digits(c, 14, d.getMinute(), 2);
    c[16] = ':';
    digits(c, 17, d.getSecond(), 2);
    c[19] = '.';
    digits(c, 20, d.getNano(), 9);
    c[29] = 'Z';
    return new String(c);
  }

  static Instant parse(String s) {
    if (s.length() != LENGTH
        || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
        || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != '.'
        || s.charAt(29) != 'Z') {
      return Instant.parse(s);
    }
    int year = number(s, 0, 4);
    int month = number(s, 5, 2);
    int day = number(s, 8, 2);
    int hour = number(s, 11, 2);
    int minute = number(s, 14, 2);
    int second = number(s, 17, 2);
    int nano = number(s, 20, 9);
    if ((year | month | day | hour | minute | second | nano) < 0) {
      return Instant.parse(s);
    }
    // LocalDateTime.of validates every field (month 13, Feb 30, hour 24 throw)
    return LocalDateTime.of(year, month, day, hour, minute, second, nano).toInstant(ZoneOffset.UTC);
  }

  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The decimal number in {@code s[at, at+width)}, or -1 if a character is not a digit. */
  private static int number(String s, int at, int width) {
    int n = 0;
    for (int i = at; i < at + width; i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      n = n * 10 + (ch - '0');
    }
    return n;
  }
}
