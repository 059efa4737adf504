package dev.tokenvault.core.value;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Random identifiers: a prefix and 128 bits from {@link SecureRandom} in base62 (22 chars). */
public final class RandomIds {
  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final BigInteger SIXTY_TWO = BigInteger.valueOf(62);
  /** ceil(128 / log2(62)). */
  static final int LENGTH = 22;

  private static final SecureRandom RANDOM = new SecureRandom();

  private RandomIds() {}

  /** {@code prefix} followed by 22 base62 characters of 128 random bits. */
  public static String next(String prefix) {
    return next(prefix, RANDOM);
  }

  public static String next(String prefix, SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    BigInteger n = new BigInteger(1, bytes);
    char[] body = new char[LENGTH];
    for (int i = LENGTH - 1; i >= 0; i--) {
      BigInteger[] qr = n.divideAndRemainder(SIXTY_TWO);
      body[i] = BASE62[qr[1].intValue()];
      n = qr[0];
    }
    return prefix + new String(body);
  }
}
