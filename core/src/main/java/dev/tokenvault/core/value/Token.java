package dev.tokenvault.core.value;

import java.security.SecureRandom;

/**
 * A random token: {@code tok_} followed by 22 base62 characters encoding 128 bits from {@link
 * SecureRandom}. A token is never derived from the value it stands for, so it reveals nothing
 * about it; deterministic tokenization finds an existing token through a keyed fingerprint, it
 * does not compute the token from the value.
 */
public record Token(String value) {
  public static final String PREFIX = "tok_";
  /** 128 random bits: guessing a token is as hard as guessing an AES-128 key. */
  static final int RANDOM_BYTES = 16;
  /** ceil(128 / log2(62)) = 22 characters. */
  static final int BODY_LENGTH = 22;

  public Token {
    if (!isWellFormed(value)) {
      throw new InvalidValueException(
          "invalid_token", "token", "a token is 'tok_' followed by 22 letters and digits");
    }
  }

  /** A new random token. */
  public static Token random(SecureRandom random) {
    return new Token(RandomIds.next(PREFIX, random));
  }

  /**
   * True when {@code s} has the shape of a token, {@code tok_[0-9A-Za-z]{22}} (says nothing of
   * whether it exists). Checked by hand rather than with a regular expression: every tokenize and
   * detokenize checks a token, and the matcher was about 1% of the event loops' time.
   */
  public static boolean isWellFormed(String s) {
    if (s == null || s.length() != PREFIX.length() + BODY_LENGTH || !s.startsWith(PREFIX)) {
      return false;
    }
    for (int i = PREFIX.length(); i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return value;
  }
}
