package dev.tokenvault.core.value;

import java.util.Arrays;
import java.util.Objects;

/**
 * A primary account number (card number): 12 to 19 digits, Luhn-valid, length valid for its
 * scheme.
 *
 * <p>Never prints its digits: {@link #toString()} is {@code Pan[****1111]}. The digits are only
 * available through {@link #reveal()}.
 *
 * <h2>What may be kept in clear</h2>
 *
 * PCI DSS 3.4.1 allows the BIN (first six digits) and the last four to be kept. For PANs shorter
 * than 15 digits that would leave too few unknown digits, so {@link #bin()} is {@code null} there
 * and only the last four are kept.
 */
public final class Pan implements SensitiveValue {
  /** Shortest PAN we accept (ISO/IEC 7812 allows 8, no scheme in use issues fewer than 12). */
  public static final int MIN_LENGTH = 12;

  public static final int MAX_LENGTH = 19;

  /** Below this length the BIN is not kept (see the class comment). */
  static final int MIN_LENGTH_FOR_BIN = 15;

  private final byte[] digits;
  private final CardScheme scheme;

  private Pan(byte[] digits, CardScheme scheme) {
    this.digits = digits;
    this.scheme = scheme;
  }

  /**
   * Parses a card number. Only ASCII digits are accepted (no spaces or separators): a caller that
   * takes formatted input strips it first. Error messages never contain the input.
   */
  public static Pan parse(CharSequence input) {
    Objects.requireNonNull(input, "input");
    int n = input.length();
    if (n == 0) {
      throw new InvalidValueException("value_required", "value", "a card number is required");
    }
    for (int i = 0; i < n; i++) {
      char c = input.charAt(i);
      if (c < '0' || c > '9') {
        throw new InvalidValueException(
            "invalid_characters", "value", "a card number must contain digits only");
      }
    }
    if (n < MIN_LENGTH || n > MAX_LENGTH) {
      throw new InvalidValueException(
          "invalid_length", "value", "a card number must have 12 to 19 digits");
    }
    if (!Luhn.isValid(input)) {
      throw new InvalidValueException(
          "luhn_check_failed", "value", "the card number fails the Luhn check");
    }
    CardScheme scheme = CardScheme.fromDigits(input);
    if (!scheme.acceptsLength(n)) {
      throw new InvalidValueException(
          "invalid_length_for_scheme",
          "value",
          "a " + scheme.wireName() + " card number cannot have " + n + " digits");
    }
    return new Pan(SecretChars.ascii(input), scheme);
  }

  @Override
  public ValueType type() {
    return ValueType.CARD;
  }

  public CardScheme scheme() {
    return scheme;
  }

  public int length() {
    return digits.length;
  }

  /** The first six digits, or {@code null} for PANs shorter than 15 digits. */
  public String bin() {
    if (digits.length < MIN_LENGTH_FOR_BIN) {
      return null;
    }
    return new String(digits, 0, 6, java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Override
  public String last4() {
    return SecretChars.last4(digits);
  }

  @Override
  public byte[] reveal() {
    return digits.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pan other && SecretChars.constantTimeEquals(digits, other.digits);
  }

  @Override
  public int hashCode() {
    return SecretChars.safeHashCode(digits);
  }

  @Override
  public String toString() {
    return "Pan[" + masked() + "]";
  }

  /** Overwrites the digits held by this instance; it must not be used afterwards. */
  public void destroy() {
    Arrays.fill(digits, (byte) 0);
  }
}
