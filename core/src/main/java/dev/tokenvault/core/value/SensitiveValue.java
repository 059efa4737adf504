package dev.tokenvault.core.value;

/**
 * A value that must never appear in clear outside the vault: a card number or an account number.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #toString()} shows at most the last four characters ({@code ****1111}).
 *   <li>{@link #equals(Object)} compares in constant time.
 *   <li>The clear characters are reachable only through {@link #reveal()}, one grep-able name, so
 *       that every place that sees a value in clear can be found and reviewed.
 * </ul>
 */
public sealed interface SensitiveValue permits Pan, AccountNumber {

  ValueType type();

  /** The last four characters, safe to store and show. */
  String last4();

  /**
   * The value in clear as ASCII bytes, a fresh copy each call. Callers should overwrite the array
   * (e.g. {@code Arrays.fill(bytes, (byte) 0)}) when done with it.
   */
  byte[] reveal();

  /** {@code ****} followed by the last four characters. */
  default String masked() {
    return "****" + last4();
  }

  /** Parses a value of the given type, validating it. */
  static SensitiveValue parse(ValueType type, CharSequence input) {
    return switch (type) {
      case CARD -> Pan.parse(input);
      case ACCOUNT -> AccountNumber.parse(input);
    };
  }
}
