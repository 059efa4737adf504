package dev.tokenvault.server.capture;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import dev.tokenvault.core.value.CardScheme;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.server.error.Problem;
import java.io.IOException;
import java.nio.CharBuffer;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The decrypted capture payload: {@code {"number", "expiry", "cvv", "name", "session"}}, all
 * strings.
 *
 * <h2>Sensitive data in memory (PCI DSS 3.3.1)</h2>
 *
 * The card number and the CVV are copied out of the JSON parser straight into {@code char[]}s
 * (never a {@code String}) and overwritten by {@link #close()}; the CVV is checked for its length
 * and then overwritten at once: it is never stored, logged, returned or passed to the vault. The
 * parser is built without buffer recycling, so its buffers are not pooled and reused across
 * requests. What this cannot reach: copies the JVM makes below us (the TLS record buffers, the
 * decrypted JWE bytes until the caller zeroes them, garbage not yet collected).
 *
 * <h2>Expiry and name</h2>
 *
 * Both are validated and neither is stored: the expiry is returned to the caller (it is not
 * cardholder data without the PAN), the name is discarded. Keeping them next to the token would
 * make them stored cardholder data that PCI DSS 3.5 requires to be protected like the PAN; the
 * vault's metadata is stored in clear, so it is not the place.
 */
final class CardSubmission implements AutoCloseable {
  private static final JsonFactory JSON = JsonFactory.builder()
      .recyclerPool(JsonRecyclerPools.nonRecyclingPool())
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  /** Farthest future expiry accepted: cards are issued for at most a few years. */
  static final int MAX_YEARS_AHEAD = 20;

  private char[] number = new char[0];
  private char[] cvv = new char[0];
  private String expiry;
  private String name;
  private String session;

  /** A card that passed every check: its PAN (destroy it after use) and expiry month. */
  record ValidCard(Pan pan, YearMonth expiry) {}

  private CardSubmission() {}

  String session() {
    return session;
  }

  /** Parses the payload; any shape error is {@code invalid_payload} (never quoting it). */
  static CardSubmission parse(byte[] payload) {
    CardSubmission s = new CardSubmission();
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw CaptureException.invalidPayload("the payload is not a JSON object");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw CaptureException.invalidPayload("payload fields are strings");
        }
        switch (field) {
          case "number" -> s.number = chars(p, 32);
          case "cvv" -> s.cvv = chars(p, 8);
          case "expiry" -> s.expiry = string(p, 7);
          case "name" -> s.name = string(p, 200);
          case "session" -> s.session = string(p, CaptureSessions.MAX_LENGTH);
          default -> throw CaptureException.invalidPayload("the payload has an unknown field");
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw CaptureException.invalidPayload("the payload is not one JSON object");
      }
      return s;
    } catch (IOException e) {
      s.close();
      throw CaptureException.invalidPayload("the payload is not valid JSON");
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static char[] chars(JsonParser p, int max) throws IOException {
    int n = p.getTextLength();
    if (n > max) {
      throw CaptureException.invalidPayload("a payload field is too long");
    }
    char[] buf = p.getTextCharacters();
    return Arrays.copyOfRange(buf, p.getTextOffset(), p.getTextOffset() + n);
  }

  private static String string(JsonParser p, int max) throws IOException {
    if (p.getTextLength() > max) {
      throw CaptureException.invalidPayload("a payload field is too long");
    }
    return p.getText();
  }

  /**
   * Checks every field (all errors at once, as the page does) and returns the card. The CVV is
   * overwritten before this returns, valid or not. Throws {@code invalid_card}.
   */
  ValidCard validate(Clock clock) {
    List<Problem.FieldError> errors = new ArrayList<>();
    Pan pan = null;
    char[] digits = stripSpaces(number);
    CardScheme scheme = null;
    try {
      pan = Pan.parse(CharBuffer.wrap(digits));
      scheme = pan.scheme();
    } catch (InvalidValueException e) {
      errors.add(new Problem.FieldError("number",
          e.code().equals("value_required") ? "number_required" : e.code(),
          e.getMessage()));
    } finally {
      Arrays.fill(digits, '\0');
    }
    YearMonth exp = expiry(errors, clock);
    try {
      checkCvv(errors, scheme);
    } finally {
      Arrays.fill(cvv, '\0');
    }
    checkName(errors);
    if (!errors.isEmpty()) {
      if (pan != null) {
        pan.destroy();
      }
      throw CaptureException.invalidCard(errors);
    }
    return new ValidCard(pan, exp);
  }

  private static char[] stripSpaces(char[] in) {
    int n = 0;
    for (char c : in) {
      if (c != ' ') {
        n++;
      }
    }
    char[] out = new char[n];
    int i = 0;
    for (char c : in) {
      if (c != ' ') {
        out[i++] = c;
      }
    }
    return out;
  }

  private YearMonth expiry(List<Problem.FieldError> errors, Clock clock) {
    if (expiry == null || expiry.isEmpty()) {
      errors.add(new Problem.FieldError("expiry", "expiry_required", "the expiry date is required"));
      return null;
    }
    YearMonth exp = parseExpiry(expiry);
    if (exp == null) {
      errors.add(new Problem.FieldError("expiry", "invalid_expiry", "the expiry date is MM/YY"));
      return null;
    }
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    if (exp.isBefore(now)) {
      errors.add(new Problem.FieldError("expiry", "card_expired", "the card has expired"));
      return null;
    }
    if (exp.isAfter(now.plusYears(MAX_YEARS_AHEAD))) {
      errors.add(new Problem.FieldError("expiry", "invalid_expiry",
          "the expiry date is too far in the future"));
      return null;
    }
    return exp;
  }

  /** {@code MM/YY} or {@code MM/YYYY} (a card valid through the end of that month), else null. */
  static YearMonth parseExpiry(String s) {
    String t = s.trim();
    int slash = t.indexOf('/');
    if (slash != 2 || !(t.length() == 5 || t.length() == 7)) {
      return null;
    }
    for (int i = 0; i < t.length(); i++) {
      if (i != slash && (t.charAt(i) < '0' || t.charAt(i) > '9')) {
        return null;
      }
    }
    int month = Integer.parseInt(t.substring(0, 2));
    int year = Integer.parseInt(t.substring(3));
    if (t.length() == 5) {
      year += 2000;
    }
    if (month < 1 || month > 12) {
      return null;
    }
    return YearMonth.of(year, month);
  }

  private void checkCvv(List<Problem.FieldError> errors, CardScheme scheme) {
    if (cvv.length == 0) {
      errors.add(new Problem.FieldError("cvv", "cvv_required", "the security code is required"));
      return;
    }
    for (char c : cvv) {
      if (c < '0' || c > '9') {
        errors.add(new Problem.FieldError("cvv", "invalid_cvv", "the security code is digits only"));
        return;
      }
    }
    int min = 3;
    int max = 4;
    if (scheme == CardScheme.AMEX) {
      min = 4;
    } else if (scheme != null && scheme != CardScheme.UNKNOWN) {
      max = 3;
    }
    if (cvv.length < min || cvv.length > max) {
      errors.add(new Problem.FieldError("cvv", "invalid_cvv_length",
          scheme == CardScheme.AMEX ? "an American Express security code has 4 digits"
              : max == 3 ? "the security code has 3 digits" : "the security code has 3 or 4 digits"));
    }
  }

  private void checkName(List<Problem.FieldError> errors) {
    String n = name == null ? "" : name.strip();
    if (n.isEmpty()) {
      errors.add(new Problem.FieldError("name", "name_required", "the cardholder name is required"));
      return;
    }
    if (n.codePointCount(0, n.length()) > 100) {
      errors.add(new Problem.FieldError("name", "invalid_name", "the name has at most 100 characters"));
      return;
    }
    boolean ok = n.codePoints().allMatch(cp -> Character.isLetter(cp) || cp == ' ' || cp == '\''
        || cp == '-' || cp == '.' || cp == ',' || Character.getType(cp) == Character.NON_SPACING_MARK);
    if (!ok) {
      errors.add(new Problem.FieldError("name", "invalid_name",
          "the name has letters, spaces and ' - . , only"));
    }
  }

  @Override
  public void close() {
    Arrays.fill(number, '\0');
    Arrays.fill(cvv, '\0');
    name = null;
  }
}
