package dev.tokenvault.core.value;

import java.util.Locale;

/** What kind of value a token stands for. The wire name is the lower-case enum name. */
public enum ValueType {
  /** A payment card number (PAN). */
  CARD,
  /** A bank account number: digits, or an IBAN. */
  ACCOUNT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ValueType fromWireName(String name) {
    if (name != null) {
      for (ValueType t : values()) {
        if (t.wireName().equals(name)) {
          return t;
        }
      }
    }
    throw new InvalidValueException("invalid_type", "type", "type must be 'card' or 'account'");
  }
}
