package dev.tokenvault.core.value;

import java.security.SecureRandom;
import java.util.regex.Pattern;

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

  private static final Pattern SHAPE = Pattern.compile("tok_[0-9A-Za-z]{22}");

  public Token {
    if (value == null || !SHAPE.matcher(value).matches()) {
      throw new InvalidValueException(
          "invalid_token", "token", "a token is 'tok_' followed by 22 letters and digits");
    }
  }

  /** A new random token. */
  public static Token random(SecureRandom random) {
    return new Token(RandomIds.next(PREFIX, random));
  }

  /** True when {@code s} has the shape of a token (says nothing of whether it exists). */
  public static boolean isWellFormed(String s) {
    return s != null && SHAPE.matcher(s).matches();
  }

  @Override
  public String toString() {
    return value;
  }
}
